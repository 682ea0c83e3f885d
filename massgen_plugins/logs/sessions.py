"""MassGen sessions: the log dirs of one session's turns, found and grouped; `logs list`'s rows.

`massgen --continue "Q2"` writes a new `log_*` dir for each turn. Its turn_1/attempt_1 holds
the turn's execution_metadata.yaml, whose `cli_args.session_id` names the session
(`session_<YYYYMMDD_HHMMSS>` of the first turn's start). The first turn's own dir records no
session id there (null); its massgen.log names it in its first lines ("Created session ...:
session_..."). When that log is gone, the first turn is the dir whose name starts at the
session's second (`log_<YYYYMMDD_HHMMSS>_...`). A dir no other names is a session of its own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from massgen_plugins.logs import files as f
from massgen_plugins.logs.files import RunFiles, Warnings
from massgen_plugins.logs.locate import LogsError, session_names, sessions

if TYPE_CHECKING:
    from massgen_plugins.logs.model import MassgenSession, Session

# A session id in massgen.log's first lines; MassGen logs it before anything else happens.
# Only MassGen's own lines count: an agent's text quoting an id must not join runs.
_LOGGED_ID = re.compile(rb"\| INFO +\| \S* ?(?:Created session|Registered new session)[^\n]{0,80}?"
                        rb"\b(session_\d{8}_\d{6})\b")
_ID = re.compile(r"^session_(\d{8}_\d{6})$")
LOG_HEAD_BYTES = 64 * 1024


def session_id(log_dir: Path, warn: Warnings) -> tuple[str | None, bool]:
    """The MassGen session id of one log dir, and whether the dir continues a session.

    Reads turn_1/attempt_1's execution_metadata.yaml for a --continue dir (whose turn_1 holds
    only events, log and metadata), otherwise the first 64 KB of its massgen.log.
    """
    quick = _logged_id(log_dir)
    if quick is not None:
        return quick[0], False
    from massgen_plugins.logs.reader import is_continue_stub

    run = RunFiles(log_dir, warn)
    first = log_dir / "turn_1" / "attempt_1"
    if is_continue_stub(first, run):
        meta = run.read_yaml(first / "execution_metadata.yaml")
        value = f.get(meta, "cli_args", "session_id")
        if isinstance(value, str) and _ID.match(value):
            return value, True
        return None, True
    # MassGen logs the id in its first lines: 4 KB nearly always holds it.
    head = run.read_bytes(first / "massgen.log", 4096) or b""
    m = _LOGGED_ID.search(head[:4096])
    if m is None and len(head) > 4096:
        head = run.read_bytes(first / "massgen.log", LOG_HEAD_BYTES) or b""
        m = _LOGGED_ID.search(head[:LOG_HEAD_BYTES])
    return (m.group(1).decode() if m else None), False


def _logged_id(log_dir: Path) -> tuple[str | None] | None:
    """session_id's answer for a plain first turn (its folders and massgen.log no links, a
    status.json written), from massgen.log's first 4 KB; None when it needs the careful way."""
    try:
        root = f.open_root(log_dir)
    except OSError:
        return None
    try:
        first = f.open_within(root, ("turn_1", "attempt_1"), directory=True)[0]
    except OSError:
        return None
    finally:
        os.close(root)
    try:
        os.stat("status.json", dir_fd=first, follow_symlinks=False)
        head = f.read_within(first, ("massgen.log",), 4096, head=True)
    except OSError:
        return None
    finally:
        os.close(first)
    if head is None:
        return None
    m = _LOGGED_ID.search(head)
    return (m.group(1).decode(),) if m else None


def _started_key(name: str) -> str | None:
    """`session_<YYYYMMDD_HHMMSS>` a first turn logged in dir `name` would have."""
    stamp = name[4:19]
    return f"session_{stamp}" if re.fullmatch(r"\d{8}_\d{6}", stamp) else None


def grouped(base: Path, warn: Warnings,
            ids: Callable[[Path, Warnings], tuple[str | None, bool]] | None = None,
            names: list[str] | None = None) -> Iterator[tuple[str | None, list[Path]]]:
    """Each MassGen session under `base`: its id and its log dirs (oldest first), newest first.

    A session is yielded once its first turn's dir has been seen (dirs are read newest first,
    and a --continue dir is always newer than the turn it continues), so asking for the
    newest N sessions reads only as far back as their first turns. `ids` stands in for
    `session_id` (a cache of it); `names`, for `session_names(base)` already listed.
    """
    ids = ids or session_id
    pending: list[dict[str, Any]] = []  # not yet yielded, newest first
    open_ids: dict[str, dict[str, Any]] = {}  # sessions still waiting for their first turn
    for name in session_names(base) if names is None else names:
        path = base / name
        sid, continued = ids(path, warn)
        group = open_ids.get(sid) if sid else None
        if group is None and sid is None and not continued:
            # No id of its own: the first turn of a session whose continuations named it by
            # its start, when its massgen.log did not say so.
            stamp = _started_key(path.name)
            group = open_ids.get(stamp) if stamp else None
        if group is None:
            group = {"id": sid, "dirs": [], "complete": False}
            pending.append(group)
        group["dirs"].insert(0, path)
        if continued and group["id"]:
            open_ids[group["id"]] = group
        else:  # a first turn (or a dir nothing can join): the session is whole
            group["complete"] = True
            open_ids.pop(group["id"] or "", None)
        # A session can take no dir older than its id's second.
        for key, g in list(open_ids.items()):
            if "log_" + key[8:] > path.name[:19]:
                g["complete"] = True
                del open_ids[key]
        while pending and pending[0]["complete"]:
            g = pending.pop(0)
            yield g["id"], g["dirs"]
    for g in pending:
        yield g["id"], g["dirs"]


def find_session(log_dir: Path, warn: Warnings) -> tuple[str | None, list[Path]]:
    """The MassGen session `log_dir` belongs to: its id and every log dir of it, oldest first.

    The other turns' dirs are looked for beside `log_dir`, from the session's start on.
    """
    sid, continued = session_id(log_dir, warn)
    # A first turn whose massgen.log names no session is known by its start to the second.
    key = sid or (None if continued else _started_key(log_dir.name))
    if key is None:
        return None, [log_dir]
    start = "log_" + key[8:]
    members, unnamed_first = [log_dir], []
    try:
        candidates = sessions(log_dir.parent)
    except LogsError:
        return sid, members
    quiet = Warnings()  # the other sessions' damage is theirs to report
    for path in candidates:
        if path.name[:19] < start:
            break
        if path == log_dir:
            continue
        other, other_continued = session_id(path, quiet)
        if other == key and (sid or other_continued):
            members.append(path)
        elif other is None and not other_continued and path.name[:19] == start:
            unnamed_first.append(path)
    if sid is None and len(members) == 1:
        return None, members  # nothing continues it: a session of its own, id unknown
    firsts = [p for p in members if not session_id(p, quiet)[1]]
    if not firsts and unnamed_first:
        members.append(unnamed_first[-1])
    return key, sorted(members, key=lambda p: p.name)


def read_massgen_session(sid: str | None, dirs: list[Path], warn: Warnings,
                         brief: bool = False) -> MassgenSession:
    """Every log dir of a MassGen session, read; each attempt carries the session's id."""
    # Imported here: a listing drawn from the row cache never needs the readers or attrs.
    import attrs

    from massgen_plugins.logs.model import MassgenSession
    from massgen_plugins.logs.reader import read_session

    read = [read_session(d, warn, brief=brief) for d in dirs]
    if sid and not brief:  # a listing shows the session's id, not each attempt's
        # A first turn records no session id in its metadata (null); it has the session's.
        read = [attrs.evolve(d, turns=tuple(attrs.evolve(t, attempts=tuple(
            a if a.session_id else attrs.evolve(a, session_id=sid) for a in t.attempts))
            for t in d.turns)) for d in read]
    return MassgenSession(session_id=sid, dirs=tuple(read))


def session_row(sid: str | None, dirs: list[Path], warn: Warnings) -> dict[str, Any]:
    """`logs list`'s row of a session: `list_row` of the session read brief, or the same fields
    read the short way for a finished session of one dir (see `quick.quick_attempt`)."""
    from massgen_plugins.logs.quick import quick_attempt

    if len(dirs) == 1 and (fields := quick_attempt(dirs[0])) is not None:
        path = dirs[0]
        return {"name": path.name, "path": str(path), "started": started(path.name),
                **fields, "turns": 1, "session_id": sid, "log_dirs": [path.name]}
    return list_row(read_massgen_session(sid, dirs, warn, brief=True))


def _turn_totals(session: MassgenSession) -> list[Any]:
    """The attempt whose totals stand for each turn: the last one that recorded any.

    After a restart, attempt_2's totals include attempt_1's, so adding them would count
    attempt_1 twice.
    """
    out = []
    for d in session.dirs:
        for t in d.turns:
            recorded = [a for a in t.attempts if a.tokens.input or a.tokens.output or a.cost]
            out.append(recorded[-1] if recorded else t.attempts[-1] if t.attempts else None)
    return [a for a in out if a is not None]


def list_row(session: MassgenSession) -> dict[str, Any]:
    """One MassGen session as `logs list --json` reports it.

    The files each field needs (in the attempts of every log dir of the session; reading them
    with `read_session(..., brief=True)` reads nothing else):

    - name, path, started, log_dirs: the dir names (newest, oldest).
    - session_id: turn_1/attempt_1's execution_metadata.yaml of a --continue dir, or the
      first 64 KB of the first turn's massgen.log (see `session_id`).
    - question: status.json meta.question, else execution_metadata.yaml query.
    - winner: status.json results.winner, else the end of events.jsonl (a timeout's selected
      agent, the presenter), else the name of the one dir in final/.
    - agents: status.json agents, ordered by execution_metadata.yaml's config.
    - turns: the turn_N dirs.
    - duration_s: status.json meta.elapsed_seconds, else the first and last events.
    - cost, cost_note, input_tokens, output_tokens: status.json costs and agents.*.token_usage
      (metrics_summary.json only when status.json cannot be read); for a turn that restarted,
      its last attempt's (cumulative) totals; for a run that stopped, also which agents the
      end of events.jsonl shows streaming (their tokens, if none were counted, are unknown).
    - finish_reason: status.json.
    - outcome, outcome_evidence: status.json, execution_metadata.yaml cli_args.failure_stage,
      whether metrics_summary.json and turn_N/final exist, the last 8 MB of events.jsonl.
    - analyzed: whether an ANALYSIS_REPORT.md exists (session, turn or attempt dir).
    """
    latest = session.latest
    newest, oldest = session.dirs[-1], session.dirs[0]
    counted = _turn_totals(session)
    unknown = [a for a in counted if a.cost is None]
    tokens_known = all(a.tokens_known for a in counted)
    agents = sorted({g.agent_id for a in session.attempts for g in a.agents})
    return {
        "name": newest.name, "path": str(newest.path), "started": started(oldest.name),
        "question": next((a.question for a in reversed(session.attempts) if a.question), None),
        "winner": latest.winner if latest else None, "agents": agents,
        "turns": len(session.turns),
        "duration_s": sum(a.duration_s or 0 for a in session.attempts) or None,
        "cost": None if unknown or not counted else sum(a.cost or 0.0 for a in counted),
        "cost_note": "; ".join(dict.fromkeys(a.cost_note for a in unknown if a.cost_note))
                     or (None if counted else "no turn recorded a cost"),
        # null when a turn's tokens are not all recorded (see reader: Attempt.tokens_known)
        "input_tokens": sum(a.tokens.input for a in counted) if tokens_known else None,
        "output_tokens": sum(a.tokens.output for a in counted) if tokens_known else None,
        "finish_reason": latest.finish_reason if latest else None,
        "outcome": latest.outcome if latest else None,
        "outcome_evidence": list(latest.outcome_evidence) if latest else [],
        "analyzed": any(d.analyzed for d in session.dirs),
        "session_id": session.session_id, "log_dirs": [d.name for d in session.dirs],
    }


_STAMP = re.compile(r"(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})")


def started(name: str) -> str | None:
    """The start a log dir's name records, `YYYY-MM-DD HH:MM:SS`."""
    # Not datetime.strptime: importing it costs a listing more than reading ten runs.
    from datetime import datetime

    m = _STAMP.fullmatch(name[4:19])
    try:
        if m is None:
            return None
        year, month, day, hour, minute, second = map(int, m.groups())
        return datetime(year, month, day, hour, minute, second).isoformat(sep=" ")
    except ValueError:
        return None


def session_of(session: Session) -> MassgenSession:
    """A log dir read alone, as a MassGen session of one dir."""
    from massgen_plugins.logs.model import MassgenSession

    return MassgenSession(session_id=session.session_id, dirs=(session,))
