"""Where MassGen's config files are: shared by the config reader and the command-line cache."""

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
