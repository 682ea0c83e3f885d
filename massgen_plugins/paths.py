"""Where MassGen's config files and our caches are: shared by the config reader and the caches."""

from __future__ import annotations

import os
from pathlib import Path


def user_config_path() -> Path:
    """`$XDG_CONFIG_HOME/massgen/config.yaml`, by default under `~/.config` on every OS."""
    # MassGen keeps its config under ~/.config on every OS (not each platform's native folder);
    # XDG_CONFIG_HOME, when set, moves it as the XDG spec says.
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or os.path.expanduser("~/.config")
    return Path(base) / "massgen" / "config.yaml"


def project_config_path(cwd: Path | None = None) -> Path:
    """`.massgen/config.yaml` in the current directory."""
    return (cwd or Path.cwd()) / ".massgen" / "config.yaml"


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/massgen-plugins` (by default under ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "massgen-plugins"
