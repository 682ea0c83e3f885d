"""A listing's short path: the row fields of the commonest finished run, without the run model.

A listing reads thousands of runs; nearly all are one turn of one attempt that MassGen marked
completed, with a winner. For those, the general reader's care (every file resolved and
checked, every fallback tried, the whole attrs model of the run built) was most of a
listing's time, and loading that model most of a short listing's. Here the folders are
listed once and only the fields a row shows are worked out, from status.json, whether
execution_metadata.yaml records a failure, and the end of events.jsonl. Anything out of the
ordinary (a link, a second turn or attempt, a failure or missing field, a value that would
draw a warning, an event line that is not plainly an event) returns None, so the general
reader reads the run and reports it. tests/logs/test_quick_rows.py holds both to the same rows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from massgen_plugins.data import DataError, parse_json
from massgen_plugins.logs import files as f
from massgen_plugins.logs.event_lines import lines_of_type, tail_holding
from massgen_plugins.logs.files import NUMBERED, REPORT, Warnings, entries_at, plain_name
from massgen_plugins.logs.outcome import EndFacts, decide
from massgen_plugins.logs.status import by_outcome, cost_of, failed_agents, usage_cost


def quick_attempt(path: Path) -> dict[str, Any] | None:
    """The `logs list` fields of a log dir's one attempt, for the commonest finished run; None
    for any other.

    Keys: question, winner, agents, duration_s, cost, cost_note, input_tokens,
    output_tokens, finish_reason, outcome, outcome_evidence, analyzed (as
    `sessions.list_row` spells them).
    """
    folders: list[int] = []
    try:
        # Each folder opened in the one before, never through a link (see files.open_within).
        folders.append(f.open_root(path))
        top = entries_at(folders[-1])
        if sorted(n for n in top if NUMBERED.match(n)) != ["turn_1"] or top["turn_1"] != "dir":
            return None
        folders.append(f.open_within(folders[-1], ("turn_1",), directory=True)[0])
        in_turn = entries_at(folders[-1])
        if (sorted(n for n in in_turn if NUMBERED.match(n)) != ["attempt_1"]
                or in_turn["attempt_1"] != "dir"):
            return None
        folders.append(f.open_within(folders[-1], ("attempt_1",), directory=True)[0])
        own = entries_at(folders[-1])
        return _fields(path, top, in_turn, own, *folders[1:])
    except OSError:
        return None
    finally:
        for fd in folders:
            os.close(fd)


def _fields(path: Path, top: dict[str, str], in_turn: dict[str, str], own: dict[str, str],
            turn_dir: int, attempt_dir: int) -> dict[str, Any] | None:
    """quick_attempt's answer, from the three folders' entries and the open turn and attempt."""
    if any(REPORT in entries and entries[REPORT] != "file" for entries in (top, in_turn, own)):
        return None
    if any(own.get(name) != "file" for name in ("status.json", "execution_metadata.yaml",
                                               "events.jsonl")):
        return None
    if (own.get("metrics_summary.json", "file") != "file"
            or in_turn.get("final", "dir") != "dir"
            or ("final" in in_turn and not os.access("final", os.X_OK, dir_fd=turn_dir))):
        return None
    raw = f.read_within(attempt_dir, ("status.json",), f.MAX_JSON_BYTES)
    meta = f.read_within(attempt_dir, ("execution_metadata.yaml",), f.MAX_YAML_BYTES)
    try:
        status, bad = parse_json(raw) if raw and raw.strip() else (None, 1)
    except DataError:
        return None
    question = f.text_field(status, "meta", "question")
    winner = f.text_field(status, "results", "winner")
    if (bad or not isinstance(status, dict) or meta is None or b"failure_" in meta
            or not question or status.get("finish_reason") != "completed"
            or not winner or not plain_name(winner)):
        return None
    ending = _presentation(attempt_dir)
    if ending is None:
        return None
    events_bytes, whole, locked = ending
    s_path = path / "turn_1" / "attempt_1" / "status.json"
    local = Warnings()
    duration = f.number(status, "meta", "elapsed_seconds", where=s_path, warn=local)
    outcomes, counts = by_outcome(status.get("rounds") or {})
    s_agents, failed = failed_agents(status)
    outcome, evidence = decide(EndFacts(
        status_read=True, finish_reason="completed",
        finish_details=f.text_field(status, "finish_reason_details"),
        phase=f.text_field(status, "coordination", "phase"),
        presentation_rounds=counts.get("presentation") if outcomes is not None else None,
        metrics_written=own.get("metrics_summary.json") == "file",
        events_bytes=events_bytes, events_whole=whole,
        presentation_started=True, answer_locked=locked,
        turn_final=in_turn.get("final") == "dir", winner=winner, failed_agents=failed,
        agents=len(s_agents)))
    costs = status.get("costs") or {}
    tokens_in = int(f.number(costs, "total_input_tokens", where=s_path, warn=local) or 0)
    tokens_out = int(f.number(costs, "total_output_tokens", where=s_path, warn=local) or 0)
    recorded = f.number(costs, "total_estimated_cost", where=s_path, warn=local)
    if duration is None or local.lines:
        return None
    usage = {str(a): f.mapping(f.mapping(s).get("token_usage")) for a, s in s_agents.items()}
    cost, note = cost_of(recorded, tokens_in + tokens_out,
                         tuple(a for a, u in usage.items() if usage_cost(u) is None), (), None)
    return {"question": question, "winner": winner, "agents": sorted(usage),
            "duration_s": duration or None,
            # The sums list_row takes over a session's turns, of one turn here.
            "cost": None if cost is None else sum([cost or 0.0]),
            "cost_note": (note or None) if cost is None else None,
            "input_tokens": tokens_in, "output_tokens": tokens_out,
            "finish_reason": "completed", "outcome": outcome,
            "outcome_evidence": list(evidence),
            "analyzed": REPORT in top or REPORT in in_turn or REPORT in own}


def _presentation(attempt_dir: int) -> tuple[int, bool, bool] | None:
    """(size, whether the window is the whole file, whether the answer was locked) of a settled
    attempt whose events' window ends in a final presentation by a named agent; None otherwise.

    As `reader.read_ending(settled=True)` finds it: the last final_presentation_start in the
    whole lines of the last TAIL_BYTES, then an answer_locked after it. Only the end of the
    file is read, back to where the presentation began (see lines.tail_holding).
    """
    try:
        fd, info = f.open_within(attempt_dir, ("events.jsonl",))
    except OSError:
        return None
    try:
        tail = tail_holding(fd, info.st_size, "final_presentation_start") if info.st_size else None
    except OSError:
        tail = None
    finally:
        os.close(fd)
    if tail is None:
        return None
    data, begin, whole = tail
    start = next(lines_of_type(data, "final_presentation_start", begin), None)
    if start is None:
        return None
    presented = _event(start[1])
    if (presented.get("event_type") != "final_presentation_start"
            or not isinstance(presented.get("agent_id"), str)):
        return None
    lock = next(lines_of_type(data, "answer_locked", start[0]), None)
    if lock is not None and _event(lock[1]).get("event_type") != "answer_locked":
        return None
    return info.st_size, whole, lock is not None


def _event(line: bytes) -> dict[str, Any]:
    """The event on a line when it is plainly one (as `jsonl.parse_event` would take it), else {}.

    Stricter than parse_event, never looser: what orjson parses, json parses the same; a line
    deep enough to need parse_event's check, or without a timestamp, is left to it.
    """
    if line.count(b"[") + line.count(b"{") > 64:
        return {}
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(obj, dict) or not isinstance(obj.get("event_type"), str) or not isinstance(
            obj.get("timestamp"), str):
        return {}
    return obj
