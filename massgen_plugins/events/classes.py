"""Which events are streaming deltas, superseding state, or critical (never dropped or merged).

- streaming: text and thinking deltas, presentation chunks. A sink may merge consecutive
  ones from the same agent and of the same kind.
- state: status and progress. A newer one supersedes an older one of the same agent and type.
- critical: everything else that changes what the run *is*: tools, answers, votes, winner,
  errors, final answer, rounds, phases. These are delivered one by one, in order.

Types not listed are treated as critical: an event this code does not know is never dropped.
Override per type in config: `tui: {event_classes: {my_event: streaming}}`.
"""

from __future__ import annotations

from collections.abc import Mapping

STREAMING, STATE, CRITICAL = "streaming", "state", "critical"
CLASSES = (STREAMING, STATE, CRITICAL)

DEFAULT_CLASSES: dict[str, str] = {
    "text": STREAMING, "thinking": STREAMING, "final_presentation_chunk": STREAMING,
    "chunk": STREAMING,
    "status": STATE, "system_status": STATE, "backend_status": STATE, "progress": STATE,
    "timeline_entry": STATE,
}


class Classifier:
    """Maps an event type to its class, with config overrides on top of the defaults."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        """Build the table once; lookups are a dict get."""
        self.table = {**DEFAULT_CLASSES, **(overrides or {})}

    def __call__(self, event_type: str) -> str:
        """The class of an event type."""
        return self.table.get(event_type, CRITICAL)
