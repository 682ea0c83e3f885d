"""The agents' conversations a run's logs hold, each with what it was built from.

Two kinds, told apart by `exact`:

- MassGen's own: on each reactive compression MassGen 0.1.97 writes
  `compression_debug/compression_<ms>_input.json`, whose `original_messages` are the messages it
  handed to its context recovery (a chained Responses request's server-side history is not in
  them). The agent is the one a bridge record or a log line of the same moment names, if any.
- Rebuilt, for an answer or vote snapshot: `<agent>/<ts>/context.txt` holds the system and user
  message MassGen logged for that round, and events.jsonl the agent's text, tool calls and tool
  results in it (the events of the agent's round that ends at the snapshot). Reasoning is not
  logged as MassGen sent it and is left out, as are workflow calls that have no result event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from massgen_plugins.logs.events_file import read_events
from massgen_plugins.logs.files import RunFiles, Warnings, get
from massgen_plugins.logs.model import Attempt
from massgen_plugins.values import freeze, thaw

_INPUT = re.compile(r"^compression_(\d+)_input\.json$")
_SNAPSHOT = re.compile(r"^\d{8}_\d{6}_\d{6}$")
_EVENTS = ("text", "tool_start", "tool_complete")
# A bridge record or log line this close to a trace (seconds, plus the compression's latency)
# is the same compression (as logs.compressions matches them).
_SAME = 3.0


@attrs.frozen
class Conversation:
    """One agent's conversation from a run: MassGen's messages (system first) and their origin."""

    agent: str | None
    label: str  # which of the agent's conversations, for people
    source: str  # what it was built from, one line
    exact: bool  # True: as MassGen handed it to its recovery; False: rebuilt from the logs
    messages: tuple[Mapping[str, Any], ...] = attrs.field(converter=freeze)
    time: float | None = None  # POSIX seconds
    # The agent's backend section of the run's config, without its key.
    backend: Mapping[str, Any] = attrs.field(factory=dict, converter=freeze)
    # orchestrator.coordination.compression_target_ratio of the run's config, if set.
    target_ratio: float | None = None

    @property
    def size(self) -> int:
        """Characters in the messages after the system message."""
        return sum(len(json.dumps(thaw(m), default=str)) for m in self.messages
                   if m.get("role") != "system")


def read_conversations(attempt: Attempt, warn: Warnings) -> list[Conversation]:
    """Every conversation of `attempt` its logs hold: MassGen's own first, then rebuilt ones."""
    path = attempt.path
    run = RunFiles(path.parent.parent, warn)  # the session: nothing outside it is read
    meta = run.read_yaml(path / "execution_metadata.yaml")
    config = meta.get("config") if isinstance(meta, dict) else None
    backends, ratio = _backends(config if isinstance(config, dict) else {})
    found = _recovered(attempt, run)
    found += _rebuilt(attempt, run, warn)
    return [attrs.evolve(c, backend=backends.get(c.agent or "", {}), target_ratio=ratio)
            for c in found]


def _backends(config: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], float | None]:
    """Each agent's backend section (its key left out), and the run's target ratio."""
    out = {}
    for agent in config.get("agents") or []:
        if isinstance(agent, dict) and isinstance(agent.get("backend"), dict):
            out[str(agent.get("id"))] = {k: v for k, v in agent["backend"].items()
                                         if k != "api_key"}
    ratio = get(config, "orchestrator", "coordination", "compression_target_ratio")
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
        return out, None
    return out, float(ratio)


def _recovered(attempt: Attempt, run: RunFiles) -> list[Conversation]:
    """The messages MassGen handed to each reactive compression, from compression_debug/."""
    folder = attempt.path / "compression_debug"
    out = []
    for file in sorted(run.list_dir(folder), key=lambda p: p.name):
        match = _INPUT.match(file.name)
        if not match:
            continue
        data = run.read_json(file)
        messages = data.get("original_messages") if isinstance(data, dict) else None
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            if data is not None:
                run.warn.add(file, "has no list of original_messages; skipped")
            continue
        when = int(match.group(1)) / 1000
        agent = next((c.agent for c in attempt.compressions if c.agent and abs(
            c.time - when) <= _SAME + (c.latency_s or 0)), None)
        out.append(Conversation(
            agent=agent, label=f"compression at {_clock(when)}",
            source=f"compression_debug/{file.name}: the messages MassGen handed to its "
                   "context recovery", exact=True, messages=tuple(messages), time=when))
    return out


def _rebuilt(attempt: Attempt, run: RunFiles, warn: Warnings) -> list[Conversation]:
    """Each answer or vote snapshot's round: context.txt, then the agent's events in it."""
    snapshots: list[tuple[str, Path, float]] = []
    for summary in attempt.agents:
        for snap in run.list_dir(attempt.path / summary.agent_id):
            if not _SNAPSHOT.match(snap.name) or not run.is_dir(snap):
                continue
            try:
                when = datetime.strptime(snap.name, "%Y%m%d_%H%M%S_%f").timestamp()
            except ValueError:  # digits that are no date
                continue
            snapshots.append((summary.agent_id, snap, when))
    if not snapshots:
        return []
    events: dict[str, list[Any]] = {}
    if attempt.events_path is not None:
        for event in read_events(attempt.events_path, warn, _EVENTS, run):
            if event.agent_id:
                events.setdefault(event.agent_id, []).append(event)
    out = []
    for agent, snap, when in sorted(snapshots, key=lambda s: s[2]):
        context = run.read_json(snap / "context.txt")
        if not isinstance(context, dict) or not isinstance(context.get("user_message"), str):
            continue
        system = context.get("system_message")
        messages: list[dict[str, Any]] = []
        if isinstance(system, str) and system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": context["user_message"]})
        messages += _round(events.get(agent, []), when)
        kind = "answer" if run.is_file(snap / "answer.txt") else "vote" if run.is_file(
            snap / "vote.json") else "snapshot"
        rel = f"{agent}/{snap.name}"
        out.append(Conversation(
            agent=agent, label=f"round ending in its {kind} at {_clock(when)}",
            source=f"rebuilt from {rel}/context.txt (the system and user message MassGen "
                   f"logged) and events.jsonl ({agent}'s text, tool calls and results in that "
                   "round); reasoning is not in the logs as sent",
            exact=False, messages=tuple(messages), time=when))
    return out


def _round(events: list[Any], until: float) -> list[dict[str, Any]]:
    """The assistant text, tool calls and results of the round that ends at `until`."""
    before = [e for e in events if e.time <= until]
    if not before:
        return []
    last_round = before[-1].round_number
    mine = [e for e in before if e.round_number == last_round]
    out: list[dict[str, Any]] = []
    text: list[str] = []

    def said() -> None:
        if "".join(text).strip():
            out.append({"role": "assistant", "content": "".join(text)})
        text.clear()

    for e in mine:
        d = e.data
        if e.event_type == "text":
            text.append(str(d.get("content") or ""))
            continue
        said()
        if e.event_type == "tool_start":
            out.append({"type": "function_call", "call_id": str(d.get("tool_id")),
                        "name": str(d.get("tool_name")),
                        "arguments": json.dumps(thaw(d.get("args") or {}), default=str)})
        else:
            out.append({"type": "function_call_output", "call_id": str(d.get("tool_id")),
                        "output": str(d.get("result") or "")})
    said()
    return out


def _clock(when: float) -> str:
    try:
        return datetime.fromtimestamp(when).strftime("%Y-%m-%d %H:%M:%S")
    except (ValueError, OverflowError, OSError):
        return "?"
