"""Where the config files and our caches are: shared by the config reader, the switches and caches.

Two kinds of config file. MassGen's own (`~/.config/massgen/config.yaml`, `.massgen/config.yaml`)
are its default run config: we read our keys from them and never write them. Ours
(`$XDG_CONFIG_HOME/massgen-plugins/config.yaml`, `.massgen-plugins/config.yaml`) are the ones
`massgen-plugins plugins enable|disable` writes, in places MassGen never looks.
"""

from __future__ import annotations

import os
from pathlib import Path


def massgen_user_config_path() -> Path:
    """`~/.config/massgen/config.yaml`: MassGen's default run config when there is no project one."""
    # Exactly as MassGen finds it (cli/config_loading.py: Path.home(), XDG_CONFIG_HOME ignored).
    return Path.home() / ".config" / "massgen" / "config.yaml"


def massgen_project_config_path(cwd: Path | None = None) -> Path:
    """`.massgen/config.yaml` in the current directory: MassGen's run config there, when it exists."""
    return (cwd or Path.cwd()) / ".massgen" / "config.yaml"


def user_config_path() -> Path:
    """`$XDG_CONFIG_HOME/massgen-plugins/config.yaml` (by default under ~/.config): ours."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or os.path.expanduser("~/.config")
    return Path(base) / "massgen-plugins" / "config.yaml"


def project_config_path(cwd: Path | None = None) -> Path:
    """`.massgen-plugins/config.yaml` in the current directory: ours (MassGen reads `.massgen/`)."""
    return (cwd or Path.cwd()) / ".massgen-plugins" / "config.yaml"


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/massgen-plugins` (by default under ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "massgen-plugins"
