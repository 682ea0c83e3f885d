"""Which events are streaming deltas, superseding state, or critical (never dropped or merged).

- streaming: text and thinking deltas, presentation chunks, post-evaluation content. A sink
  may merge consecutive ones from the same agent, of the same type and round, whose other
  fields are equal (only `content` is joined).
- state: status and progress. A newer one supersedes an older one of the same agent and type.
- critical: everything else that changes what the run *is*: tools, answers, votes, winner,
  errors, final answer, rounds, phases. These are delivered one by one, in order.

A delta that carries a flag MassGen reads ends its block instead of being merged: `thinking`
with `done: true` closes a reasoning card, so it is critical; so are `post_evaluation` events
other than its `content` phase. Types not listed are critical: an event this code does not
know is never dropped or merged.

Which types are state depends on the TUI being fed: ours shows status in the panel header,
where the newest supersedes; MassGen's own TUI shows each status line in the timeline, so
for it (`MASSGEN_TUI_CLASSES`) nothing is state. Override per type in config:
`tui: {event_classes: {my_event: streaming}}`.

How merged deltas join depends on the TUI too: ours shows the concatenation of the deltas,
but MassGen's cleans each delta on its own (it strips a text delta's spaces, drops
whitespace-only thinking deltas), so a plain concatenation would show other text there. A
classifier's `join` says what the parts of a merge become; `tui` names the TUI it describes,
for wrappers that tune themselves to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

STREAMING, STATE, CRITICAL = "streaming", "state", "critical"
CLASSES = (STREAMING, STATE, CRITICAL)
OURS, MASSGEN = "massgen-plugins", "massgen"  # the TUIs a sink chain may feed

_DELTAS = {"text": STREAMING, "thinking": STREAMING, "final_presentation_chunk": STREAMING,
           "chunk": STREAMING, "post_evaluation": STREAMING}
DEFAULT_CLASSES: dict[str, str] = {
    **_DELTAS,
    "status": STATE, "system_status": STATE, "backend_status": STATE, "progress": STATE,
    "timeline_entry": STATE,
}
# MassGen 0.1.97's Textual TUI: status and system_status are timeline lines, never superseded.
MASSGEN_TUI_CLASSES: dict[str, str] = dict(_DELTAS)


class Classifier:
    """Maps an event to its class: a table by type, config overrides, and MassGen's flags."""

    tui = OURS

    def __init__(self, overrides: Mapping[str, str] | None = None,
                 defaults: Mapping[str, str] = DEFAULT_CLASSES) -> None:
        """Build the table once; lookups are a dict get."""
        self.table = {**defaults, **(overrides or {})}

    def join(self, event: Any, parts: Sequence[str]) -> list[str]:
        """The contents that consecutive deltas like `event` become when merged, in order.

        One string shows exactly what the parts show, one by one, in this TUI: their
        concatenation. A TUI that renders a join differently from its parts answers several
        (at worst the parts themselves).
        """
        return ["".join(parts)]

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
