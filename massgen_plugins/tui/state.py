"""What the TUI shows, kept apart from Textual: per-agent transcripts, status, votes, winner, and
how the run ended.

The transcripts are the record, as streamed. What `apply` returns to be drawn has its secrets
masked, a key split across deltas included; the widgets make it safe to show (safe_text).
A replay of a recorded run also gets `RunInfo`, what the run's files say (the question, the
agents' config order, the outcome, each agent's end state, the final answer): the events alone
cannot say that a run was interrupted, or where a timed-out run's final answer is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import attrs

from massgen_plugins.events.model import Event
from massgen_plugins.safe_text import shown
from massgen_plugins.secrets import StreamRedactor, redact

# How the header names each outcome (logs/outcome.py), and the state of a run still going.
OUTCOME_LABELS = {"completed": "✓ completed", "interrupted": "⏸ interrupted",
                  "timed_out": "⏱ timed out", "failed": "✗ failed",
                  "incomplete": "… incomplete: the log stops", "restarted": "↻ restarted"}
# Content events: one arriving in a new round starts that round in the agent's panel.
_CONTENT = frozenset({"text", "thinking", "tool_start", "tool_complete"})


def duration(seconds: Any) -> str:
    """A tool's time as a person reads it: 9 ms, 1.2 s, 2:05."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return "?"
    if value != value or value < 0:
        return "?"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.1f} s"
    return f"{int(value // 60)}:{int(value % 60):02d}"


def clock(seconds: float) -> str:
    """Elapsed time as m:ss (h:mm:ss past an hour)."""
    s = max(0, int(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


@attrs.frozen
class RunInfo:
    """What a recorded run's files say about it, for the replay (see logs.reader)."""

    question: str | None = None
    label: str | None = None  # "turn_1/attempt_2"
    agent_order: tuple[str, ...] = ()
    outcome: str | None = None
    evidence: tuple[str, ...] = ()
    winner: str | None = None
    final_answer: str | None = None
    tally: Mapping[str, int] = attrs.field(factory=dict)
    tie: bool = False
    end_states: Mapping[str, str] = attrs.field(factory=dict)
    voted_for: Mapping[str, str] = attrs.field(factory=dict)
    duration_s: float | None = None

    @classmethod
    def of(cls, attempt: Any) -> RunInfo:
        """The info of a read `logs.model.Attempt`."""
        return cls(question=attempt.question, label=attempt.label,
                   agent_order=tuple(attempt.agent_order) or tuple(g.agent_id
                                                                   for g in attempt.agents),
                   outcome=attempt.outcome, evidence=tuple(attempt.outcome_evidence),
                   winner=attempt.winner, final_answer=attempt.final_answer,
                   tally=dict(attempt.tally), tie=attempt.tie,
                   end_states={g.agent_id: g.end_state for g in attempt.agents if g.end_state},
                   voted_for={g.agent_id: g.voted_for for g in attempt.agents if g.voted_for},
                   duration_s=attempt.duration_s)


@attrs.define
class AgentView:
    """One agent's panel: its streamed text, thinking, tool lines, status and round."""

    agent_id: str
    text: list[str] = attrs.Factory(list)
    thinking: list[str] = attrs.Factory(list)
    lines: list[str] = attrs.Factory(list)
    status: str = "waiting"
    round: int = 0
    answers: int = 0
    voted_for: str | None = None
    failed: bool = False
    written_round: int | None = None  # the round its panel's text belongs to
    # Holds back the end of the text until it cannot be the start of a key.
    redactor: StreamRedactor = attrs.Factory(StreamRedactor)

    @property
    def transcript(self) -> str:
        """Everything the agent streamed as text, in order."""
        return "".join(self.text)

    def digest(self) -> str:
        """sha256 of the transcript, for comparing runs."""
        return hashlib.sha256(self.transcript.encode()).hexdigest()


@attrs.define
class RunView:
    """The whole run as the TUI shows it."""

    agents: dict[str, AgentView] = attrs.Factory(dict)
    votes: dict[str, str] = attrs.Factory(dict)
    winner: str | None = None
    final_answer: list[str] = attrs.Factory(list)
    system: str = ""
    critical_order: list[tuple[str, str | None]] = attrs.Factory(list)
    info: RunInfo = attrs.Factory(RunInfo)
    tally: dict[str, int] = attrs.Factory(dict)  # MassGen's, from final_presentation_start
    tie: bool = False
    phase: str = "running"  # running, presenting, evaluating, locked, restarting, timed_out
    note: str = ""  # what the phase is about: the presenter, a timeout's reason, a restart's
    outcome: str | None = None  # set when the run is over
    first_time: float | None = None
    last_time: float | None = None

    def agent(self, agent_id: str) -> AgentView:
        """The view of an agent, created on its first event."""
        view = self.agents.get(agent_id)
        if view is None:
            view = self.agents[agent_id] = AgentView(agent_id)
        return view

    def apply(self, event: Event) -> tuple[str | None, str]:
        """Apply one event; return the agent it touched (None: the run) and what to append.

        The text to append has its secrets masked; a line (a tool call, an answer, a new
        round's rule) releases the text the agent's redactor held back, before it.
        """
        d, kind, agent_id = event.data, event.event_type, event.agent_id
        view = self.agent(agent_id) if agent_id else None
        rule = ""
        if view is not None and event.round_number is not None:
            view.round = max(view.round, event.round_number)
            if kind in _CONTENT:
                if view.written_round is not None and event.round_number != view.written_round:
                    rule = f"\n── round {event.round_number} ──\n"
                view.written_round = event.round_number
        if kind == "text" and view is not None:
            content = str(d.get("content") or "")
            view.text.append(content)
            if view.status != "presenting":
                view.status = "streaming"
            if rule:
                return agent_id, view.redactor.flush() + rule + view.redactor.feed(content)
            return agent_id, view.redactor.feed(content)
        appended = rule + self._apply(event, view)
        if not appended or view is None:
            return agent_id, ""
        return agent_id, view.redactor.flush() + redact(appended)

    def _apply(self, event: Event, view: AgentView | None) -> str:
        """Apply an event other than text; return the line it adds to the agent's panel."""
        d, kind = event.data, event.event_type
        appended = ""
        if kind == "thinking" and view is not None:
            view.thinking.append(str(d.get("content") or ""))
            view.status = "thinking"
        elif kind == "tool_start" and view is not None:
            appended = f"\n> {d.get('tool_name')} ...\n"
            view.lines.append(appended.strip())
            view.status = shown(f"tool {d.get('tool_name')}")[:60]
        elif kind == "tool_complete" and view is not None:
            mark = "failed" if d.get("is_error") else "done"
            appended = f"> {d.get('tool_name')} {mark} in {duration(d.get('elapsed_seconds'))}\n"
            view.lines.append(appended.strip())
            view.status = "streaming"
        elif kind == "round_start" and view is not None:
            view.round = max(view.round, event.round_number or 0)
            view.status = "working"
        elif kind == "agent_restart" and view is not None:
            view.round = max(view.round, _int(d.get("restart_round")) or 0)
            view.status = shown(f"restarting ({d.get('restart_reason') or 'new round'})")[:60]
        elif kind == "answer_submitted" and view is not None:
            view.answers += 1
            view.status = shown(f"answered {d.get('answer_label') or ''}".strip())[:60]
            appended = f"\n[answer {d.get('answer_label') or view.answers}]\n"
        elif kind == "vote" and view is not None:
            target = str(d.get("target_id") or "?")
            view.voted_for = self.votes[view.agent_id] = target
            view.status = shown(f"voted {target}")[:60]
            appended = f"\n[vote for {target}]\n"
        elif kind == "status" and view is not None:
            # Masked before it is cut: half a key is no longer recognisable as one.
            view.status = shown(d.get("message") or view.status)[:60]
            if str(d.get("level") or "").lower() == "error":
                view.failed = True
        elif kind == "system_status":
            self.system = str(d.get("message") or "")
        elif kind == "final_presentation_start":
            self.winner = event.agent_id or self.winner
            counts = d.get("vote_counts")
            if isinstance(counts, Mapping):
                self.tally = {str(k): v for k, v in counts.items() if isinstance(v, int)}
                self.tie = d.get("is_tie") is True
            self.phase, self.note = "presenting", str(event.agent_id or "")
            if view is not None:
                view.status = "presenting"
                appended = "\n── final presentation ──\n"
        elif kind == "final_presentation_chunk":
            self.final_answer.append(str(d.get("content") or ""))
        elif kind == "final_answer":
            self.winner = event.agent_id or self.winner
            if not self.final_answer:
                self.final_answer.append(str(d.get("content") or ""))
        elif kind == "answer_locked":
            self.phase = "locked"
        elif kind == "winner_selected":
            self.winner = event.agent_id or self.winner
        elif kind == "orchestrator_timeout":
            selected = d.get("selected_agent")
            self.winner = selected if isinstance(selected, str) else self.winner
            self.phase, self.note = "timed_out", str(d.get("timeout_reason") or "")
        elif kind == "post_evaluation":
            phase = d.get("phase")
            if phase == "start":
                self.phase = "evaluating"
                appended = "\n── post-evaluation ──\n" if view is not None else ""
            elif phase == "content" and view is not None:
                appended = str(d.get("content") or "")
            elif phase == "end":
                appended = f"\n[post-evaluation done: {d.get('winner') or 'no verdict'}]\n" \
                    if view is not None else ""
        elif kind == "restart_banner":
            self.phase = "restarting"
            self.note = (f"attempt {d.get('attempt')}/{d.get('max_attempts')}: "
                         f"{d.get('reason') or ''}")
        return appended

    def seen(self, event: Event) -> None:
        """Move the run's clock to `event` (called for a batch's last event: parsing a
        timestamp for every delta would cost more than drawing it)."""
        at = event.time
        if at:
            self.first_time = at if self.first_time is None else self.first_time
            self.last_time = at

    def elapsed(self) -> float:
        """Seconds from the first event to the latest: the run's time, or the replay's."""
        if self.first_time is None or self.last_time is None:
            return 0.0
        return max(0.0, self.last_time - self.first_time)

    def live_tally(self) -> tuple[dict[str, int], bool]:
        """The tally: MassGen's once it wrote one, otherwise each agent's latest vote counted."""
        if self.tally:
            return self.tally, self.tie
        counts: dict[str, int] = {}
        for target in self.votes.values():
            counts[target] = counts.get(target, 0) + 1
        top = max(counts.values(), default=0)
        return counts, sum(1 for c in counts.values() if c == top) > 1

    def end_state(self, agent_id: str) -> str:
        """How an agent's part ended, once the run is over (the run's files say it best)."""
        if agent_id in self.info.end_states:
            return self.info.end_states[agent_id]
        view = self.agents.get(agent_id)
        if view is not None and view.failed:
            return "failed"
        if agent_id == (self.info.winner or self.winner):
            return "winner"
        if view is not None and view.voted_for:
            return "voted"
        if view is not None and view.answers:
            return "answered"
        return {"interrupted": "interrupted", "timed_out": "timed_out"}.get(
            self.outcome or "", "stopped")

    def finish(self) -> str:
        """The run is over: its outcome, from its files when known, else from its events."""
        if self.info.outcome:
            self.outcome = self.info.outcome
        elif self.phase == "locked":
            self.outcome = "completed"
        elif self.phase == "timed_out":
            self.outcome = "timed_out"
        else:
            self.outcome = "incomplete"  # no answer_locked: the events stop before the end
        self.winner = self.info.winner or self.winner
        if self.info.tally and not self.tally:
            self.tally, self.tie = dict(self.info.tally), self.info.tie
        for agent_id, view in self.agents.items():
            state = self.end_state(agent_id)
            target = self.info.voted_for.get(agent_id) or view.voted_for
            view.status = f"voted {target}" if state == "voted" and target else state
        return self.outcome

    def final_text(self) -> str:
        """The final answer as far as it exists: as streamed so far while the run goes on; once
        it is over, the run's final/ answer (a timed-out run streams none), else as streamed."""
        streamed = "".join(self.final_answer)
        if self.outcome is not None:
            return self.info.final_answer or streamed
        return streamed

    def release(self) -> dict[str, str]:
        """The text each agent's redactor still holds, masked: the stream has ended."""
        held = {agent: view.redactor.flush() for agent, view in self.agents.items()}
        return {agent: text for agent, text in held.items() if text}

    def digests(self) -> dict[str, str]:
        """Each agent's transcript hash."""
        return {a: v.digest() for a, v in sorted(self.agents.items())}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
