"""A sink wrapper that coalesces streaming deltas, keeps only the latest state, and paces flushes.

- Streaming deltas (text, thinking, ...) from one agent and of one type merge into one event
  carrying the concatenated content; the merged event keeps the first delta's timestamp and
  the earliest `emitted_at`, so latency is measured from the first delta.
- State events (status, progress) of one agent and type: only the latest is kept.
- A critical event flushes everything pending first, then goes through in the same hand-off,
  so what caused a vote is on screen before the vote.
- Pending state is one slot per (agent, event type): bounded however fast producers are.

Flushes: a lone event after a quiet spell goes out at once (leading edge); otherwise an entry
waits at most its type's interval, and never more than `max_latency`; flushes are at least
`1 / max_fps` apart, except that a critical event never waits. One flusher thread per sink
drives the timed flushes, so an urgent flush never leaves a second timed chain running.
Everything pending is flushed on `flush()` and `close()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from massgen_plugins.events.classes import CRITICAL, STATE, STREAMING

DEFAULT_INTERVALS = {STREAMING: 0.1, "thinking": 0.2, STATE: 0.25}
DEFAULT_MAX_LATENCY = 0.3
DEFAULT_MAX_FPS = 10.0


@attrs.define
class _Slot:
    event: Any
    parts: list[str]
    since: float
    merged: int = 0


class ThrottleSink:
    """Wraps a sink; see the module docstring for the rules."""

    def __init__(self, inner: Any, classify: Callable[[str], str],
                 intervals: Mapping[str, float] | None = None,
                 max_latency: float = DEFAULT_MAX_LATENCY, max_fps: float = DEFAULT_MAX_FPS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Wrap `inner`; `intervals` maps an event type or class to seconds."""
        self.inner = inner
        self.classify = classify
        self.intervals = {**DEFAULT_INTERVALS, **(intervals or {})}
        self.max_latency = max_latency
        self.min_gap = 1.0 / max_fps if max_fps > 0 else 0.0
        self.clock = clock
        self._slots: dict[tuple[str | None, str], _Slot] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._last_flush = float("-inf")
        self._closed = False
        self.events_in = self.events_out = self.coalesced = self.flushes = 0
        self.max_pending_latency = 0.0
        self._batch_inner = callable(getattr(inner, "emit_many", None))
        self._thread = threading.Thread(target=self._run, name="massgen-tui-throttle",
                                        daemon=True)
        self._thread.start()

    # -- the sink protocol ------------------------------------------------------------------

    def emit(self, event: Any) -> None:
        """Take one event: merge it, keep it, or flush and pass it through."""
        kind = self.classify(event.event_type)
        out: list[Any] = []
        with self._lock:
            if self._closed:  # a late event is not lost: it goes straight through
                self._deliver([event])
                return
            self.events_in += 1
            now = self.clock()
            if kind == CRITICAL:
                out = self._take_all(now)
                out.append(event)
                self._last_flush = now
                self.flushes += 1
            else:
                key = (event.agent_id, event.event_type)
                slot = self._slots.get(key)
                if slot is None:
                    quiet = now - self._last_flush >= max(self.min_gap,
                                                          self._interval(event.event_type, kind))
                    if quiet and not self._slots:
                        # Leading edge: a lone event after a quiet spell shows at once.
                        out = [event]
                        self._last_flush = now
                        self.flushes += 1
                    else:
                        self._slots[key] = _Slot(event, [self._content(event)], now)
                        self._wake.notify()
                elif kind == STREAMING:
                    slot.parts.append(self._content(event))
                    slot.merged += 1
                else:  # state: the newer one supersedes
                    slot.event, slot.merged = event, slot.merged + 1
            self.events_out += len(out)
            if out:
                self._deliver(out)

    def flush(self) -> None:
        """Deliver everything pending now, then flush the inner sink."""
        with self._lock:
            out = self._take_all(self.clock())
            if out:
                self.flushes += 1
                self._last_flush = self.clock()
                self.events_out += len(out)
                self._deliver(out)
        self.inner.flush()

    def close(self) -> None:
        """Flush what is pending, stop the flusher, close the inner sink."""
        with self._lock:
            if self._closed:
                return
            out = self._take_all(self.clock())
            if out:
                self.flushes += 1
                self.events_out += len(out)
                self._deliver(out)
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=5)
        self.inner.close()

    def metrics(self) -> dict[str, Any]:
        """Counters for the headless stats."""
        inner = getattr(self.inner, "metrics", None)
        return {**(inner() if callable(inner) else {}), "tui_throttle": {
            "events_in": self.events_in, "events_out": self.events_out,
            "coalesced": self.coalesced, "flushes": self.flushes,
            "max_pending_latency_ms": round(self.max_pending_latency * 1000, 3)}}

    # -- internals (called with the lock held) -----------------------------------------------

    def _interval(self, event_type: str, kind: str) -> float:
        return self.intervals.get(event_type, self.intervals.get(kind, 0.1))

    @staticmethod
    def _content(event: Any) -> str:
        return str(event.data.get("content") or "")

    def _merged(self, slot: _Slot) -> Any:
        if slot.merged == 0 or self.classify(slot.event.event_type) != STREAMING:
            return slot.event
        data = {**slot.event.data, "content": "".join(slot.parts)}
        return attrs.evolve(slot.event, data=data)

    def _take(self, keys: list[tuple[str | None, str]], now: float) -> list[Any]:
        out = []
        for key in keys:
            slot = self._slots.pop(key)
            self.coalesced += slot.merged
            self.max_pending_latency = max(self.max_pending_latency, now - slot.since)
            out.append(self._merged(slot))
        return out

    def _take_all(self, now: float) -> list[Any]:
        return self._take(list(self._slots), now)

    def _deliver(self, events: list[Any]) -> None:
        # One hand-off per flush: the app applies it as one batch, one refresh per widget.
        if self._batch_inner:
            self.inner.emit_many(events)
        else:
            for event in events:
                self.inner.emit(event)

    def _deadline(self, key: tuple[str | None, str], slot: _Slot) -> float:
        kind = self.classify(key[1])
        due = slot.since + min(self._interval(key[1], kind), self.max_latency)
        return max(due, self._last_flush + self.min_gap)

    def _run(self) -> None:
        with self._lock:
            while not self._closed:
                if not self._slots:
                    self._wake.wait()
                    continue
                now = self.clock()
                deadlines = {k: self._deadline(k, s) for k, s in self._slots.items()}
                first = min(deadlines.values())
                if first > now:
                    self._wake.wait(timeout=first - now)
                    continue
                # Everything due goes out, and whatever would be due within the frame gap
                # joins it, so one flush serves several agents.
                horizon = now + self.min_gap
                due = [k for k, d in deadlines.items() if d <= horizon]
                out = self._take(due, now)
                self._last_flush = now
                self.flushes += 1
                self.events_out += len(out)
                self._deliver(out)
