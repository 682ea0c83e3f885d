"""Which events are streaming deltas, superseding state, or critical (never dropped or merged).

The vocabulary of MassGen's own Textual TUI (0.1.97), which the bridge feeds through the sink
chain:

- streaming: text and thinking deltas, presentation chunks, post-evaluation content. A sink
  may merge consecutive ones from the same agent, of the same type and round, whose other
  fields are equal (only `content` is joined).
- state: none by default, since MassGen shows each status line in its timeline. A type made
  state in config (`tui: {event_classes: {status: state}}`) is superseded: a sink may keep
  only the newest of an agent.
- critical: everything else that changes what the run *is*: tools, answers, votes, winner,
  errors, final answer, rounds, phases, status lines. These are delivered one by one, in order.

A delta that carries a flag MassGen reads ends its block instead of being merged: `thinking`
with `done: true` closes a reasoning card, so it is critical; so are `post_evaluation` events
other than its `content` phase. Types not listed are critical: an event this code does not
know is never dropped or merged.

MassGen cleans each delta on its own before showing it (it strips a text delta's spaces, drops
whitespace-only thinking deltas), so a plain concatenation may show other text: a classifier's
`join` says what the parts of a merge become and which parts each result stands for
(bridge/tui_render.py has MassGen's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

STREAMING, STATE, CRITICAL = "streaming", "state", "critical"

# MassGen 0.1.97's Textual TUI: status and system_status are timeline lines, never superseded.
MASSGEN_TUI_CLASSES: dict[str, str] = {
    "text": STREAMING, "thinking": STREAMING, "final_presentation_chunk": STREAMING,
    "chunk": STREAMING, "post_evaluation": STREAMING}


class Classifier:
    """Maps an event to its class: a table by type, config overrides, and MassGen's flags."""

    def __init__(self, overrides: Mapping[str, str] | None = None,
                 defaults: Mapping[str, str] = MASSGEN_TUI_CLASSES) -> None:
        """Build the table once; lookups are a dict get."""
        self.table = {**defaults, **(overrides or {})}

    def join(self, event: Any, parts: Sequence[str]) -> list[tuple[str, int]]:
        """The contents consecutive deltas like `event` become when merged, in order.

        Each content comes with how many of the parts (the next ones, in order) it stands for;
        the counts add up to len(parts). One content shows exactly what the parts show, one
        by one, in this TUI: their concatenation. A TUI that renders a join differently from
        its parts answers several (at worst the parts themselves).
        """
        return [("".join(parts), len(parts))]

    def __call__(self, event_type: str) -> str:
        """The class of an event type (before any flag in an event's data)."""
        return self.table.get(event_type, CRITICAL)

    def of(self, event: Any) -> str:
        """The class of one event: its type's, unless a flag in its data ends a block."""
        kind = self.table.get(event.event_type, CRITICAL)
        if kind == STREAMING:
            data = event.data
            if data.get("done") is True:
                return CRITICAL  # closes a reasoning block: never merged away
            if event.event_type == "post_evaluation" and data.get("phase") != "content":
                return CRITICAL
        return kind
