"""MassGen's plugin layer: the hook markers and the values that cross hook boundaries.

Plugins import what they need from here (`from massgen_plugins import hookimpl, Setting`).
The names load on first use: this package is imported at every interpreter start in an
environment with the MassGen bridge installed, and must cost nothing until MassGen runs.
"""

# No imports here, not even typing (9 ms): see the docstring.
__version__ = "0.2.0"

_EXPORTS = {
    "hookimpl": "massgen_plugins.hookspecs",
    "CompressionRequest": "massgen_plugins.values",
    "CompressionResult": "massgen_plugins.values",
    "ModelChoice": "massgen_plugins.values",
    "PluginContext": "massgen_plugins.values",
    "Setting": "massgen_plugins.values",
}

__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'massgen_plugins' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value
