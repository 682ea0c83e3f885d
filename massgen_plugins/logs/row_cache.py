"""`logs list`'s rows remembered per log directory, so listing an unchanged directory reads nothing.

A team's log directory holds thousands of runs, and a finished run never changes. Each log
dir is known by a key of what its row is read from: the modification times of the dir, its
turn_N and attempt_N dirs (a new turn, attempt, final/ or ANALYSIS_REPORT.md changes them) and
the size, time and inode of each attempt's status.json, metrics_summary.json,
execution_metadata.yaml, events.jsonl and massgen.log. A session's row is kept with its dirs'
keys and used while they all match.

What is kept is only what a listing prints, secrets already masked, and only rows that are
settled: a run still going, killed, or whose evidence says how long ago it last wrote is read
again each time, and so is a run whose files drew a warning, so the warning shows on every
listing. Rows are masked with the secrets known at the time; when the secrets known change
(an API key set in the environment), every row is read again. The cache is one JSON file per
log directory under `$XDG_CACHE_HOME/massgen-plugins/logs-list/`; a missing or damaged one (or
anything but a plain file there: a FIFO is never waited on) is simply rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Any

import orjson

VERSION = 1
# Far above what rows of a hundred thousand runs take; a larger file is not one we wrote.
MAX_BYTES = 256 * 1024 * 1024
_FILES = ("status.json", "metrics_summary.json", "execution_metadata.yaml", "events.jsonl",
          "massgen.log")
# Outcomes whose evidence cannot change while the files stay the same (an incomplete run's
# evidence says how long ago it last wrote).
SETTLED = ("completed", "timed_out", "failed", "restarted")


def _numbered(path: str, prefix: str) -> list[str]:
    with os.scandir(path) as entries:
        return sorted(e.name for e in entries if e.name.startswith(prefix))


def dir_key(path: Path) -> list[Any] | None:
    """What a log dir's row is read from, as stat figures; None when it cannot be listed."""
    root = os.fspath(path)
    try:
        key: list[Any] = [os.stat(root).st_mtime_ns]
        for turn in _numbered(root, "turn_"):
            turn_path = os.path.join(root, turn)
            key += [turn, os.stat(turn_path).st_mtime_ns]
            for attempt in _numbered(turn_path, "attempt_"):
                attempt_path = os.path.join(turn_path, attempt)
                key += [attempt, os.stat(attempt_path).st_mtime_ns]
                for name in _FILES:
                    try:
                        info = os.stat(os.path.join(attempt_path, name))
                    except OSError:
                        key.append(None)
                    else:
                        key.append([info.st_size, info.st_mtime_ns, info.st_ino])
    except OSError:  # not a directory, or not listable: not cached
        return None
    return key


def _secrets_stamp() -> str:
    from massgen_plugins.secrets import secret_values

    return hashlib.sha256("\0".join(secret_values()).encode("utf-8", "replace")).hexdigest()


class RowCache:
    """The remembered rows and session ids of one log directory (best effort: only a cache)."""

    def __init__(self, base: Path) -> None:
        """The cache of `base`, loaded (empty when missing, damaged or from another version)."""
        from massgen_plugins import __version__
        from massgen_plugins.paths import cache_dir

        # Rows hold paths spelled from `base` as given: another spelling of the same folder
        # (relative, through a link) gets a cache of its own.
        name = hashlib.sha256(os.fsencode(os.fspath(base)) + b"\0"
                              + os.fsencode(os.path.realpath(base))).hexdigest()[:24]
        self.base = base
        self.path = cache_dir() / "logs-list" / f"{name}.json"
        self.stamp = [VERSION, __version__, _secrets_stamp()]
        self.dirs: dict[str, Any] = {}
        self.rows: dict[str, Any] = {}
        self._keys: dict[str, list[Any] | None] = {}
        self.changed = False
        from massgen_plugins.regular_files import read_regular

        try:
            raw: bytes | None = read_regular(self.path, MAX_BYTES)
        except OSError:  # missing, odd (a FIFO), unreadable or oversized: rebuilt
            raw = None
        try:
            data = orjson.loads(raw) if raw is not None else None
        except ValueError:  # orjson's JSONDecodeError, nesting too deep included
            return
        if isinstance(data, dict) and data.get("stamp") == self.stamp:
            dirs, rows = data.get("dirs"), data.get("rows")
            self.dirs = dirs if isinstance(dirs, dict) else {}
            self.rows = rows if isinstance(rows, dict) else {}

    def key(self, path: Path) -> list[Any] | None:
        """`dir_key(path)`, computed once per listing."""
        name = path.name
        if name not in self._keys:
            self._keys[name] = dir_key(path)
        return self._keys[name]

    @property
    def empty(self) -> bool:
        """Whether nothing is remembered (a first listing, or the secrets known changed)."""
        return not self.dirs and not self.rows

    def set_key(self, path: Path, key: list[Any] | None) -> None:
        """Take `dir_key(path)` as worked out already (by a worker), at this listing's start."""
        self._keys.setdefault(path.name, key)

    def knows(self, path: Path) -> bool:
        """Whether both the session id and the row of `path` read alone are remembered."""
        return self._remembered_id(path) is not None and self.row([path]) is not None

    def _remembered_id(self, path: Path) -> tuple[str | None, bool] | None:
        """The session id and continuation remembered for `path` as it is now, if any."""
        key = self.key(path)
        entry = self.dirs.get(path.name)
        if (key is not None and isinstance(entry, list) and len(entry) == 3 and entry[0] == key
                and (entry[1] is None or isinstance(entry[1], str))):
            return entry[1], bool(entry[2])
        return None

    def session_id(self, path: Path, warn: Any,
                   found: tuple[str | None, bool, list[str]] | None = None
                   ) -> tuple[str | None, bool]:
        """`sessions.session_id(path, warn)`, from the cache while the dir is unchanged.

        `found`: the id, continuation and warnings read already (by a worker) to use instead.
        """
        from massgen_plugins.logs.files import Warnings
        from massgen_plugins.logs.sessions import session_id

        remembered = self._remembered_id(path)
        if remembered is not None:
            return remembered
        key = self.key(path)
        local = Warnings()
        if found is None:
            sid, continued = session_id(path, local)
        else:
            sid, continued, local.lines[:] = found
        warn.extend(local)
        if key is not None and not local.lines:
            self.dirs[path.name] = [key, sid, continued]
            self.changed = True
        return sid, continued

    def _keys_of(self, dirs: list[Path]) -> list[Any] | None:
        keys = [self.key(d) for d in dirs]
        return None if any(k is None for k in keys) else keys

    def row(self, dirs: list[Path]) -> tuple[dict[str, Any], str] | None:
        """A session's row and its JSON text, when remembered for its dirs as they are now."""
        entry = self.rows.get("/".join(d.name for d in dirs))
        keys = self._keys_of(dirs)
        if (keys is None or not isinstance(entry, list) or len(entry) != 3 or entry[0] != keys
                or not isinstance(entry[1], dict) or not isinstance(entry[2], str)):
            return None
        return entry[1], entry[2]

    def put(self, dirs: list[Path], row: dict[str, Any], text: str) -> None:
        """Remember a settled session's masked row and its JSON text."""
        keys = self._keys_of(dirs)
        if keys is not None and row.get("outcome") in SETTLED:
            self.rows["/".join(d.name for d in dirs)] = [keys, row, text]
            self.changed = True

    def save(self, present: set[str]) -> None:
        """Write the cache back, forgetting dirs no longer in the log directory."""
        if not self.changed:
            return
        dirs = {k: v for k, v in self.dirs.items() if k in present}
        rows = {k: v for k, v in self.rows.items() if all(n in present for n in k.split("/"))}
        try:
            data = orjson.dumps({"stamp": self.stamp, "dirs": dirs, "rows": rows})
        except TypeError:  # a value orjson cannot write (past 64 bits): only a cache, skip it
            return
        # Written beside and renamed over: a listing running at the same time reads the old
        # cache or the new one, never half of one. Rows hold questions: the user's alone.
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)  # left by a listing that died; O_EXCL never opens a FIFO there
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
