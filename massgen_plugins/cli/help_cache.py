"""What plugins add to the command line, remembered so that listing commands need not load them.

Loading the plugins (pluggy, attrs and each plugin's module) is most of `massgen-plugins --help`.
When a command has loaded them cleanly, the commands they added (their path and short help)
are saved with a key made of everything that decides them: massgen-plugins' version, the
plugin entry points installed (name, value, distribution, version, and when each was
installed), the config files (path, size, modification time) and the plugin switches in the
environment. A help listing whose key still matches is drawn from that record; any other case
loads the plugins, as does running any plugin command. A load that reported a problem (a
broken plugin) saves nothing, so its warning shows on every listing until it is fixed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

VERSION = 1
KEEP = 8  # records kept, one per recent key
ENV_SWITCHES = ("MASSGEN_LOAD_PLUGINS", "MASSGEN_DISABLE_PLUGINS", "MASSGEN_STRICT_PLUGINS")


def cache_path() -> Path:
    """`$XDG_CACHE_HOME/massgen-plugins/commands.json` (by default under ~/.cache)."""
    from massgen_plugins.paths import cache_dir

    return cache_dir() / "commands.json"


def key(config_path: str | None) -> str:
    """Everything that decides which commands the plugins add, as one string."""
    from massgen_plugins import __version__
    from massgen_plugins.entry_points import installed_entry_points, installed_stamps
    from massgen_plugins.paths import project_config_path, user_config_path

    parts: list[Any] = [VERSION, __version__]
    parts.append([list(ep) for ep in installed_entry_points()])
    parts.append([list(stamp) for stamp in installed_stamps()])
    for path in (user_config_path(), project_config_path(), config_path):
        try:
            info = os.stat(path) if path else None
        except OSError:
            info = None
        parts.append([str(path), info.st_size, info.st_mtime_ns] if info else [str(path), None])
    parts.append([os.environ.get(name) for name in ENV_SWITCHES])
    return json.dumps(parts)


def _records() -> dict[str, Any]:
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    records = data.get("records") if isinstance(data, dict) else None
    return records if isinstance(records, dict) else {}


def load(config_path: str | None) -> list[dict[str, Any]] | None:
    """The plugins' commands as saved for this key, or None when there is no such record."""
    commands = _records().get(key(config_path))
    return commands if isinstance(commands, list) else None


def save(config_path: str | None, commands: list[dict[str, Any]]) -> None:
    """Remember the plugins' commands under the current key (best effort: it is only a cache)."""
    from massgen_plugins.config import write_atomic

    path = cache_path()
    records = _records()
    records.pop(this := key(config_path), None)
    # A few keys at once, so that switching between two setups (plugins on and off, two
    # projects) does not evict each other; the oldest go first.
    records = dict(list(records.items())[-(KEEP - 1):])
    records[this] = commands
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": VERSION, "records": records})
        write_atomic(path, lambda fh: fh.write(text))
    except OSError:
        pass
