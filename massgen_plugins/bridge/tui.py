"""Seam `tui`: MassGen's Textual TUI receives its events through the `wrap_event_sink` chain.

Every event MassGen's TUI shows enters at `TextualApp._handle_event_from_emitter(event)`: in a
live run (the app is an EventEmitter listener) and in `massgen viewer` (its feeder calls the
same method). Wrapped, the app's first event builds the app's chain: the host's sink chain
around a terminal sink that hands each event, as a MassGenEvent again, to MassGen's own method
(so its guard, batching and thread hand-off are unchanged). When no plugin wraps the chain,
events go straight to MassGen's method: exactly as without us.

The chain is built with MassGen's vocabulary (tui_render.MassgenTuiClassifier: its event
classes, and joins of deltas that show what the deltas show one by one), flushed before
MassGen starts a new turn (`update_turn_header` resets the panels) and closed when the app
unmounts. While a chain is active, the timeline's scroll-to-end requests are coalesced to one
per frame, a reader who scrolled up is not pulled back down (MassGen ignores every scroll that
happens while its own auto-scroll is settling, most of the time while text streams, so a
scroll up then went unnoticed), and the collector leaves alone what was alive at the first
event (see _freeze_gc).
"""

from __future__ import annotations

import sys
import threading
import time
import weakref
from typing import Any

from massgen_plugins.bridge import runtime
from massgen_plugins.bridge.seams import Seam, resolve, wrap

# app -> its chain, or None where no plugin wraps it (events then go straight to MassGen).
_CHAINS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
# app -> the classifier its chain was built with (it follows the final presentation).
_CLASSIFIERS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_PASS = object()
EMITTED_AT = "massgen_plugins_emitted_at"  # attribute on delivered events: time.monotonic()


def instrument(seam: Seam) -> None:
    """Route the app's events through the chain; flush it on a new turn; close it on unmount."""
    handle, turn, unmount, watch, scroll = (resolve(t) for t in seam.targets)
    wrap(*handle, _feed)
    wrap(*turn, _flush_first)
    wrap(*unmount, _close_after)
    wrap(*watch, _notice_scroll_up)
    wrap(*scroll, _scroll_once_per_frame)


def _chain(app: Any, deliver: Any) -> Any:
    """The app's chain, built on its first event; _PASS when no plugin wraps it."""
    chain = _CHAINS.get(app)
    if chain is not None:
        return chain
    with _LOCK:
        chain = _CHAINS.get(app)
        if chain is None:
            chain, _CLASSIFIERS[app] = _build(deliver)
            _CHAINS[app] = chain
            if chain is not _PASS:
                _freeze_gc()
    return chain


_FROZEN = [0]  # apps whose chain holds the collector's frozen generation
_GC_LOCK = threading.Lock()


def _freeze_gc() -> None:
    """Keep the collector off what is alive now (MassGen's imports, the app's widgets).

    By the app's first event, a MassGen process holds about a million long-lived objects, and
    every full collection walks them all: a pause of 300 to 750 ms, every thread stopped, in
    the middle of a stream (bench/massgen_tui.py). Pacing the TUI is pointless then. Frozen,
    they are skipped (pauses of 10 to 45 ms); objects made later are collected as usual. Our
    own TUI does the same after its start-up.
    """
    import gc

    with _GC_LOCK:
        if _FROZEN[0] == 0:
            gc.freeze()
        _FROZEN[0] += 1


def _thaw_gc() -> None:
    """The last app with a chain is gone: the collector sees everything again."""
    import gc

    with _GC_LOCK:
        _FROZEN[0] -= 1
        if _FROZEN[0] == 0:
            gc.unfreeze()


def _build(deliver: Any) -> tuple[Any, Any]:
    from massgen_plugins.bridge.tui_render import MassgenTuiClassifier

    host = runtime.host()
    if host is None:
        return _PASS, None
    classify = MassgenTuiClassifier(dict(host.config.get("tui.event_classes") or {}))
    terminal = MassgenTuiSink(deliver)
    chain = host.build_event_sink(terminal, classify)
    return (_PASS, None) if chain is terminal else (chain, classify)


def _feed(wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    chain = _chain(app, wrapped)
    if chain is _PASS:
        return wrapped(*args, **kwargs)
    event = args[0] if args else kwargs.get("event")
    try:
        ours = to_event(event)
    except Exception:
        return wrapped(*args, **kwargs)  # not an event we can read: MassGen's own path
    classify = _CLASSIFIERS.get(app)
    if classify is not None:
        classify.before(ours)
    try:
        chain.emit(ours.stamped(time.monotonic()))
    except Exception as exc:
        # A sink that fails must not cost the TUI its events: this app goes unthrottled from
        # now on (what the chain held is flushed if it can be), and this event goes direct.
        runtime.warn(f"bridge: the TUI's event chain failed ({type(exc).__name__}: {exc}); "
                     "MassGen's TUI gets its events directly from now on")
        with _LOCK:
            _CHAINS[app] = _PASS
            _CLASSIFIERS.pop(app, None)
        _thaw_gc()  # the unmount that would have thawed it sees no chain now
        try:
            chain.flush()
        except Exception:
            pass
        return wrapped(*args, **kwargs)
    if classify is not None:
        classify.after(ours)
    return None


def to_event(event: Any) -> Any:
    """A MassGenEvent as our frozen Event."""
    from massgen_plugins.events.model import Event

    round_number = getattr(event, "round_number", 0)
    return Event(timestamp=str(event.timestamp), event_type=str(event.event_type),
                 agent_id=event.agent_id, data=event.data or {},
                 round_number=round_number if isinstance(round_number, int) else 0)


class MassgenTuiSink:
    """The chain's end: each event, as a MassGenEvent again, into MassGen's own entry point."""

    def __init__(self, deliver: Any) -> None:
        """`deliver` is MassGen's original `_handle_event_from_emitter`, bound to the app."""
        self.deliver = deliver
        self.event_class = sys.modules["massgen.events"].MassGenEvent

    def emit(self, event: Any) -> None:
        """Hand one event to MassGen."""
        from massgen_plugins.values import thaw

        theirs = self.event_class(timestamp=event.timestamp, event_type=event.event_type,
                                  agent_id=event.agent_id, round_number=event.round_number or 0,
                                  data=thaw(event.data))
        if event.emitted_at is not None:
            # When the event (a merged one: its first part) entered the chain, for whoever
            # measures latency on MassGen's side (bench/massgen_tui.py). Not a dataclass field:
            # MassGen's code and its JSON never see it.
            setattr(theirs, EMITTED_AT, event.emitted_at)
        self.deliver(theirs)

    def emit_many(self, events: Any) -> None:
        """Hand several events to MassGen, in order (it batches them itself, every 16 ms)."""
        for event in events:
            self.emit(event)

    def flush(self) -> None:
        """Nothing is held here."""

    def close(self) -> None:
        """Nothing to release."""


def _flush_first(wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # MassGen resets every panel for the new turn: the old turn's last deltas go in first.
    chain = _CHAINS.get(app)
    if chain is not None and chain is not _PASS:
        chain.flush()
        classify = _CLASSIFIERS.get(app)
        if classify is not None:
            classify.new_turn()
    return wrapped(*args, **kwargs)


def _close_after(wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    chain = _CHAINS.pop(app, None)
    _CLASSIFIERS.pop(app, None)
    if chain is not None and chain is not _PASS:
        chain.close()
        _thaw_gc()
    return wrapped(*args, **kwargs)


def _active(timeline: Any) -> bool:
    """Whether this timeline's app feeds a plugin chain (otherwise MassGen is left as it is)."""
    try:
        app = timeline.app
    except Exception:
        return False
    chain = _CHAINS.get(app)
    return chain is not None and chain is not _PASS


def _notice_scroll_up(wrapped: Any, timeline: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)
    old, new = args[:2] if len(args) >= 2 else (kwargs.get("old_value"), kwargs.get("new_value"))
    if (not _active(timeline) or old is None or new is None
            or not getattr(timeline, "_auto_scrolling", False)
            or getattr(timeline, "_final_lock_active", False)):
        return result
    # MassGen ignored this scroll as its own. Its auto-scroll only ever goes to the end (a
    # shrinking view clamps it there too), so a move up that leaves the end is the reader's.
    if new < old and new < timeline.max_scroll_y - 2 and not timeline._scroll_mode:
        timeline._user_scrolled_up = True
        timeline._scroll_mode = True
        timeline._new_content_count = 0
        timeline._update_scroll_indicator()
    return result


def _scroll_once_per_frame(wrapped: Any, timeline: Any, args: tuple[Any, ...],
                           kwargs: dict[str, Any]) -> Any:
    force = kwargs.get("force", args[2] if len(args) > 2 else False)
    if force or not _active(timeline):
        return wrapped(*args, **kwargs)
    if getattr(timeline, "_final_lock_active", False) or getattr(
            timeline, "_massgen_plugins_scroll_queued", False):
        return None  # one scroll to the end is already queued for this frame
    timeline._massgen_plugins_scroll_queued = True

    def scroll() -> None:
        timeline._massgen_plugins_scroll_queued = False
        if timeline._scroll_mode or getattr(timeline, "_final_lock_active", False):
            return  # the reader scrolled up meanwhile: stay
        timeline._auto_scrolling = True
        timeline.scroll_end(animate=False)
        timer = getattr(timeline, "_scroll_timer", None)
        if timer is not None:
            timer.stop()
        # MassGen's own settle time before it listens to scrolls again.
        timeline._scroll_timer = timeline.set_timer(0.1, timeline._reset_auto_scroll)

    timeline.call_after_refresh(scroll)
    return None
