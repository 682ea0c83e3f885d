"""A sink wrapper that coalesces streaming deltas, keeps only the latest state, and paces flushes.

- Streaming deltas (text, thinking, ...) from one agent and of one type merge into one event
  carrying the concatenated content; the merged event keeps the first delta's timestamp and
  the earliest `emitted_at`, so latency is measured from the first delta. Only deltas of the
  same round whose other fields are equal merge: a delta that differs in any of them (a new
  round, another `is_redacted`) first sends what is pending, so no field MassGen reads is lost.
  A delta whose flag ends a block (`thinking` with `done`) is critical, see events/classes.py.
  The classifier's `join` says what the parts become: for MassGen's TUI, which cleans each
  delta on its own, a join that would show other text is split where it would.
- State events (status, progress) of one agent and type: only the latest is kept.
- Pending state is one slot per (agent, event type): bounded however fast producers are.
- A critical event flushes everything pending first, then goes through in the same hand-off,
  so what caused a vote is on screen before the vote.

Pacing: a lone event after a quiet spell goes out at once (leading edge); otherwise an entry
waits at most its type's interval, and never more than `max_latency`. Timed flushes are at
least `1 / max_fps` apart. A critical event goes out at once, with what was pending before
it: MassGen's TUI hands events to its UI thread in 16 ms batches itself, so holding one for a
frame slot would only add latency. Under a flood (more than 2,000 events/s, far beyond
reading speed, as in a replay at full speed), the frame gap triples: the text is a blur
either way, and the UI's share of the CPU matters more then.

One flusher thread per sink drives the timed flushes, so an urgent flush never leaves a second
timed chain running. Everything pending is flushed on `flush()` and `close()`.

The inner sink is called outside the lock that guards the pending events, one event per call,
one caller at a time, in the order the flushes were made: while it is slow, producers keep
merging into their slots instead of waiting. A producer hands its own flush over itself when
nobody else is (so a lone or critical event still shows at once); otherwise it leaves it
queued for the caller of the moment or the flusher, and returns. Each event the sink takes is
handed to it exactly once: one it raises on is counted (`refused`) and never handed again, and
nothing stops, not the flusher, not the producers. Every event keeps its `seq`; one that
stands for several (merged deltas, a superseding state) carries the `seq` of the last.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from massgen_plugins import CRITICAL, STATE, STREAMING

DEFAULT_INTERVALS = {STREAMING: 0.05, "thinking": 0.05, STATE: 0.25}
DEFAULT_MAX_LATENCY = 0.3
DEFAULT_MAX_FPS = 20.0
FLOOD_RATE = 2000.0  # events/s over a window of FLOOD_WINDOW seconds
FLOOD_WINDOW = 0.5
FLOOD_SLOWDOWN = 3  # the frame gap grows this much under a flood


@attrs.define
class _Slot:
    event: Any
    parts: list[str]
    seqs: list[int | None]  # each part's `seq`
    since: float

    def takes(self, event: Any) -> bool:
        """Whether `event` may merge into this slot: same round, same fields but content."""
        mine = self.event
        if event.round_number != mine.round_number or len(event.data) != len(mine.data):
            return False
        return all(k == "content" or mine.data.get(k, _MISSING) == v
                   for k, v in event.data.items())


_MISSING = object()


class ThrottleSink:
    """Wraps a sink; see the module docstring for the rules."""

    def __init__(self, inner: Any, classify: Any,
                 intervals: Mapping[str, float] | None = None,
                 max_latency: float = DEFAULT_MAX_LATENCY, max_fps: float = DEFAULT_MAX_FPS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Wrap `inner`; `classify.of(event)` gives a class; `intervals`: type or class to seconds."""
        self.inner = inner
        self.classify = classify
        self.intervals = {**DEFAULT_INTERVALS, **(intervals or {})}
        self.max_latency = max_latency
        self.min_gap = self._gap = 1.0 / max_fps if max_fps > 0 else 0.0
        self.clock = clock
        self._slots: dict[tuple[str | None, str], _Slot] = {}
        self._window_start = clock()
        self._window_events = 0
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        # Flushes made but not yet handed to the inner sink, oldest first (under _lock), and
        # the lock held by whoever is calling the inner sink.
        self._out: deque[list[Any]] = deque()
        self._out_lock = threading.Lock()
        self.refused = 0  # events the inner sink raised on
        self._last_flush = float("-inf")
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="massgen-tui-throttle",
                                        daemon=True)
        self._thread.start()

    # -- the sink protocol ------------------------------------------------------------------

    def emit(self, event: Any) -> None:
        """Take one event: merge it, keep it, or flush and pass it through."""
        kind = self.classify.of(event)
        late = False
        try:
            late = self._take_in(event, kind)
        finally:
            if late:  # no flusher any more: this producer hands it over, waiting its turn
                self._out_lock.acquire()
                self._hand_over()
            elif self._out and self._out_lock.acquire(blocking=False):
                self._hand_over(once=True)

    def _take_in(self, event: Any, kind: str) -> bool:
        """Merge, keep or queue `event`; True when the sink is closed (it is queued as is)."""
        with self._lock:
            if self._closed:  # a late event is not lost: it goes straight through
                self._out.append([event])
                return True
            now = self.clock()
            self._measure_rate(now)
            if kind == CRITICAL:
                self._send([*self._take_all(), event], now)
                return False
            key = (event.agent_id, event.event_type)
            slot = self._slots.get(key)
            if slot is None:
                quiet = now - self._last_flush >= max(self._gap,
                                                      self._interval(event.event_type, kind))
                if quiet and not self._slots:
                    self._send([event], now)  # leading edge: a lone event shows at once
                else:
                    self._open(key, event, now)
            elif kind == STREAMING and slot.takes(event):
                slot.parts.append(self._content(event))
                slot.seqs.append(event.seq)
            elif kind == STREAMING:
                # Another round or other fields: what is pending goes first, in order.
                self._send(self._take_all(), now)
                self._open(key, event, now)
            else:  # state: the newer one supersedes
                slot.event = event
        return False

    def _open(self, key: tuple[str | None, str], event: Any, now: float) -> None:
        self._slots[key] = _Slot(event, [self._content(event)], [event.seq], now)
        self._wake.notify()

    def flush(self) -> None:
        """Deliver everything pending now, then flush the inner sink."""
        with self._lock:
            self._send(self._take_all(), self.clock())
        self._out_lock.acquire()
        self._hand_over()
        self._call(self.inner.flush)

    def close(self) -> None:
        """Flush what is pending, stop the flusher, close the inner sink."""
        with self._lock:
            if self._closed:
                return
            self._send(self._take_all(), self.clock())
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=5)
        self._out_lock.acquire()
        self._hand_over()
        self._call(self.inner.close)

    # -- internals (called with the lock held) -----------------------------------------------

    def _interval(self, event_type: str, kind: str) -> float:
        return self.intervals.get(event_type, self.intervals.get(kind, 0.1))

    @staticmethod
    def _content(event: Any) -> str:
        return str(event.data.get("content") or "")

    def _measure_rate(self, now: float) -> None:
        self._window_events += 1
        elapsed = now - self._window_start
        if elapsed >= FLOOD_WINDOW:
            flooded = self._window_events / elapsed > FLOOD_RATE
            self._gap = self.min_gap * (FLOOD_SLOWDOWN if flooded else 1)
            self._window_start, self._window_events = now, 0

    def _merged(self, slot: _Slot) -> list[Any]:
        """The slot's events: one for merged deltas, unless the TUI joins them otherwise.

        Each carries the `seq` of the last part it stands for.
        """
        if len(slot.parts) == 1 or self.classify.of(slot.event) != STREAMING:
            return [slot.event]  # a state slot holds the newest event: its own `seq`
        join = getattr(self.classify, "join", None)
        try:
            pieces = join(slot.event, slot.parts) if callable(join) else None
            if pieces is None or sum(n for _, n in pieces) != len(slot.parts):
                pieces = [("".join(slot.parts), len(slot.parts))]
        except Exception:  # the parts one by one always show what they would have shown
            pieces = [(part, 1) for part in slot.parts]
        out, end = [], 0
        for content, count in pieces:
            end += count
            out.append(attrs.evolve(slot.event, data={**slot.event.data, "content": content},
                                    seq=slot.seqs[end - 1]))
        return out

    def _take(self, keys: list[tuple[str | None, str]]) -> list[Any]:
        """The slots under `keys`, each as its events, in that order."""
        out: list[Any] = []
        for key in keys:
            out += self._merged(self._slots.pop(key))
        return out

    def _take_all(self) -> list[Any]:
        return self._take(list(self._slots))

    def _send(self, events: list[Any], now: float) -> None:
        """Queue one flush's batch (the lock held); it is handed over outside the lock."""
        if not events:
            return
        self._last_flush = now
        self._out.append(events)
        self._wake.notify()

    # -- handing batches to the inner sink (never with _lock held) -----------------------------

    def _hand_over(self, once: bool = False) -> None:
        """Deliver the queued batches in order; the caller holds _out_lock, released here.

        `once`: a producer delivers only what is queued now, so a slow sink costs it at most
        that; what comes later is the flusher's.
        """
        try:
            while True:
                with self._lock:
                    batches = list(self._out)
                    self._out.clear()
                if not batches:
                    return
                for batch in batches:
                    self._deliver(batch)
                if once:
                    return
        finally:
            self._out_lock.release()
            with self._lock:
                if self._out:
                    self._wake.notify()  # queued while this caller was busy: the flusher's

    def _deliver(self, events: list[Any]) -> None:
        for event in events:  # one by one: each is handed over once, refused or not
            if not self._call(self.inner.emit, event):
                self.refused += 1

    @staticmethod
    def _call(method: Callable[..., Any], *args: Any) -> bool:
        """Call the inner sink; False when it raised (never raised on, never retried)."""
        try:
            method(*args)
        except Exception:  # the sink's own bug must not stop the events of others
            return False
        return True

    def _deadline(self, key: tuple[str | None, str], slot: _Slot) -> float:
        kind = self.classify(key[1])  # the interval is the type's
        due = slot.since + min(self._interval(key[1], kind), self.max_latency)
        return max(due, self._last_flush + self._gap)

    def _run(self) -> None:
        while self._due():
            self._out_lock.acquire()
            self._hand_over()

    def _due(self) -> bool:
        """Wait until a batch is queued (making the timed ones); False once closed."""
        with self._lock:
            while not self._closed:
                if self._out:
                    return True
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
                horizon = now + self._gap
                self._send(self._take([k for k, d in deadlines.items() if d <= horizon]), now)
            return False
