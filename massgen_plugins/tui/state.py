"""What the TUI shows, kept apart from Textual: per-agent transcripts, status, votes, winner."""

from __future__ import annotations

import hashlib

import attrs

from massgen_plugins.events.model import Event


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
        """Apply one event; return the agent it touched (None: the run) and what to append."""
        d, kind, agent_id = event.data, event.event_type, event.agent_id
        view = self.agent(agent_id) if agent_id else None
        appended = ""
        if kind == "text" and view is not None:
            content = str(d.get("content") or "")
            view.text.append(content)
            view.status = "streaming"
            appended = content
        elif kind == "thinking" and view is not None:
            view.thinking.append(str(d.get("content") or ""))
            view.status = "thinking"
        elif kind == "tool_start" and view is not None:
            appended = f"\n> {d.get('tool_name')} ...\n"
            view.lines.append(appended.strip())
            view.status = f"tool {d.get('tool_name')}"
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
            view.status = f"answered {d.get('answer_label') or ''}".strip()
            appended = f"\n[answer {d.get('answer_label') or view.answers}]\n"
        elif kind == "vote" and view is not None:
            target = str(d.get("target_id") or "?")
            view.voted_for = self.votes[view.agent_id] = target
            view.status = f"voted for {target}"
        elif kind == "agent_restart" and view is not None:
            view.status = "restarting"
        elif kind == "status" and view is not None:
            view.status = str(d.get("message") or view.status)[:60]
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
        return agent_id, appended

    def digests(self) -> dict[str, str]:
        """Each agent's transcript hash."""
        return {a: v.digest() for a, v in sorted(self.agents.items())}
