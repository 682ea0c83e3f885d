"""Seam `run_config`: notice which run config MassGen loaded, so its `plugins:` section counts.

MassGen ignores top-level keys it does not know, so `plugins: {compact_openai: {enabled:
false}}` in `massgen --config run.yaml` is valid MassGen config; the bridge reads it as the
highest config file, as `massgen-plugins --config run.yaml` would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from massgen_plugins.bridge import runtime
from massgen_plugins.bridge.seams import Seam, resolve, wrap


def instrument(seam: Seam) -> None:
    """Wrap `load_config_file(config_path)` to remember the first file MassGen loads."""
    (target,) = seam.targets
    wrap(*resolve(target), _remember)


def _remember(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)
    path = Path(str(args[0] if args else kwargs.get("config_path")))
    with runtime.BRIDGE._lock:
        # The first file is the run's own config; later loads (a subagent's, an analysis
        # config) happen inside it. MassGen also finds configs by bare name in its package,
        # which `--config` of ours would not: those carry no `plugins:` of the user's anyway.
        if runtime.BRIDGE.run_config is None and runtime.BRIDGE._host is None and path.is_file():
            runtime.BRIDGE.run_config = path.resolve()
    return result
