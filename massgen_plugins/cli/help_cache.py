"""What plugins add to the command line, remembered so that listing commands need not load them.

Loading the plugins (pluggy, attrs and each plugin's module) is most of `massgen-plugins --help`.
When a command has loaded them cleanly, the commands they added (their path and short help)
are saved with a key made of everything that decides them: massgen-plugins' version, the
plugin entry points installed (name, value, distribution, version, and when each was
installed), the config files (path, size, modification time) and the plugin switches in the
environment. A help listing whose key still matches is drawn from that record; any other case
loads the plugins, as does running any plugin command. A load that reported a problem (a
broken plugin) saves nothing, so its warning shows on every listing until it is fixed. A
record that is not a plain file of the expected shape (damaged, a FIFO, too large or deep) is
ignored, and the next load writes a good one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

VERSION = 1
KEEP = 8  # records kept, one per recent key
MAX_BYTES = 4 * 1024 * 1024  # eight records of a few hundred commands each
ENV_SWITCHES = ("MASSGEN_LOAD_PLUGINS", "MASSGEN_DISABLE_PLUGINS", "MASSGEN_STRICT_PLUGINS")


def cache_path() -> Path:
    """`$XDG_CACHE_HOME/massgen-plugins/commands.json` (by default under ~/.cache)."""
    from massgen_plugins.paths import cache_dir

    return cache_dir() / "commands.json"


def key(config_path: str | None) -> str:
    """Everything that decides which commands the plugins add, as one string."""
    from massgen_plugins import __version__, paths
    from massgen_plugins.entry_points import installed_entry_points, installed_stamps

    parts: list[Any] = [VERSION, __version__]
    parts.append([list(ep) for ep in installed_entry_points()])
    parts.append([list(stamp) for stamp in installed_stamps()])
    for path in (paths.massgen_user_config_path(), paths.user_config_path(),
                 paths.massgen_project_config_path(), paths.project_config_path(), config_path):
        try:
            info = os.stat(path) if path else None
        except OSError:
            info = None
        parts.append([str(path), info.st_size, info.st_mtime_ns] if info else [str(path), None])
    parts.append([os.environ.get(name) for name in ENV_SWITCHES])
    return json.dumps(parts)


def _records() -> dict[str, Any]:
    from massgen_plugins.regular_files import read_regular_text

    text = read_regular_text(cache_path(), MAX_BYTES)
    try:
        data = json.loads(text) if text is not None else None
    except (ValueError, RecursionError):  # damaged, or nested past what the parser takes
        return {}
    records = data.get("records") if isinstance(data, dict) else None
    return records if isinstance(records, dict) else {}


def _commands(value: Any) -> list[dict[str, Any]] | None:
    """A record's commands, when each has the shape `save` writes; else None."""
    if not isinstance(value, list):
        return None
    out = []
    for entry in value:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not (isinstance(path, list) and path and all(isinstance(p, str) and p for p in path)
                and isinstance(entry.get("help", ""), str)
                and isinstance(entry.get("group", False), bool)):
            return None
        out.append({"path": path, "help": entry.get("help", ""), "group": entry.get("group", False)})
    return out


def load(config_path: str | None) -> list[dict[str, Any]] | None:
    """The plugins' commands as saved for this key, or None when there is no usable record."""
    return _commands(_records().get(key(config_path)))


def save(config_path: str | None, commands: list[dict[str, Any]]) -> None:
    """Remember the plugins' commands under the current key (best effort: it is only a cache)."""
    from massgen_plugins.config import write_atomic

    path = cache_path()
    this = key(config_path)
    records = {}
    for other, value in _records().items():  # only well-formed records are written back
        kept = _commands(value)
        if other != this and kept is not None:
            records[other] = kept
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
