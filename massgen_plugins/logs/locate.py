"""Finding MassGen's log directories the way MassGen does, and resolving a LOG_DIR argument."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from massgen_plugins.errors import UsageError

LOG_BASE_ENV = "MASSGEN_LOG_BASE_DIR"


class LogsError(UsageError):
    """A log directory that does not exist or holds no runs (exit code 2)."""


class Target(NamedTuple):
    """What a LOG_DIR argument points at: a session, optionally narrowed to a turn or attempt."""

    session: Path
    turn: int | None = None
    attempt: int | None = None


def logs_base(logs_dir: str | os.PathLike[str] | None = None,
              environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The base dir: --logs-dir, $MASSGEN_LOG_BASE_DIR, ./.massgen/massgen_logs, ~/.massgen/massgen_logs."""
    env = os.environ if environ is None else environ
    if logs_dir is not None:
        return Path(logs_dir).expanduser()
    if env.get(LOG_BASE_ENV):
        return Path(env[LOG_BASE_ENV]).expanduser()
    local = (cwd or Path.cwd()) / ".massgen" / "massgen_logs"
    if _is(local, os.path.isdir):
        return local
    return Path.home() / ".massgen" / "massgen_logs"


def session_names(base: Path) -> list[str]:
    """The names of the `log_*` session dirs under `base`, newest first (they are timestamps)."""
    try:
        with os.scandir(base) as entries:  # the folder's own types: no stat per run
            found = [e.name for e in entries if e.name.startswith("log_") and e.is_dir()]
    except FileNotFoundError:
        raise LogsError(f"{base}: no such log directory; pass --logs-dir or set "
                        f"{LOG_BASE_ENV}") from None
    except NotADirectoryError:
        raise LogsError(f"{base}: not a directory; pass the folder that holds the log_* "
                        "runs") from None
    except OSError as exc:
        raise LogsError(f"{base}: cannot list ({exc.strerror}); check its permissions") \
            from None
    return sorted(found, reverse=True)


def sessions(base: Path) -> list[Path]:
    """The `log_*` session dirs under `base`, newest first."""
    return [base / name for name in session_names(base)]


def resolve(log_dir: str | None, base: Path) -> Target:
    """A session, turn or attempt dir given by the user; by default the latest session."""
    if log_dir is None:
        found = sessions(base)
        if not found:
            raise LogsError(f"{base}: holds no MassGen runs (log_* directories); pass LOG_DIR "
                            "or --logs-dir")
        return Target(found[0])
    path = Path(log_dir).expanduser()
    if not _is(path, os.path.exists) and _is(base / log_dir, os.path.exists):
        path = base / log_dir
    elif not _is(path, os.path.exists) and "/" not in log_dir and os.sep not in log_dir:
        path = _by_prefix(log_dir, base) or path
    if not _is(path, os.path.isdir):
        raise LogsError(f"{log_dir}: no such log directory; give a log_* session dir, a turn_N "
                        "or an attempt_N dir")
    path = Path(os.path.realpath(path))
    if path.name.startswith("attempt_") and path.parent.name.startswith("turn_"):
        return Target(path.parent.parent, _n(path.parent.name), _n(path.name))
    if path.name.startswith("turn_"):
        return Target(path.parent, _n(path.name))
    try:
        names = os.listdir(path) if not path.name.startswith("log_") else []
    except OSError as exc:
        raise LogsError(f"{log_dir}: cannot list ({exc.strerror}); check its "
                        "permissions") from None
    if path.name.startswith("log_") or any(name.startswith("turn_") for name in names):
        return Target(path)
    inner = sessions(path)
    if inner:  # a base dir: take its latest run
        return Target(inner[0])
    raise LogsError(f"{log_dir}: not a MassGen log directory (no turn_N inside); give a log_* "
                    "session dir, a turn_N or an attempt_N dir")


def _by_prefix(name: str, base: Path) -> Path | None:
    """The one run under `base` whose name starts with `name` (`log_` may be left out).

    `logs list` shows a run as `20261122_035141` where the terminal is narrow; that is
    what the user types back.
    """
    prefix = name if name.startswith("log_") else f"log_{name}"
    try:
        found = [p for p in sessions(base) if p.name.startswith(prefix)]
    except LogsError:
        return None
    if len(found) > 1:
        names = ", ".join(p.name for p in found[:5])
        raise LogsError(f"{name}: names {len(found)} runs ({names}); give more of the name")
    return found[0] if found else None


def _is(path: Path, test: Callable[[str], bool]) -> bool:
    """`test(path)`; False where the answer cannot be had (a folder on the way is unreadable)."""
    try:
        return test(os.fspath(path))
    except (OSError, ValueError):
        return False


def _n(name: str) -> int | None:
    tail = name.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else None
