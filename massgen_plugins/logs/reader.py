"""Reading MassGen's on-disk run format (massgen 0.1.97) into the model, tolerating damage.

Sources, by preference: `status.json` (per-agent state, winner, results), `metrics_summary.json`
(totals, tools, rounds, API timing, subagents), the answer and vote snapshots, and
`execution_metadata.yaml` (question, version, config order, start-up failures). Of
`events.jsonl`, only its first line and its last TAIL_BYTES are read (how the run ended:
the final presentation and MassGen's tally, answer_locked, a timeout, a restart); it is
streamed whole only for a run that left no answer or vote snapshot, to find them there.
massgen.log is streamed once (errors, unpriced models, compression lines).

Every file is read through `RunFiles`, inside the session directory. Names taken from file
content (the winner, agent ids) are used in a path only when they are plain names.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from massgen_plugins.logs import files as f
from massgen_plugins.logs.compressions import read_compressions
from massgen_plugins.logs.event_lines import tail_holding
from massgen_plugins.logs.events_file import (
    agents_streaming,
    events_of,
    first_and_last,
    last_of_type,
    read_events,
    tail_window,
)
from massgen_plugins.logs.files import NUMBERED, REPORT, RunFiles, Warnings, plain_name
from massgen_plugins.logs.model import (
    AgentSummary,
    Answer,
    ApiTiming,
    Attempt,
    Session,
    Tokens,
    ToolStat,
    Turn,
    Vote,
)
from massgen_plugins.logs.outcome import (
    COMPLETED,
    ENDING_TYPES,
    FAILED,
    INTERRUPTED,
    TIMED_OUT,
    EndFacts,
    decide,
)
from massgen_plugins.logs.status import by_outcome, cost_of, failed_agents, usage_cost

_ERROR_LINE = re.compile(r"\|\s*(ERROR|CRITICAL)\s*\|\s*(.*)")
MAX_LOG_ERRORS = 20
# Only the start of a massgen.log line is read: one line with no newline in 2 GB is damage.
MAX_LOG_LINE = 64 * 1024


def natural_key(path: Path) -> list[Any]:
    """Sort key that puts turn_10 after turn_2."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def numbered(parent: Path, kind: str, run: RunFiles) -> list[tuple[int, Path]]:
    """The `turn_N` or `attempt_N` directories under `parent`, in natural order."""
    found = []
    for child in run.list_dir(parent):
        m = NUMBERED.match(child.name)
        if m and m.group(1) == kind and run.is_dir(child):
            found.append((int(m.group(2)), child))
    return sorted(found)


def read_session(path: Path, warn: Warnings | None = None, brief: bool = False) -> Session:
    """Read a `log_*` session directory: every turn and attempt that can be read.

    `brief` reads only what `logs list` shows (see `read_attempt`).
    """
    warn = warn or Warnings()
    run = RunFiles(path, warn)
    layout = [(number, turn_dir, numbered(turn_dir, "attempt", run))
              for number, turn_dir in numbered(path, "turn", run)]
    borrowed = _continued_turn(layout, run)
    turns = []
    for number, turn_dir, attempt_dirs in layout:
        if any(stub.parent == turn_dir for stub in borrowed.values()):
            continue
        attempts = tuple(
            read_attempt(a, number, n, warn, borrowed.get(a), root=path,
                         later=attempt_dirs[i + 1][0] if i + 1 < len(attempt_dirs) else None,
                         brief=brief)
            for i, (n, a) in enumerate(attempt_dirs))
        turns.append(Turn(number=number, path=turn_dir, attempts=attempts))
    if not turns:
        warn.add(path, "holds no turn_N directories; nothing to show")
    analyzed = run.kind(path / REPORT) == "file" or any(
        run.kind(t.path / REPORT) == "file" or any(a.analyzed for a in t.attempts) for t in turns)
    return Session(path=path, turns=tuple(turns), analyzed=analyzed, warnings=tuple(warn))


_STUB_FILES = ("events.jsonl", "massgen.log", "execution_metadata.yaml")


def _continued_turn(layout: list[tuple[int, Path, list[tuple[int, Path]]]],
                    run: RunFiles) -> dict[Path, Path]:
    """Attempt dirs whose events, log and metadata MassGen wrote into an earlier turn's dir.

    `massgen --continue` makes a new session whose turn_1/attempt_1 holds only events.jsonl,
    massgen.log and execution_metadata.yaml, all for turn N, while turn_N/attempt_1 holds the
    rest and no events. Maps the later attempt dir to the stub that holds its files.
    """
    found: dict[Path, Path] = {}
    if len(layout) < 2 or len(layout[0][2]) != 1:
        return found
    stub = layout[0][2][0][1]
    if is_continue_stub(stub, run) is not True:
        return found
    for _number, _turn_dir, attempts in layout[1:]:
        # A turn killed before it wrote status.json still takes its files from the stub.
        if attempts and run.kind(attempts[0][1] / "events.jsonl") is None:
            found[attempts[0][1]] = stub
            break
    return found


def is_continue_stub(attempt: Path, run: RunFiles) -> bool:
    """True for a turn_1/attempt_1 that holds only a --continue turn's events, log and metadata."""
    return (run.kind(attempt / "status.json") is None
            and run.kind(attempt / "metrics_summary.json") is None
            and run.kind(attempt / "events.jsonl") == "file"
            and any(p.name.startswith("turn_") and p.name != "turn_1"
                    for p in run.list_dir(attempt.parent.parent)))


def read_attempt(path: Path, turn: int, number: int, warn: Warnings,
                 stub: Path | None = None, root: Path | None = None,
                 later: int | None = None, brief: bool = False) -> Attempt:
    """Read one attempt directory into an `Attempt`; `stub` holds its events, log and metadata.

    `later` is the number of the turn's next attempt, if MassGen restarted this one. Nothing
    outside `root` (by default the session: the attempt's grandparent) is read. `brief` reads
    only the small files and the ends of events.jsonl (status.json, execution_metadata.yaml,
    metrics_summary.json only without a readable status.json): no snapshot, no massgen.log,
    no final answer text, no compression; those fields stay empty.
    """
    local = Warnings()
    run = RunFiles(root or path.parent.parent, local)
    own = {name: path / name for name in _STUB_FILES}
    if stub is not None:
        own = {name: (p if run.kind(p) is not None else stub / name) for name, p in own.items()}
    status = run.read_json(path / "status.json")
    metrics = (run.read_json(path / "metrics_summary.json")
               if not brief or not isinstance(status, dict) else None)
    meta_path = own["execution_metadata.yaml"]
    raw_meta = run.read_bytes(meta_path, f.MAX_YAML_BYTES)
    # Parsing the metadata (pure-Python YAML) cost a listing 70% of its time; brief needs it
    # only for a failure_stage/failure_error, or for a question status.json lacks.
    needed = not brief or (raw_meta is not None and (
        b"failure_" in raw_meta or not isinstance(status, dict)
        or not f.text_field(status, "meta", "question")))
    meta = run.parse_yaml(meta_path, raw_meta) if needed else None
    for name, data in (("status.json", status), ("metrics_summary.json", metrics)):
        if data is not None and not isinstance(data, dict):
            local.add(path / name, f"holds {type(data).__name__}, not an object; skipped")
    status_read = isinstance(status, dict)
    status = status if isinstance(status, dict) else {}
    metrics = metrics if isinstance(metrics, dict) else {}
    meta = meta if isinstance(meta, dict) else {}
    s_path, m_path = path / "status.json", path / "metrics_summary.json"

    def num(data: Any, where: Path, *keys: str) -> float | None:
        return f.number(data, *keys, where=where, warn=local)

    events = own["events.jsonl"]
    has_events = run.is_file(events)
    settled = (brief and later is None and isinstance(status, dict)
               and status.get("finish_reason") == "completed")
    ending = read_ending(events, local, settled, run) if has_events else Ending()
    order = config_order(meta)
    answers: tuple[Answer, ...] = ()
    votes: tuple[Vote, ...] = ()
    log = LogFacts()
    if not brief:
        answers = _answers(path, run, order) or (_event_answers(events, run) if has_events
                                                 else ())
        votes = _votes(path, run)
        if not votes and has_events:
            votes = _event_votes(events, run)
        votes = mark_final(votes)
        log = scan_log(own["massgen.log"], run)
    winner = (f.text_field(status, "results", "winner") or f.text_field(metrics, "meta", "winner")
              or ending.selected or _final_dir_agent(path, run) or ending.presenter)
    final_answer = final_path = None
    if winner and not plain_name(winner):
        local.add(s_path, f"winner {winner!r} is not an agent id; its final answer is not read")
    elif winner and not brief:
        for final_path in (path / "final" / winner / "answer.txt",
                           path.parent / "final" / winner / "answer.txt"):
            final_answer = run.read_text(final_path)
            if final_answer:
                break
        else:
            final_path = None
    if not final_answer and ending.final_answer:
        final_answer, final_path = ending.final_answer, events
    # MassGen resets a restarted attempt's status.json to an empty start for the next attempt:
    # its times and agents are the next attempt's beginning, not this one's.
    reset = (later is not None and status_read and status.get("finish_reason") == "in_progress"
             and not status.get("agents"))
    duration = None if reset else num(status, s_path, "meta", "elapsed_seconds")
    # brief: the first event only stands in for a missing elapsed_seconds.
    first_event = (first_and_last(events, local, run)[0]
                   if has_events and (not brief or duration is None) else None)
    if duration is None and first_event and ending.last:
        duration = max(0.0, ending.last.time - first_event.time)
    start = first_event.timestamp if first_event else None if reset else _iso(
        num(status, s_path, "meta", "start_time"))
    finish = f.text_field(status, "finish_reason")
    rounds = metrics.get("rounds") or status.get("rounds") or {}
    outcomes, counts = by_outcome(rounds)
    s_agents, failed = failed_agents(status)
    facts = EndFacts(
        status_read=status_read, finish_reason=finish,
        finish_details=f.text_field(status, "finish_reason_details"),
        phase=f.text_field(status, "coordination", "phase"),
        presentation_rounds=counts.get("presentation") if outcomes is not None else None,
        metrics_written=run.is_file(m_path),
        failure_stage=_text(f.get(meta, "cli_args", "failure_stage")),
        failure_error=_text(f.get(meta, "cli_args", "failure_error")),
        events_bytes=ending.size, events_whole=ending.whole,
        presentation_started=ending.presenter is not None, answer_locked=ending.locked,
        timeout=ending.timeout, restart=ending.restart,
        last_event_time=ending.last.time if ending.last else None,
        turn_final=run.is_dir(path.parent / "final"), later_attempt=later, winner=winner,
        failed_agents=failed, agents=len(s_agents))
    outcome, evidence = decide(facts)
    agents = _agents(path, status, metrics, answers, votes, run, order, winner, outcome,
                     brief=brief, meta=meta, streamed=ending.streamed,
                     restarts=_event_restarts(events, run) if reset and not brief else {})
    errors = _errors(status, meta, run, log, bug=any("not a failure" in e for e in evidence))
    tools = () if brief else _tools(metrics.get("tools") or status.get("tools"), m_path, local)
    totals = metrics.get("totals") or {}
    costs = status.get("costs") or {}
    tokens = Tokens(
        input=int(num(totals, m_path, "input_tokens") or num(costs, s_path, "total_input_tokens")
                  or 0),
        output=int(num(totals, m_path, "output_tokens")
                   or num(costs, s_path, "total_output_tokens") or 0),
        reasoning=int(num(totals, m_path, "reasoning_tokens") or 0),
        cached=sum(g.tokens.cached for g in agents),
    )
    recorded = num(totals, m_path, "estimated_cost")
    if recorded is None:
        recorded = num(costs, s_path, "total_estimated_cost")
    # Agents that streamed, of which MassGen counted no token: it counts a round's tokens when
    # the round ends, and the run stopped first.
    uncounted = tuple(g.agent_id for g in agents if not g.tokens_known and g.status is not None)
    if not uncounted and not tokens.input + tokens.output and outcome != COMPLETED:
        uncounted = tuple(sorted(ending.streamed))
    cost, note = cost_of(recorded, tokens.input + tokens.output,
                         tuple(g.agent_id for g in agents if g.cost is None and g.tokens_known),
                         log.unpriced, later, uncounted)
    timing = metrics.get("api_timing")
    # No metrics file (a killed run), or none of its timing: unknown, not 0 calls.
    timed = isinstance(timing, dict) and facts.metrics_written
    timing = timing if isinstance(timing, dict) else {}
    tally, tie, source = tally_of(votes, ending, order)
    compressions = () if brief else read_compressions(path, run, stub=stub, log=log.compressions,
                                                      day=_day(first_event, status))
    attempt = Attempt(
        path=path, turn=turn, number=number,
        question=(f.text_field(metrics, "meta", "question") or f.text_field(status, "meta", "question")
                  or f.text_field(meta, "query")),
        finish_reason=finish, finish_details=f.text_field(status, "finish_reason_details"),
        winner=winner, duration_s=duration, start_time=start,
        cost=cost, massgen_cost=float(recorded or 0.0), cost_note=note,
        tokens=tokens, total_rounds=int(num(rounds, m_path, "total_rounds") or 0),
        rounds_by_outcome=counts, tools=tools,
        tool_calls=sum(t.calls for t in tools), tool_failures=sum(t.failures for t in tools),
        api_timing=ApiTiming(
            calls=int(num(timing, m_path, "total_calls") or 0) if timed else None,
            total_ms=float(num(timing, m_path, "total_time_ms") or 0.0) if timed else None,
            avg_ms=float(num(timing, m_path, "avg_time_ms") or 0.0) if timed else None,
            avg_ttft_ms=float(num(timing, m_path, "avg_ttft_ms") or 0.0) if timed else None,
            by_backend=f.get(timing, "by_backend") if isinstance(f.get(timing, "by_backend"),
                                                                 dict) else {}),
        subagents=f.mapping(metrics.get("subagents")),
        agents=agents, answers=answers, votes=votes, final_answer=final_answer,
        errors=errors, timed_out=outcome == TIMED_OUT or bool(counts.get("timeout")),
        massgen_version=str(meta["massgen_version"]) if meta.get("massgen_version") else None,
        events_path=events if has_events else None, events_bytes=facts.events_bytes,
        analyzed=run.kind(path / REPORT) == "file", compressions=compressions,
        warnings=tuple(local),
        outcome=outcome, outcome_evidence=evidence, tally=tally, tie=tie, tally_source=source,
        agent_order=order, session_id=_text(f.get(meta, "cli_args", "session_id")),
        cumulative=number > 1, last_event_time=facts.last_event_time,
        restart_reason=_text(f.get(ending.restart, "reason")) if ending.restart else None,
        tokens_known=not uncounted, final_answer_path=final_path,
    )
    for line in local:
        warn.lines.append(line)
    return attempt


def _text(value: Any) -> str | None:
    """A scalar from a run file as text (YAML may read `1` as a number), or None."""
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def config_order(meta: dict[str, Any]) -> tuple[str, ...]:
    """The agent ids in the order the run's config lists them (MassGen breaks ties by it)."""
    listed = f.get(meta, "config", "agents")
    if not isinstance(listed, list):
        one = f.get(meta, "config", "agent")
        listed = [one] if isinstance(one, dict) else []
    ids = [str(a["id"]) for a in listed if isinstance(a, dict)
           and isinstance(a.get("id"), (str, int)) and not isinstance(a.get("id"), bool)]
    return tuple(dict.fromkeys(ids))


@attrs.frozen
class Ending:
    """What the end of events.jsonl says: the final presentation, a timeout, a restart."""

    presenter: str | None = None  # the agent of the last final_presentation_start
    vote_counts: dict[str, int] | None = None
    is_tie: bool | None = None
    locked: bool = False
    final_answer: str | None = None
    timeout: dict[str, Any] | None = None
    selected: str | None = None  # the agent an orchestrator timeout selected
    restart: dict[str, Any] | None = None
    last: Any = None  # the last whole event
    whole: bool = True  # the tail read covered the whole file
    size: int = 0  # the file's size when it was read
    streamed: frozenset[str] = frozenset()  # agents with output events in the tail read


def read_ending(events: Path, warn: Warnings, settled: bool = False,
                run: RunFiles | None = None) -> Ending:
    """The ending facts of an events.jsonl, from its last TAIL_BYTES only.

    `settled`: status.json says the attempt completed and no attempt follows it. Then only
    the last final presentation and whether its answer was locked can change the outcome
    (MassGen writes `completed` only when no orchestrator timeout happened; a restart matters
    only before a later attempt), and they are looked up from the end (the last event, the
    final answer's text, timeouts and restarts are left out). A window with no final
    presentation is read in full.
    """
    run = run or RunFiles(events.parent, warn)
    if settled and (ending := _presentation_ending(events, run)) is not None:
        return ending
    data, whole = tail_window(events, warn, run=run)
    found, last = events_of(data, ENDING_TYPES)
    presenter = counts = tie = final = timeout = selected = restart = None
    locked = False
    for e in found:
        d = e.data
        if e.event_type == "final_presentation_start":
            presenter, locked, final = e.agent_id, False, None
            counts = _vote_counts(d.get("vote_counts"))
            tie = d.get("is_tie") if isinstance(d.get("is_tie"), bool) else None
        elif e.event_type == "final_answer" and isinstance(d.get("content"), str):
            final = d["content"]
        elif e.event_type == "answer_locked":
            locked = True
        elif e.event_type == "orchestrator_timeout":
            timeout = dict(d)
            selected = d.get("selected_agent") if isinstance(d.get("selected_agent"), str) else None
        elif e.event_type == "restart_banner":
            restart = dict(d)
    return Ending(presenter=presenter, vote_counts=counts, is_tie=tie, locked=locked,
                  final_answer=final, timeout=timeout,
                  selected=selected, restart=restart, last=last, whole=whole,
                  size=info.st_size if (info := run.stat(events)) else 0,
                  streamed=frozenset(agents_streaming(data)))


def _presentation_ending(events: Path, run: RunFiles) -> Ending | None:
    """A settled attempt's Ending (see read_ending), or None when its window holds no final
    presentation. Only the end of the file is read, back to where the presentation began."""
    fh = run.open(events)
    if fh is None:
        return None
    with fh:
        size = os.fstat(fh.fileno()).st_size
        try:
            tail = tail_holding(fh.fileno(), size, "final_presentation_start") if size else None
        except OSError:
            return None
    if tail is None:
        return None
    data, begin, whole = tail
    start = last_of_type(data, "final_presentation_start", begin)
    if start is None:
        return None
    at, e = start
    tie = e.data.get("is_tie")
    return Ending(presenter=e.agent_id, vote_counts=_vote_counts(e.data.get("vote_counts")),
                  is_tie=tie if isinstance(tie, bool) else None,
                  locked=last_of_type(data, "answer_locked", at) is not None,
                  whole=whole, size=size)


def _vote_counts(raw: Any) -> dict[str, int] | None:
    return ({str(k): v for k, v in raw.items() if isinstance(v, int) and not isinstance(v, bool)}
            if isinstance(raw, Mapping) else None)


def mark_final(votes: tuple[Vote, ...]) -> tuple[Vote, ...]:
    """The votes, oldest first, each marked final when it is its voter's last."""
    last = {v.voter: i for i, v in enumerate(votes)}
    return tuple(attrs.evolve(v, final=last[v.voter] == i) for i, v in enumerate(votes))


def tally_of(votes: tuple[Vote, ...], ending: Ending,
             order: tuple[str, ...]) -> tuple[dict[str, int], bool, str | None]:
    """Agent -> votes, whether the top is tied, and where it came from.

    MassGen's own count (final_presentation_start) when the run got that far; otherwise the
    final votes, counted the way MassGen counts them.
    """
    counts: dict[str, int]
    source: str | None
    if ending.vote_counts is not None:
        counts = dict(ending.vote_counts)
        tie = ending.is_tie if ending.is_tie is not None else _tied(counts)
        source = "final_presentation_start"
    else:
        counts = {}
        for v in votes:
            if v.final and v.target:
                counts[v.target] = counts.get(v.target, 0) + 1
        tie, source = _tied(counts), ("votes" if counts else None)
    rank = {agent: i for i, agent in enumerate(order)}
    # Most votes first; among equals, the config order MassGen breaks ties by.
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], rank.get(kv[0], len(rank)), kv[0]))
    return dict(ordered), tie, source


def _tied(counts: dict[str, int]) -> bool:
    top = max(counts.values(), default=0)
    return top > 0 and sum(1 for c in counts.values() if c == top) > 1


def _day(first_event: Any, status: dict[str, Any]) -> str | None:
    """The run's date (YYYY-MM-DD), to place massgen.log's times of day."""
    if first_event is not None:
        return str(first_event.timestamp[:10])
    start = _iso(f.number(status, "meta", "start_time"))
    return start[:10] if start else None


def _iso(epoch: float | None) -> str | None:
    from datetime import datetime

    try:
        return datetime.fromtimestamp(epoch).isoformat() if epoch else None
    except (ValueError, OverflowError, OSError):  # a time no clock reaches
        return None


def _final_dir_agent(path: Path, run: RunFiles) -> str | None:
    for final in (path / "final", path.parent / "final"):
        agents = [p.name for p in run.list_dir(final) if run.is_dir(p)]
        if len(agents) == 1:
            return agents[0]
    return None


def _snapshots(path: Path, run: RunFiles) -> list[tuple[str, Path]]:
    """(agent_id, snapshot dir) for every answer or vote snapshot, oldest first."""
    found = []
    for agent_dir in run.list_dir(path):
        if not agent_dir.name.startswith("agent_") or agent_dir.name == "agent_outputs":
            continue
        if not run.is_dir(agent_dir):
            continue
        for snap in run.list_dir(agent_dir):
            if run.is_dir(snap):
                found.append((agent_dir.name, snap))
    return sorted(found, key=lambda item: (item[1].name, item[0]))


def _answers(path: Path, run: RunFiles, order: tuple[str, ...] = ()) -> tuple[Answer, ...]:
    mappings = run.read_json(path / "snapshot_mappings.json")
    labels: dict[str, str] = {}
    if isinstance(mappings, dict):
        for label, entry in mappings.items():
            if isinstance(entry, dict) and entry.get("type") == "answer":
                labels[str(entry.get("path"))] = label
    answers = []
    made: dict[str, int] = {}
    for agent, snap in _snapshots(path, run):
        file = snap / "answer.txt"
        if not run.is_file(file):
            continue
        made[agent] = made.get(agent, 0) + 1
        rel = f"{agent}/{snap.name}/answer.txt"
        # Without snapshot_mappings.json (a run stopped before writing it): MassGen's own
        # label, agent<N>.<k>, N the agent's place in the config, k its answer's number.
        label = labels.get(rel) or (f"agent{order.index(agent) + 1}.{made[agent]}"
                                    if agent in order else f"{agent}@{snap.name}")
        answers.append(Answer(agent_id=agent, label=label, path=file, text=run.read_text(file)))
    return tuple(answers)


def _votes(path: Path, run: RunFiles) -> tuple[Vote, ...]:
    votes = []
    for agent, snap in _snapshots(path, run):
        file = snap / "vote.json"
        if not run.is_file(file):
            continue
        data = run.read_json(file)
        if not isinstance(data, dict):
            continue
        votes.append(Vote(voter=f.text_field(data, "voter_id") or agent,
                          target=f.text_field(data, "voted_for"),
                          reason=f.text_field(data, "reason") or "",
                          label=f.text_field(data, "voted_for_label")))
    return tuple(votes)


def _event_votes(events: Path, run: RunFiles) -> tuple[Vote, ...]:
    """The votes events.jsonl records: a run stopped before MassGen wrote any vote snapshot."""
    return tuple(Vote(voter=e.agent_id or "?", target=_text(e.data.get("target_id")),
                      reason=_text(e.data.get("reason")) or "")
                 for e in read_events(events, run.warn, ("vote",), run) if e.agent_id)


def _event_answers(events: Path, run: RunFiles) -> tuple[Answer, ...]:
    """The answers events.jsonl records (their first 500 characters) when no snapshot holds them."""
    return tuple(Answer(agent_id=e.agent_id or "?", label=_text(e.data.get("answer_label")) or "?",
                        path=events, text=_text(e.data.get("content")))
                 for e in read_events(events, run.warn, ("answer_submitted",), run)
                 if e.agent_id)


def end_state(agent_id: str, failed: bool, answers: int, voted: bool, winner: str | None,
              outcome: str) -> str:
    """How an agent's part ended: winner, voted, answered, failed, or how the run stopped it
    (interrupted, timed_out, stopped)."""
    if failed:
        return "failed"
    if agent_id == winner:
        return "winner"
    if voted:
        return "voted"
    if answers:
        return "answered"
    # Neither answered nor voted: the run's end stopped it (a killed run's log just stops).
    return {INTERRUPTED: "interrupted", TIMED_OUT: "timed_out"}.get(outcome, "stopped")


def _agents(path: Path, status: dict[str, Any], metrics: dict[str, Any],
            answers: tuple[Answer, ...], votes: tuple[Vote, ...], run: RunFiles | None,
            order: tuple[str, ...], winner: str | None, outcome: str,
            brief: bool = False, meta: dict[str, Any] | None = None,
            streamed: frozenset[str] = frozenset(),
            restarts: dict[str, int] | None = None) -> tuple[AgentSummary, ...]:
    # brief: a listing shows no agent's output, so it does not look for one.
    s_agents = f.mapping(status.get("agents"))
    m_agents = f.mapping(metrics.get("agents"))
    seen = {*s_agents, *m_agents, *(a.agent_id for a in answers), *(v.voter for v in votes)}
    models = config_models(meta or {})
    # The config's order first (panels and tables follow it), then any agent it does not list.
    # Every agent the config names is one of the run's, whether or not it got to run (a run
    # that failed at start-up wrote no status.json).
    ids = list(order) + list(dict.fromkeys(
        a for a in [*s_agents, *m_agents, *(a.agent_id for a in answers),
                    *(v.voter for v in votes)] if a not in order))
    where, warn = path / "status.json", run.warn if run else None
    final_vote = {v.voter: v.target for v in votes if v.final}
    out = []
    for agent_id in ids:
        s = f.mapping(s_agents.get(agent_id))
        m = f.mapping(m_agents.get(agent_id))
        usage = s.get("token_usage") if isinstance(s.get("token_usage"), dict) else (
            m.get("token_usage") or {})
        error = s.get("error")
        if isinstance(error, dict):
            error = ": ".join(str(x) for x in (error.get("type"), error.get("message")) if x)
        # status.json's vote_cast is an agent's *first* vote, stale once it voted again; its
        # last vote (the snapshots', or the events') is the one MassGen counted.
        vote = final_vote.get(agent_id) or f.text_field(s, "vote_cast", "voted_for_agent")
        output = None if brief or run is None else path / "agent_outputs" / f"{agent_id}.txt"
        has_output = (output is not None and run is not None and plain_name(agent_id)
                      and run.is_file(output))
        count = int(f.number(s, "answer_count", where=where, warn=warn)
                    or sum(1 for a in answers if a.agent_id == agent_id))
        tokens = Tokens(input=int(f.number(usage, "input_tokens") or 0),
                        output=int(f.number(usage, "output_tokens") or 0),
                        reasoning=int(f.number(usage, "reasoning_tokens") or 0),
                        cached=int(f.number(usage, "cached_input_tokens") or 0))
        # It streamed, and MassGen counted none of it: the run stopped before a round ended.
        known = not (agent_id in streamed and not tokens.input + tokens.output)
        state = end_state(agent_id, bool(error) or s.get("status") == "error", count,
                          vote is not None, winner, outcome)
        if agent_id not in seen and outcome == FAILED:
            state = "not_started"  # named by the config, never run
        out.append(AgentSummary(
            agent_id=agent_id, status=f.text_field(s, "status"), answers=count,
            voted_for=vote, tokens=tokens, cost=usage_cost(usage) if known else None,
            tool_calls=int(f.number(m, "tool_metrics", "total_calls") or 0),
            restarts=int(f.number(s, "times_restarted") or (restarts or {}).get(agent_id, 0)),
            error=str(error) if error else None,
            output_path=output if has_output else None,
            end_state=state, model=models.get(agent_id), tokens_known=known))
    return tuple(out)


def config_models(meta: dict[str, Any]) -> dict[str, str]:
    """Each agent's model as the run's config names it: `model` (`type`), e.g. `gpt-5 (openai)`."""
    listed = f.get(meta, "config", "agents")
    if not isinstance(listed, list):
        one = f.get(meta, "config", "agent")
        listed = [one] if isinstance(one, dict) else []
    models = {}
    for agent in listed:
        backend = f.get(agent, "backend")
        model, kind = _text(f.get(backend, "model")), _text(f.get(backend, "type"))
        if isinstance(agent, dict) and _text(agent.get("id")) and (model or kind):
            models[str(agent["id"])] = (f"{model} ({kind})" if model and kind
                                        else model or f"({kind})")[:200]
    return models


def _event_restarts(events: Path, run: RunFiles) -> dict[str, int]:
    """How often each agent restarted, by its agent_restart events."""
    counts: dict[str, int] = {}
    for e in read_events(events, run.warn, ("agent_restart",), run):
        if e.agent_id:
            counts[e.agent_id] = counts.get(e.agent_id, 0) + 1
    return counts


def _tools(data: Any, where: Path, warn: Warnings) -> tuple[ToolStat, ...]:
    by_tool = f.get(data, "by_tool")
    if not isinstance(by_tool, dict):
        return ()
    tools = []
    for name, t in by_tool.items():
        if not isinstance(t, dict):
            warn.add(where, f"tools.by_tool.{name} is not an object; skipped")
            continue
        calls = int(f.number(t, "call_count") or 0)
        total = float(f.number(t, "total_execution_time_ms") or 0.0)
        tools.append(ToolStat(name=str(name), calls=calls,
                              failures=int(f.number(t, "failure_count") or 0), total_ms=total,
                              avg_ms=float(f.number(t, "avg_execution_time_ms")
                                           or (total / calls if calls else 0.0)),
                              tool_type=f.text_field(t, "tool_type")))
    return tuple(tools)


def _errors(status: dict[str, Any], meta: dict[str, Any], run: RunFiles, log: LogFacts,
            bug: bool = False) -> tuple[str, ...]:
    """Errors and timeouts, from status.json, the start-up record and massgen.log.

    With `bug`, the failure_stage is MassGen 0.1.97's exit 1 after a completed --continue turn,
    which is no error of the run (the outcome's evidence says so).
    """
    errors = []
    if status.get("finish_reason") == "timeout":
        errors.append(f"timeout: {status.get('finish_reason_details') or 'time limit exceeded'}")
    stage = f.get(meta, "cli_args", "failure_stage")
    # A Ctrl-C is no error: the outcome says the run was interrupted.
    if stage and not bug and stage != "keyboard_interrupt":
        errors.append(f"failed during {stage}: {f.get(meta, 'cli_args', 'failure_error') or '?'}")
    agents = f.mapping(status.get("agents"))
    for agent_id, s in agents.items():
        if not isinstance(s, dict):
            continue
        error = s.get("error")
        if isinstance(error, dict) and (error.get("message") or error.get("type")):
            errors.append(f"{agent_id}: {error.get('type') or 'error'}: {error.get('message')}")
        tries = f.get(s, "reliability", "enforcement_attempts")
        for attempt in tries if isinstance(tries, list) else []:
            if isinstance(attempt, dict) and attempt.get("reason") == "api_error":
                errors.append(f"{agent_id}: API error in round {attempt.get('round')}: "
                              f"{attempt.get('error_message')}")
    errors.extend(log.errors)
    return tuple(dict.fromkeys(errors))


@attrs.frozen
class LogFacts:
    """What one pass over massgen.log found: errors, unpriced models, compression lines."""

    errors: tuple[str, ...] = ()
    unpriced: tuple[str, ...] = ()  # "ChatCompletion/fake-alpha", from "No pricing found for ..."
    compressions: tuple[tuple[str, str, str], ...] = ()  # (HH:MM:SS, level, message)


_PRICING = re.compile(r"No pricing found for (\S+)")
# What makes a massgen.log line worth a look: the file is searched for these, not walked line
# by line (300 MB of empty lines took hours that way).
_LOG_MARKS = re.compile(rb"No pricing found|ompress|\| ERROR|\| CRITICAL")
_COMPRESSION_LINE = re.compile(r"^(\d\d:\d\d:\d\d) \| (\w+)\s*\| (.*(?:triggering reactive "
                               r"compression|\[CompressionUtils\] Compressing \d+ messages|"
                               r"Compression recovery successful|Summarization failed|"
                               r"Attempting algorithmic compression for ).*)")


def scan_log(log: Path, run: RunFiles) -> LogFacts:
    """massgen.log streamed once: ERROR and CRITICAL lines (at most MAX_LOG_ERRORS), the models
    MassGen had no price for, and the lines that tell of a context compression."""
    found: list[str] = []
    unpriced: dict[str, None] = {}
    compressions: list[tuple[str, str, str]] = []
    more = 0
    fh = run.open(log)
    if fh is None:
        return LogFacts()
    try:
        with fh:
            for raw in f.marked_lines(fh, _LOG_MARKS, MAX_LOG_LINE):
                if b"No pricing found" in raw:
                    m = _PRICING.search(raw.decode("utf-8", errors="replace"))
                    if m and len(unpriced) < 20:
                        unpriced[m.group(1)[:120]] = None
                    continue
                if b"ompress" in raw and len(compressions) < 1000:
                    m = _COMPRESSION_LINE.match(raw.decode("utf-8", errors="replace").rstrip())
                    if m:
                        compressions.append((m.group(1), m.group(2), m.group(3)[:500]))
                if b"| ERROR" not in raw and b"| CRITICAL" not in raw:
                    continue
                m = _ERROR_LINE.search(raw.decode("utf-8", errors="replace"))
                if not m:
                    continue
                if len(found) < MAX_LOG_ERRORS:
                    found.append(f"massgen.log: {m.group(2).strip()[:300]}")
                else:
                    more += 1
    except OSError as exc:
        run.warn.add(log, f"cannot read ({exc.strerror}); skipped")
    if more:
        found.append(f"massgen.log: … and {more} more error lines")
    return LogFacts(errors=tuple(found), unpriced=tuple(unpriced),
                    compressions=tuple(compressions))
