"""The EventSink protocol: where events go on their way to the TUI."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class EventSink(Protocol):
    """Receives events in order; a wrapper passes them on to the sink it wraps."""

    def emit(self, event: Any) -> None:
        """Take one event."""

    def flush(self) -> None:
        """Deliver everything held so far."""

    def close(self) -> None:
        """Flush, then release resources; no event follows."""
