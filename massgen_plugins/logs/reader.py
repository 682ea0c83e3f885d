"""Reading MassGen's on-disk run format (massgen 0.1.97) into the model, tolerating damage.

Sources, by preference: `status.json` (per-agent state, winner, results), `metrics_summary.json`
(totals, tools, rounds, API timing, subagents), the answer and vote snapshots, and
`execution_metadata.yaml` (question, version, start-up failures). `events.jsonl` is only
touched at its two ends here; it is streamed where its content is needed.

Every file is read through `RunFiles`, inside the session directory. Names taken from file
content (the winner, agent ids) are used in a path only when they are plain names.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from massgen_plugins.events.jsonl import first_and_last
from massgen_plugins.logs import files as f
from massgen_plugins.logs.compressions import read_compressions
from massgen_plugins.logs.files import RunFiles, Warnings
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

REPORT = "ANALYSIS_REPORT.md"
_NUMBERED = re.compile(r"^(turn|attempt)_(\d+)$")
_ERROR_LINE = re.compile(r"\|\s*(ERROR|CRITICAL)\s*\|\s*(.*)")
MAX_LOG_ERRORS = 20
# Only the start of a massgen.log line is read: one line with no newline in 2 GB is damage.
MAX_LOG_LINE = 64 * 1024


def natural_key(path: Path) -> list[Any]:
    """Sort key that puts turn_10 after turn_2."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def plain_name(name: str) -> bool:
    """True for a name that is one path component (an agent id), not a path: safe to join."""
    return (name not in ("", ".", "..") and "/" not in name and "\\" not in name
            and "\0" not in name and ":" not in name)


def numbered(parent: Path, kind: str, run: RunFiles) -> list[tuple[int, Path]]:
    """The `turn_N` or `attempt_N` directories under `parent`, in natural order."""
    found = []
    for child in run.list_dir(parent):
        m = _NUMBERED.match(child.name)
        if m and m.group(1) == kind and run.is_dir(child):
            found.append((int(m.group(2)), child))
    return sorted(found)


def read_session(path: Path, warn: Warnings | None = None) -> Session:
    """Read a `log_*` session directory: every turn and attempt that can be read."""
    warn = warn or Warnings()
    run = RunFiles(path, warn)
    layout = [(number, turn_dir, numbered(turn_dir, "attempt", run))
              for number, turn_dir in numbered(path, "turn", run)]
    borrowed = _continued_turn(layout, warn)
    turns = []
    for number, turn_dir, attempt_dirs in layout:
        if any(stub.parent == turn_dir for stub in borrowed.values()):
            continue
        attempts = tuple(read_attempt(a, number, n, warn, borrowed.get(a), root=path)
                         for n, a in attempt_dirs)
        turns.append(Turn(number=number, path=turn_dir, attempts=attempts))
    if not turns:
        warn.add(path, "holds no turn_N directories; nothing to show")
    analyzed = (path / REPORT).is_file() or any(
        (t.path / REPORT).is_file() or any(a.analyzed for a in t.attempts) for t in turns)
    return Session(path=path, turns=tuple(turns), analyzed=analyzed, warnings=tuple(warn))


_STUB_FILES = ("events.jsonl", "massgen.log", "execution_metadata.yaml")


def _continued_turn(layout: list[tuple[int, Path, list[tuple[int, Path]]]],
                    warn: Warnings) -> dict[Path, Path]:
    """Attempt dirs whose events, log and metadata MassGen wrote into an earlier turn's dir.

    `massgen --continue` makes a new session whose turn_1/attempt_1 holds only events.jsonl,
    massgen.log and execution_metadata.yaml, all for turn 2, while turn_2/attempt_1 holds the
    rest and no events. Maps the later attempt dir to the stub that holds its files.
    """
    found: dict[Path, Path] = {}
    if len(layout) < 2 or len(layout[0][2]) != 1:
        return found
    stub = layout[0][2][0][1]
    if (stub / "status.json").exists() or (stub / "metrics_summary.json").exists():
        return found
    if not (stub / "events.jsonl").is_file():
        return found
    for _number, _turn_dir, attempts in layout[1:]:
        if attempts and not (attempts[0][1] / "events.jsonl").exists() and (
                attempts[0][1] / "status.json").exists():
            found[attempts[0][1]] = stub
            break
    return found


def read_attempt(path: Path, turn: int, number: int, warn: Warnings,
                 stub: Path | None = None, root: Path | None = None) -> Attempt:
    """Read one attempt directory into an `Attempt`; `stub` holds its events, log and metadata.

    Nothing outside `root` (by default the session: the attempt's grandparent) is read.
    """
    local = Warnings()
    run = RunFiles(root or path.parent.parent, local)
    own = {name: path / name for name in _STUB_FILES}
    if stub is not None:
        own = {name: (p if p.exists() else stub / name) for name, p in own.items()}
    status = run.read_json(path / "status.json")
    metrics = run.read_json(path / "metrics_summary.json")
    meta = run.read_yaml(own["execution_metadata.yaml"])
    for name, data in (("status.json", status), ("metrics_summary.json", metrics)):
        if data is not None and not isinstance(data, dict):
            local.add(path / name, f"holds {type(data).__name__}, not an object; skipped")
    status = status if isinstance(status, dict) else {}
    metrics = metrics if isinstance(metrics, dict) else {}
    meta = meta if isinstance(meta, dict) else {}
    s_path, m_path = path / "status.json", path / "metrics_summary.json"

    def num(data: Any, where: Path, *keys: str) -> float | None:
        return f.number(data, *keys, where=where, warn=local)

    answers = _answers(path, run)
    votes = _votes(path, run)
    agents = _agents(path, status, metrics, answers, votes, run)
    winner = (f.text_field(status, "results", "winner") or f.text_field(metrics, "meta", "winner")
              or _final_dir_agent(path, run))
    final_answer = None
    if winner and not plain_name(winner):
        local.add(s_path, f"winner {winner!r} is not an agent id; its final answer is not read")
    elif winner:
        final_answer = (run.read_text(path / "final" / winner / "answer.txt")
                        or run.read_text(path.parent / "final" / winner / "answer.txt"))
    events = own["events.jsonl"]
    has_events = run.is_file(events)
    duration = num(status, s_path, "meta", "elapsed_seconds")
    first_event, last_event = first_and_last(events, local) if has_events else (None, None)
    if duration is None and first_event and last_event:
        duration = max(0.0, last_event.time - first_event.time)
    start = first_event.timestamp if first_event else _iso(num(status, s_path, "meta",
                                                                "start_time"))
    finish = f.text_field(status, "finish_reason")
    errors = _errors(own["massgen.log"], status, meta, run)
    tools = _tools(metrics.get("tools") or status.get("tools"), m_path, local)
    totals = metrics.get("totals") or {}
    costs = status.get("costs") or {}
    tokens = Tokens(
        input=int(num(totals, m_path, "input_tokens") or num(costs, s_path, "total_input_tokens") or 0),
        output=int(num(totals, m_path, "output_tokens")
                   or num(costs, s_path, "total_output_tokens") or 0),
        reasoning=int(num(totals, m_path, "reasoning_tokens") or 0),
        cached=sum(g.tokens.cached for g in agents),
    )
    rounds = metrics.get("rounds") or status.get("rounds") or {}
    outcomes = f.get(rounds, "by_outcome")
    by_outcome = {k: int(v) for k, v in (outcomes if isinstance(outcomes, dict) else {}).items()
                  if isinstance(v, int) and not isinstance(v, bool)}
    timing = metrics.get("api_timing") or {}
    size = events.stat().st_size if has_events else 0
    compressions = read_compressions(path, run)
    attempt = Attempt(
        path=path, turn=turn, number=number,
        question=(f.text_field(metrics, "meta", "question") or f.text_field(status, "meta", "question")
                  or f.text_field(meta, "query")),
        finish_reason=finish, finish_details=f.text_field(status, "finish_reason_details"),
        winner=winner, duration_s=duration, start_time=start,
        cost=float(num(totals, m_path, "estimated_cost")
                   or num(costs, s_path, "total_estimated_cost") or 0.0),
        tokens=tokens, total_rounds=int(num(rounds, m_path, "total_rounds") or 0),
        rounds_by_outcome=by_outcome, tools=tools,
        tool_calls=sum(t.calls for t in tools), tool_failures=sum(t.failures for t in tools),
        api_timing=ApiTiming(
            calls=int(num(timing, m_path, "total_calls") or 0),
            total_ms=float(num(timing, m_path, "total_time_ms") or 0.0),
            avg_ms=float(num(timing, m_path, "avg_time_ms") or 0.0),
            avg_ttft_ms=float(num(timing, m_path, "avg_ttft_ms") or 0.0),
            by_backend=f.get(timing, "by_backend") if isinstance(f.get(timing, "by_backend"),
                                                                 dict) else {}),
        subagents=metrics.get("subagents") if isinstance(metrics.get("subagents"), dict) else {},
        agents=agents, answers=answers, votes=votes, final_answer=final_answer,
        errors=errors, timed_out=finish == "timeout" or bool(by_outcome.get("timeout")),
        massgen_version=str(meta["massgen_version"]) if meta.get("massgen_version") else None,
        events_path=events if has_events else None, events_bytes=size,
        analyzed=(path / REPORT).is_file(), compressions=compressions, warnings=tuple(local),
    )
    for line in local:
        warn.lines.append(line)
    return attempt


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


def _answers(path: Path, run: RunFiles) -> tuple[Answer, ...]:
    mappings = run.read_json(path / "snapshot_mappings.json")
    labels: dict[str, str] = {}
    if isinstance(mappings, dict):
        for label, entry in mappings.items():
            if isinstance(entry, dict) and entry.get("type") == "answer":
                labels[str(entry.get("path"))] = label
    answers = []
    for agent, snap in _snapshots(path, run):
        file = snap / "answer.txt"
        if not run.is_file(file):
            continue
        rel = f"{agent}/{snap.name}/answer.txt"
        answers.append(Answer(agent_id=agent, label=labels.get(rel, f"{agent}@{snap.name}"),
                              path=file, text=run.read_text(file)))
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


def _agents(path: Path, status: dict[str, Any], metrics: dict[str, Any],
            answers: tuple[Answer, ...], votes: tuple[Any, ...],
            run: RunFiles) -> tuple[AgentSummary, ...]:
    s_agents = status.get("agents") if isinstance(status.get("agents"), dict) else {}
    m_agents = metrics.get("agents") if isinstance(metrics.get("agents"), dict) else {}
    ids = list(dict.fromkeys([*s_agents, *m_agents, *(a.agent_id for a in answers),
                              *(v.voter for v in votes)]))
    where, warn = path / "status.json", run.warn
    out = []
    for agent_id in ids:
        s = s_agents.get(agent_id) if isinstance(s_agents.get(agent_id), dict) else {}
        m = m_agents.get(agent_id) if isinstance(m_agents.get(agent_id), dict) else {}
        usage = s.get("token_usage") if isinstance(s.get("token_usage"), dict) else (
            m.get("token_usage") or {})
        error = s.get("error")
        if isinstance(error, dict):
            error = ": ".join(str(x) for x in (error.get("type"), error.get("message")) if x)
        # An agent may vote again after new answers arrive; the current vote is in status.json,
        # and otherwise the latest vote snapshot holds it.
        vote = f.text_field(s, "vote_cast", "voted_for_agent") or next(
            (v.target for v in reversed(votes) if v.voter == agent_id), None)
        output = path / "agent_outputs" / f"{agent_id}.txt"
        has_output = plain_name(agent_id) and run.is_file(output)
        out.append(AgentSummary(
            agent_id=agent_id, status=f.text_field(s, "status"),
            answers=int(f.number(s, "answer_count", where=where, warn=warn)
                        or sum(1 for a in answers if a.agent_id == agent_id)),
            voted_for=vote,
            tokens=Tokens(input=int(f.number(usage, "input_tokens") or 0),
                          output=int(f.number(usage, "output_tokens") or 0),
                          reasoning=int(f.number(usage, "reasoning_tokens") or 0),
                          cached=int(f.number(usage, "cached_input_tokens") or 0)),
            cost=float(f.number(usage, "estimated_cost") or 0.0),
            tool_calls=int(f.number(m, "tool_metrics", "total_calls") or 0),
            restarts=int(f.number(s, "times_restarted") or 0),
            error=str(error) if error else None,
            output_path=output if has_output else None))
    return tuple(out)


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


def _errors(log: Path, status: dict[str, Any], meta: dict[str, Any],
            run: RunFiles) -> tuple[str, ...]:
    """Errors and timeouts, from status.json, the start-up record and massgen.log."""
    errors = []
    if status.get("finish_reason") == "timeout":
        errors.append(f"timeout: {status.get('finish_reason_details') or 'time limit exceeded'}")
    stage = f.get(meta, "cli_args", "failure_stage")
    if stage:
        errors.append(f"failed during {stage}: {f.get(meta, 'cli_args', 'failure_error') or '?'}")
    agents = status.get("agents") if isinstance(status.get("agents"), dict) else {}
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
    errors.extend(_log_errors(log, run))
    return tuple(dict.fromkeys(errors))


def _log_errors(log: Path, run: RunFiles) -> list[str]:
    """ERROR and CRITICAL lines of massgen.log, streamed, at most MAX_LOG_ERRORS."""
    found: list[str] = []
    more = 0
    fh = run.open(log)
    if fh is None:
        return found
    try:
        with fh:
            for raw in f.head_lines(fh, MAX_LOG_LINE):
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
    return found
