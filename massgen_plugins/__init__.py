"""MassGen's plugin layer: the hook markers and the values that cross hook boundaries."""

from massgen_plugins.hookspecs import hookimpl
from massgen_plugins.values import (
    CompressionRequest,
    CompressionResult,
    ModelChoice,
    PluginContext,
    Setting,
)

__version__ = "0.1.0"

__all__ = [
    "CompressionRequest",
    "CompressionResult",
    "ModelChoice",
    "PluginContext",
    "Setting",
    "__version__",
    "hookimpl",
]
