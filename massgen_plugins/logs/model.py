"""A typed model of a MassGen run: a session holds turns, a turn holds attempts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from massgen_plugins.values import freeze, thaw


@attrs.frozen
class Tokens:
    """Token counts, as MassGen's metrics report them."""

    input: int = 0
    output: int = 0
    reasoning: int = 0
    cached: int = 0


@attrs.frozen
class ToolStat:
    """One tool's calls across a run."""

    name: str
    calls: int
    failures: int
    total_ms: float
    avg_ms: float
    tool_type: str | None = None


@attrs.frozen
class ApiTiming:
    """Time spent waiting on model APIs; None where MassGen recorded none (no metrics file)."""

    calls: int | None = 0
    total_ms: float | None = 0.0
    avg_ms: float | None = 0.0
    avg_ttft_ms: float | None = 0.0
    by_backend: Mapping[str, Any] = attrs.field(factory=dict, converter=freeze)


@attrs.frozen
class Answer:
    """An answer an agent submitted (`agent1.1`), or the final one."""

    agent_id: str
    label: str
    path: Path
    text: str | None


@attrs.frozen
class Vote:
    """One agent's vote for another agent's answer."""

    voter: str
    target: str | None
    reason: str
    label: str | None = None
    # The voter's last vote in its attempt. An agent votes again after a new answer arrives;
    # only its last vote counts in MassGen's tally, the earlier ones are superseded.
    final: bool = True


@attrs.frozen
class Compression:
    """One context compression of an agent: who, how, and what it left."""

    time: float  # POSIX seconds
    agent: str | None
    method: str  # e.g. openai-compact, massgen-summarization
    ok: bool = True
    messages_before: int | None = None
    messages_after: int | None = None
    tokens_before: int | None = None
    tokens_after: int | None = None
    cost_usd: float | None = None
    latency_s: float | None = None
    note: str = ""
    source: str = ""
    # reactive: after the API refused a request as too long; proactive: before the request.
    reason: str | None = None


@attrs.frozen
class AgentSummary:
    """One agent's part in an attempt."""

    agent_id: str
    status: str | None = None
    answers: int = 0
    voted_for: str | None = None
    tokens: Tokens = Tokens()
    cost: float | None = 0.0  # None: MassGen had no price for its model
    tool_calls: int = 0
    restarts: int = 0
    error: str | None = None
    output_path: Path | None = None
    # How its part ended: winner, voted, answered, failed, interrupted, timed_out, stopped, or
    # not_started (the run failed before any agent ran).
    end_state: str | None = None
    model: str | None = None  # the run config's backend model (and type)
    # False: MassGen recorded no tokens for it, although it streamed before the run stopped.
    tokens_known: bool = True


@attrs.frozen
class Attempt:
    """One attempt of one turn: the directory MassGen writes a run's files into."""

    path: Path
    turn: int
    number: int
    question: str | None = None
    finish_reason: str | None = None
    finish_details: str | None = None
    winner: str | None = None
    duration_s: float | None = None
    start_time: str | None = None
    cost: float | None = 0.0  # None: unknown (see cost_note); MassGen's own figure is massgen_cost
    tokens: Tokens = Tokens()
    total_rounds: int = 0
    rounds_by_outcome: Mapping[str, int] = attrs.field(factory=dict, converter=freeze)
    tools: tuple[ToolStat, ...] = ()
    tool_calls: int = 0
    tool_failures: int = 0
    api_timing: ApiTiming = ApiTiming()
    subagents: Mapping[str, Any] = attrs.field(factory=dict, converter=freeze)
    agents: tuple[AgentSummary, ...] = ()
    answers: tuple[Answer, ...] = ()
    votes: tuple[Vote, ...] = ()
    final_answer: str | None = None
    errors: tuple[str, ...] = ()
    timed_out: bool = False
    massgen_version: str | None = None
    events_path: Path | None = None
    events_bytes: int = 0
    analyzed: bool = False
    warnings: tuple[str, ...] = ()
    compressions: tuple[Compression, ...] = ()
    outcome: str = "incomplete"
    outcome_evidence: tuple[str, ...] = ()
    massgen_cost: float = 0.0
    cost_note: str | None = None
    tally: Mapping[str, int] = attrs.field(factory=dict, converter=freeze)
    tie: bool = False
    tally_source: str | None = None  # "final_presentation_start" (MassGen's own) or "votes"
    agent_order: tuple[str, ...] = ()  # the agents as the run's config lists them
    session_id: str | None = None  # cli_args.session_id: set in a --continue turn
    cumulative: bool = False  # totals include the earlier attempts of the turn (a restart)
    restart_reason: str | None = None
    last_event_time: float | None = None  # POSIX seconds
    # False: the tokens spent are not all recorded (an agent streamed, MassGen counted nothing).
    tokens_known: bool = True
    final_answer_path: Path | None = None

    @property
    def label(self) -> str:
        """`turn_N/attempt_M`."""
        return f"turn_{self.turn}/attempt_{self.number}"


@attrs.frozen
class Turn:
    """One question of a session and the attempts made at it."""

    number: int
    path: Path
    attempts: tuple[Attempt, ...] = ()


@attrs.frozen
class Session:
    """One `log_*` directory: one `massgen` invocation."""

    path: Path
    turns: tuple[Turn, ...] = ()
    analyzed: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The directory name, `log_YYYYMMDD_HHMMSS_ffffff`."""
        return self.path.name

    @property
    def session_id(self) -> str | None:
        """The MassGen session a --continue turn belongs to (cli_args.session_id), if recorded."""
        return next((a.session_id for a in self.attempts if a.session_id), None)

    @property
    def attempts(self) -> list[Attempt]:
        """Every attempt of every turn, in order."""
        return [a for t in self.turns for a in t.attempts]

    @property
    def latest(self) -> Attempt | None:
        """The last attempt of the last turn: what the run ended with."""
        attempts = self.attempts
        return attempts[-1] if attempts else None

    @property
    def question(self) -> str | None:
        """The latest question asked in this session."""
        return next((a.question for a in reversed(self.attempts) if a.question), None)


@attrs.frozen
class MassgenSession:
    """One MassGen session: its turns, across the log dirs `massgen --continue` makes (one per turn)."""

    session_id: str | None
    dirs: tuple[Session, ...]

    @property
    def turns(self) -> list[Turn]:
        """Every turn of every log dir, oldest first."""
        return [t for d in self.dirs for t in d.turns]

    @property
    def attempts(self) -> list[Attempt]:
        """Every attempt of every turn, in order."""
        return [a for d in self.dirs for a in d.attempts]

    @property
    def latest(self) -> Attempt | None:
        """The last attempt of the last turn."""
        attempts = self.attempts
        return attempts[-1] if attempts else None


def tokens_json(tokens: Tokens, known: bool = True) -> dict[str, int | None]:
    """Tokens as JSON; every count null when they are not `known`."""
    if not known:
        return {"input": None, "output": None, "reasoning": None, "cached": None}
    return {"input": tokens.input, "output": tokens.output, "reasoning": tokens.reasoning,
            "cached": tokens.cached}


def _iso_time(epoch: float | None) -> str | None:
    from datetime import datetime

    try:
        return None if epoch is None else datetime.fromtimestamp(epoch).isoformat()
    except (ValueError, OverflowError, OSError):  # a time no clock reaches
        return None


def attempt_json(a: Attempt) -> dict[str, Any]:
    """An attempt as `massgen-plugins logs summary --json` reports it (the documented, stable shape)."""
    return {
        "path": str(a.path), "turn": a.turn, "attempt": a.number, "question": a.question,
        "finish_reason": a.finish_reason, "finish_details": a.finish_details,
        "winner": a.winner, "duration_s": a.duration_s, "start_time": a.start_time,
        "cost": a.cost, "tokens": tokens_json(a.tokens, a.tokens_known),
        "rounds": {"total": a.total_rounds, "by_outcome": thaw(a.rounds_by_outcome)},
        "tools": {"calls": a.tool_calls, "failures": a.tool_failures,
                  "by_tool": [tool_json(t) for t in a.tools]},
        "api_timing": {"calls": a.api_timing.calls, "total_ms": a.api_timing.total_ms,
                       "avg_ms": a.api_timing.avg_ms, "avg_ttft_ms": a.api_timing.avg_ttft_ms,
                       "by_backend": thaw(a.api_timing.by_backend)},
        "subagents": thaw(a.subagents),
        "agents": [{"id": g.agent_id, "status": g.status, "answers": g.answers,
                    "voted_for": g.voted_for, "tokens": tokens_json(g.tokens, g.tokens_known),
                    "cost": g.cost, "tool_calls": g.tool_calls, "restarts": g.restarts,
                    "error": g.error, "end_state": g.end_state, "model": g.model}
                   for g in a.agents],
        "answers": [{"agent": x.agent_id, "label": x.label, "path": str(x.path)} for x in a.answers],
        "votes": [{"voter": v.voter, "target": v.target, "reason": v.reason, "final": v.final}
                  for v in a.votes],
        "tally": thaw(a.tally), "tie": a.tie, "tally_source": a.tally_source,
        "outcome": a.outcome, "outcome_evidence": list(a.outcome_evidence),
        "massgen_cost": a.massgen_cost, "cost_note": a.cost_note, "session_id": a.session_id,
        "cumulative": a.cumulative, "restart_reason": a.restart_reason,
        "last_event": _iso_time(a.last_event_time),
        "final_answer": a.final_answer,
        "final_answer_path": None if a.final_answer_path is None else str(a.final_answer_path),
        "errors": list(a.errors), "timed_out": a.timed_out,
        "massgen_version": a.massgen_version, "events_bytes": a.events_bytes,
        "analyzed": a.analyzed, "warnings": list(a.warnings),
        "compressions": [compression_json(c) for c in a.compressions],
    }


def compression_json(c: Compression) -> dict[str, Any]:
    """A compression as JSON."""
    return {"agent": c.agent, "time": _iso_time(c.time),
            "method": c.method, "reason": c.reason, "ok": c.ok,
            "messages_before": c.messages_before,
            "messages_after": c.messages_after, "tokens_before": c.tokens_before,
            "tokens_after": c.tokens_after, "cost_usd": c.cost_usd, "latency_s": c.latency_s,
            "note": c.note, "source": c.source}


def tool_json(t: ToolStat) -> dict[str, Any]:
    """A tool's stats as JSON."""
    return {"name": t.name, "calls": t.calls, "failures": t.failures, "total_ms": t.total_ms,
            "avg_ms": t.avg_ms, "type": t.tool_type}
