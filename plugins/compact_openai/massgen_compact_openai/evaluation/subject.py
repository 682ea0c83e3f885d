"""The conversation an evaluation compresses: from a run's logs, or the bundled long task.

Whatever its origin, it becomes one system message and a list of OpenAI Responses input items
(plain messages, function calls and their outputs), which every method gets alike: MassGen's
summarization takes them as its messages (its Responses backend keeps this format), compaction
as its input. What cannot be sent again is left out and said: reasoning items (encrypted for the
run's own key), images, a tool call without its result.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from massgen_compact_openai.evaluation.recall import Fact, planted

REPORT = "COMPACTION_EVAL"
BUNDLED = "bundled"


@attrs.frozen
class Subject:
    """The conversation under evaluation: what it is, where it came from, and its items."""

    title: str
    source: str
    system: str | None
    items: list[dict[str, Any]]
    notes: list[str]
    report: Path
    # The folder a report must be written inside (the run's, or the working folder).
    root: Path
    facts: list[Fact] | None = None  # planted facts; None: drawn from the conversation
    agent: str | None = None
    backend: Mapping[str, Any] = attrs.field(factory=dict)
    target_ratio: float | None = None

    def massgen_messages(self) -> list[dict[str, Any]]:
        """The conversation as MassGen's recovery takes it: the system message first."""
        head = [{"role": "system", "content": self.system}] if self.system else []
        return [*head, *self.items]


def bundled(folder: Path) -> Subject:
    """The long task shipped with this plugin, its report to go in `folder`."""
    data = json.loads(resources.files(__package__).joinpath("long_task.json").read_text("utf-8"))
    items = data["items"]
    return Subject(
        title=f"the bundled long task: {data['title']}",
        source="long_task.json in massgen-compact-openai: a coding agent's session with 12 "
               "facts planted in its messages and tool results",
        system=data["system"], items=items, notes=[],
        report=folder / f"{REPORT}.{BUNDLED}.md", root=folder,
        facts=planted(data["facts"], items))


def from_run(conversation: Any, attempt: Any, session: Path) -> Subject:
    """A conversation `read_conversations` found in `attempt` of the run in `session`."""
    from massgen_plugins import thaw

    system, items, notes = to_items(thaw(list(conversation.messages)))
    who = conversation.agent or "an agent the logs do not name"
    name = _file_part(conversation.agent or "unknown-agent")
    return Subject(
        title=f"{who}, {attempt.label}, {conversation.label}",
        source=(f"{attempt.label}/{conversation.source}" if conversation.exact
                else conversation.source),
        system=system, items=items, notes=notes,
        report=attempt.path.parent / f"{REPORT}.{name}.md", root=session,
        agent=conversation.agent, backend=thaw(conversation.backend),
        target_ratio=conversation.target_ratio)


def _file_part(text: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "-" for c in text)[:80]
    return safe.lstrip(".") or "agent"


def to_items(messages: Sequence[Mapping[str, Any]]) -> tuple[str | None, list[dict[str, Any]],
                                                             list[str]]:
    """MassGen's messages (Chat or Responses shaped) as a system text and Responses items.

    Returns the system text, the items, and one note for each kind of thing left out.
    """
    system: str | None = None
    items: list[dict[str, Any]] = []
    left: Counter[str] = Counter()
    for m in messages:
        kind, role = m.get("type"), m.get("role")
        if role == "system" and system is None and not items:
            system = _text(m.get("content"), left)
        elif role == "tool":
            items.append({"type": "function_call_output", "call_id": str(m.get("tool_call_id")),
                          "output": _text(m.get("content"), left)})
        elif kind in (None, "message") and role in ("user", "assistant", "system", "developer"):
            text = _text(m.get("content"), left)
            if text.strip():
                items.append({"role": role, "content": text})
            for call in m.get("tool_calls") or []:  # a Chat Completions assistant turn
                function = call.get("function") if isinstance(call, Mapping) else None
                if not isinstance(function, Mapping):
                    left["malformed tool calls"] += 1
                    continue
                items.append({"type": "function_call", "call_id": str(call.get("id")),
                              "name": str(function.get("name")),
                              "arguments": _json(function.get("arguments"))})
        elif kind == "function_call":
            items.append({"type": "function_call", "call_id": str(m.get("call_id")),
                          "name": str(m.get("name")), "arguments": _json(m.get("arguments"))})
        elif kind == "function_call_output":
            items.append({"type": "function_call_output", "call_id": str(m.get("call_id")),
                          "output": _json(m.get("output"))})
        else:
            left[f"{kind or role or 'untyped'} items"] += 1
    calls = {i["call_id"] for i in items if i.get("type") == "function_call"}
    outputs = {i["call_id"] for i in items if i.get("type") == "function_call_output"}
    paired = [i for i in items if i.get("type") not in ("function_call", "function_call_output")
              or i["call_id"] in calls & outputs]
    if len(paired) < len(items):
        left["tool calls or results without their other half"] += len(items) - len(paired)
    notes = [f"{n} {what} left out" for what, n in sorted(left.items())]
    return system, paired, notes


def _text(content: Any, left: Counter[str]) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for part in content if isinstance(content, list) else []:
        if isinstance(part, Mapping) and isinstance(part.get("text"), str):
            parts.append(part["text"])
        else:
            left["images and other non-text parts"] += 1
    return "".join(parts)


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def choose(conversations: Sequence[Any], agent: str | None, number: int | None) -> tuple[int, Any]:
    """The conversation to evaluate (its number in `conversations`, from 1) and the conversation.

    `number` picks one; otherwise the largest of those MassGen handed to its recovery, else the
    largest rebuilt one, of `agent`'s if given. ValueError says why none fits.
    """
    if number is not None:
        if not 1 <= number <= len(conversations):
            raise ValueError(f"--conversation {number}: this run has {len(conversations)} "
                             "conversation" + "s" * (len(conversations) != 1)
                             + " (--dry-run lists them)")
        return number, conversations[number - 1]
    mine = [(n, c) for n, c in enumerate(conversations, 1) if agent is None or c.agent == agent]
    if not mine:
        agents = sorted({c.agent for c in conversations if c.agent})
        raise ValueError(f"--agent {agent}: no conversation of that agent in this run (agents "
                         f"with one: {', '.join(agents) or 'none named'}; --dry-run lists them)")
    exact = [(n, c) for n, c in mine if c.exact]
    return max(exact or mine, key=lambda nc: nc[1].size)
