"""What the TUI shows, kept apart from Textual: per-agent transcripts, status, votes, winner.

The transcripts are the record, as streamed. What `apply` returns to be drawn has its secrets
masked, a key split across deltas included; the widgets make it safe to show (safe_text).
"""

from __future__ import annotations

import hashlib

import attrs

from massgen_plugins.events.model import Event
from massgen_plugins.safe_text import shown
from massgen_plugins.secrets import StreamRedactor, redact


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

    def agent(self, agent_id: str) -> AgentView:
        """The view of an agent, created on its first event."""
        view = self.agents.get(agent_id)
        if view is None:
            view = self.agents[agent_id] = AgentView(agent_id)
        return view

    def apply(self, event: Event) -> tuple[str | None, str]:
        """Apply one event; return the agent it touched (None: the run) and what to append.

        The text to append has its secrets masked; a line (a tool call, an answer) releases the
        text the agent's redactor held back, before it.
        """
        d, kind, agent_id = event.data, event.event_type, event.agent_id
        view = self.agent(agent_id) if agent_id else None
        if kind == "text" and view is not None:
            content = str(d.get("content") or "")
            view.text.append(content)
            view.status = "streaming"
            return agent_id, view.redactor.feed(content)
        appended = self._apply(event, view)
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
            appended = f"> {d.get('tool_name')} {mark} in {d.get('elapsed_seconds')}s\n"
            view.lines.append(appended.strip())
            view.status = "streaming"
        elif kind == "round_start" and view is not None:
            view.round = event.round_number or 0
            view.status = "working"
        elif kind == "answer_submitted" and view is not None:
            view.answers += 1
            view.status = shown(f"answered {d.get('answer_label') or ''}".strip())[:60]
            appended = f"\n[answer {d.get('answer_label') or view.answers}]\n"
        elif kind == "vote" and view is not None:
            target = str(d.get("target_id") or "?")
            view.voted_for = self.votes[view.agent_id] = target
            view.status = shown(f"voted for {target}")[:60]
        elif kind == "agent_restart" and view is not None:
            view.status = "restarting"
        elif kind == "status" and view is not None:
            # Masked before it is cut: half a key is no longer recognisable as one.
            view.status = shown(d.get("message") or view.status)[:60]
        elif kind == "system_status":
            self.system = str(d.get("message") or "")
        elif kind == "final_presentation_start":
            self.winner = event.agent_id or self.winner
        elif kind == "final_presentation_chunk":
            self.final_answer.append(str(d.get("content") or ""))
        elif kind == "final_answer":
            self.winner = event.agent_id or self.winner
            if not self.final_answer:
                self.final_answer.append(str(d.get("content") or ""))
        elif kind == "winner_selected":
            self.winner = event.agent_id or self.winner
        return appended

    def release(self) -> dict[str, str]:
        """The text each agent's redactor still holds, masked: the stream has ended."""
        held = {agent: view.redactor.flush() for agent, view in self.agents.items()}
        return {agent: text for agent, text in held.items() if text}

    def digests(self) -> dict[str, str]:
        """Each agent's transcript hash."""
        return {a: v.digest() for a, v in sorted(self.agents.items())}
