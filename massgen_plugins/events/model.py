"""The MassGen event, as one line of `events.jsonl` holds it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from massgen_plugins.values import freeze


@attrs.frozen
class Event:
    """One MassGen event: `timestamp` (ISO, local time), type, agent, round and free-form data.

    Event types this code does not know are kept as they are.
    """

    timestamp: str
    event_type: str
    agent_id: str | None = None
    round_number: int | None = None
    data: Mapping[str, Any] = attrs.field(factory=dict, converter=freeze)
    # When the event entered the sink chain (time.monotonic()); set by the producer, kept by
    # sinks that merge events (the earliest wins), read by the TUI to measure latency.
    emitted_at: float | None = attrs.field(default=None, eq=False)
    # Its place in the stream the producer fed into the sink chain (0, 1, 2, ...). A sink
    # passes it on; an event that stands for several (merged deltas, a superseding state)
    # carries the `seq` of the last of them. The TUI's end of the chain reads it to know what
    # was delivered (bridge/tui_feed.py).
    seq: int | None = attrs.field(default=None, eq=False)

    def stamped(self, at: float, seq: int | None = None) -> Event:
        """This event, entering the sink chain at `at` (time.monotonic()) as number `seq`."""
        # attrs.evolve would run the data converter (a deep copy) again for every event a
        # producer emits; the data is already frozen, so the copy shares it.
        new = object.__new__(Event)
        for name in _SHARED_FIELDS:
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "emitted_at", at)
        object.__setattr__(new, "seq", seq)
        return new

    @property
    def time(self) -> float:
        """The timestamp as POSIX seconds (local time, as MassGen writes it)."""
        try:
            return datetime.fromisoformat(self.timestamp).timestamp()
        except ValueError:
            return 0.0

    @classmethod
    def from_json(cls, obj: Any) -> Event | None:
        """The event in a parsed `events.jsonl` line, or None when it is not one."""
        if not isinstance(obj, dict):
            return None
        event_type, timestamp = obj.get("event_type"), obj.get("timestamp")
        agent, round_number = obj.get("agent_id"), obj.get("round_number")
        data = obj.get("data")
        if not isinstance(event_type, str) or not isinstance(timestamp, str):
            return None
        return cls(
            timestamp=timestamp,
            event_type=event_type,
            agent_id=agent if isinstance(agent, str) else None,
            round_number=round_number if isinstance(round_number, int) else None,
            data=data if isinstance(data, dict) else {},
        )


_SHARED_FIELDS = tuple(f.name for f in attrs.fields(Event) if f.name not in ("emitted_at", "seq"))
