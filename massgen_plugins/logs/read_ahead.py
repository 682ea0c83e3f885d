"""`logs list`'s session ids and rows: remembered, read ahead by worker processes, or read now.

A first listing of a team's log directory reads thousands of runs the row cache does not
hold, and nearly all of that time is Python reading each run's few small files. The runs are
independent, so when at least MIN_RUNS of them need reading, they are read ahead in forked
worker processes, one per core, in chunks handed back in listing order. The main process keeps
everything that needs order: grouping dirs into sessions, the cache, the warnings (shown at
the point of the listing where a sequential read would show them) and the output. A row read
ahead is used only for the session it was read for (one dir, the same id); anything else is
read in the main process as before, and so is every run after a worker fails.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from massgen_plugins.logs.files import Warnings
from massgen_plugins.logs.row_cache import RowCache

MIN_RUNS = 128  # below this, starting the workers (~30 ms) costs more than they save
CHUNK = 32  # runs per hand-over: small enough that the first rows stream out early

Row = tuple[dict[str, Any], str]
# name -> (dir key, session id, continues a session, its warnings, (row, text, warnings) or None)
Ahead = tuple[Any, str | None, bool, list[str], tuple[dict[str, Any], str, list[str]] | None]

# The listing's cache, set before the workers fork: they inherit it instead of receiving it.
_forked: RowCache | None = None


def read_row(sid: str | None, dirs: list[Path], warn: Warnings) -> Row:
    """A session's `logs list` row read from its files, masked, as dict and JSON text."""
    from massgen_plugins.json_text import json_text
    from massgen_plugins.logs.sessions import session_row
    from massgen_plugins.secrets import redact_data

    row = redact_data(session_row(sid, dirs, warn))
    return row, json_text(row)


def _read_chunk(names: list[str]) -> list[tuple[str, Ahead]]:
    """In a worker: each named dir's session id and, for a dir of its own session, its row."""
    cache = _forked
    assert cache is not None  # set by Rows before the fork
    out: list[tuple[str, Ahead]] = []
    for name in names:
        path = cache.base / name
        id_warn = Warnings()
        sid, continued = cache.session_id(path, id_warn)
        row = None
        if not continued and cache.row([path]) is None:
            row_warn = Warnings()
            data, text = read_row(sid, [path], row_warn)
            row = (data, text, row_warn.lines)
        out.append((name, (cache.key(path), sid, continued, id_warn.lines, row)))
    return out


def _ignore_interrupt() -> None:
    import signal

    # Ctrl-C reaches the whole process group: the main process stops the listing, and a
    # worker's traceback would only bury its one line.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


WORKERS_ENV = "MASSGEN_PLUGINS_WORKERS"


def workers() -> tuple[int, str | None]:
    """How many processes read a cold listing: $MASSGEN_PLUGINS_WORKERS, else one per core
    (at most 8); and a warning when the variable is set to something unusable."""
    try:
        cores = min(len(os.sched_getaffinity(0)), 8)
    except AttributeError:  # no sched_getaffinity (macOS)
        cores = min(os.cpu_count() or 1, 8)
    raw = os.environ.get(WORKERS_ENV)
    if raw is None or raw.strip() == "":
        return cores, None
    if raw.strip().isdigit() and 1 <= int(raw) <= 64:
        return int(raw), None
    return cores, (f"{WORKERS_ENV}={raw!r} is not a whole number from 1 to 64; "
                   f"reading with {cores} (1 reads in this process only)")


class Rows:
    """The session ids and rows of one listing, drawn from the cache, the workers, or the files."""

    def __init__(self, cache: RowCache, names: list[str], want: int, workers: int = 1) -> None:
        """Start `workers` processes on the first `want` of `names` the cache cannot answer,
        when there are enough of them to be worth it (one worker: all are read here)."""
        self.cache = cache
        self._ahead: dict[str, Ahead] = {}
        self._coming: set[str] = set()
        self._results: Iterator[list[tuple[str, Ahead]]] | None = None
        self._executor: Any = None
        # An empty cache (the first listing) knows nothing: the workers work out each dir's key.
        todo = (names[:want] if cache.empty else
                [n for n in names[:want] if not cache.knows(cache.base / n)])
        if len(todo) >= MIN_RUNS and workers > 1 and "fork" in _start_methods():
            self._start(todo, workers)

    def _start(self, todo: list[str], workers: int) -> None:
        global _forked
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        _forked = self.cache
        # A forked worker flushes the standard streams it inherited when it ends: anything
        # still buffered here would be printed twice.
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            self._executor = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("fork"),
                initializer=_ignore_interrupt)
            self._results = self._executor.map(
                _read_chunk, [todo[i:i + CHUNK] for i in range(0, len(todo), CHUNK)])
        except (OSError, RuntimeError):  # no processes to be had: read here instead
            self.close()
            return
        self._coming = set(todo)

    def _take(self, name: str) -> Ahead | None:
        """What the workers read for `name`, waiting for it if it is still coming."""
        while name in self._coming and name not in self._ahead and self._results is not None:
            try:
                chunk = next(self._results)
            except Exception:  # a worker died or failed: read the rest here
                self.close()
                break
            self._ahead.update(chunk)
        return self._ahead.pop(name, None)

    def session_id(self, path: Path, warn: Warnings) -> tuple[str | None, bool]:
        """`sessions.session_id(path, warn)`: remembered, read ahead, or read now."""
        ahead = self._take(path.name)
        if ahead is None:
            return self.cache.session_id(path, warn)
        key, sid, continued, lines, row = ahead
        self.cache.set_key(path, key)
        if row is not None:
            self._ahead[path.name] = ahead  # the row is taken when the session is read
        return self.cache.session_id(path, warn, found=(sid, continued, lines))

    def row(self, sid: str | None, dirs: list[Path], warn: Warnings) -> Row:
        """A session's row: remembered, read ahead for it, or read now; kept when settled."""
        remembered = self.cache.row(dirs)
        if remembered is not None:
            return remembered
        local = Warnings()
        ahead = self._ahead.pop(dirs[0].name, None) if len(dirs) == 1 else None
        if ahead is not None and ahead[4] is not None and ahead[1] == sid:
            data, text, lines = ahead[4]
            local.lines.extend(lines)
        else:
            data, text = read_row(sid, dirs, local)
        if not local.lines:  # a run that drew a warning is read (and warns) every time
            self.cache.put(dirs, data, text)
        warn.extend(local)
        return data, text

    def close(self) -> None:
        """Stop the workers; runs not yet read ahead are read here if still asked for."""
        global _forked
        if self._executor is not None:
            # Waited for (a chunk at most per worker): an executor left running when Python
            # exits can fail in its exit handler with a traceback of its own.
            self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = self._results = None
        self._coming = set()
        _forked = None


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()
