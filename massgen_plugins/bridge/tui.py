"""Seam `tui`: MassGen's Textual TUI receives its events through the `wrap_event_sink` chain.

Every event MassGen's TUI shows enters at `TextualApp._handle_event_from_emitter(event)`: in a
live run (the app is an EventEmitter listener) and in `massgen viewer` (its feeder calls the
same method). Wrapped, the app's events go through a `tui_feed.Feed`: MassGen's thread only
queues the event; a thread of the app's own builds the chain on the first event (the host's
sink chain around a terminal that hands each event, as a MassGenEvent again, to MassGen's own
method, so its guard, batching and thread hand-off are unchanged) and feeds it. A plugin that
raises or overruns its deadline (`deadlines` in config) sends the app back to MassGen's direct
path, with every event the chain held delivered once, in order (tui_feed.py). When no plugin
wraps the chain, events go straight to MassGen's method: exactly as without us.

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
import weakref
from typing import Any

from massgen_plugins.bridge import runtime
from massgen_plugins.bridge.seams import Seam, resolve, wrap

# app -> its Feed, or _PASS where no plugin wraps the chain (events go straight to MassGen).
_FEEDS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
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


def _feed(wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    feed = _FEEDS.get(app)
    if feed is None:
        feed = _start(app, wrapped)
    if feed is _PASS or feed.direct or not feed.take(args[0] if args else kwargs.get("event")):
        return wrapped(*args, **kwargs)
    return None


def _start(app: Any, deliver: Any) -> Any:
    """The app's Feed, made on its first event; _PASS when no plugin wraps its chain."""
    with _LOCK:
        feed = _FEEDS.get(app)
        if feed is None:
            host = runtime.BRIDGE._host  # made already: whether any plugin wraps is known
            if runtime.BRIDGE.host_error is not None or (
                    host is not None and not host.implementers("wrap_event_sink")):
                feed = _PASS
            else:
                from massgen_plugins.bridge.tui_feed import Feed

                # The collector's freeze lasts while the app's chain runs (see _freeze_gc).
                feed = Feed(deliver, MassgenEvents(), to_event, _build, on_chain=_freeze_gc,
                            on_drop=_thaw_gc)
            _FEEDS[app] = feed
    return feed


def _build(feed: Any) -> tuple[Any, Any]:
    """The app's chain and classifier, or (None, None) when no plugin wraps it (on the pump)."""
    from massgen_plugins.bridge.tui_render import MassgenTuiClassifier
    from massgen_plugins.host import DEFAULT_DEADLINES

    # Loading the plugins imports their modules: plugin code, with the hook's deadline.
    with feed.watched(None, "loading the plugins", DEFAULT_DEADLINES["wrap_event_sink"]):
        host = runtime.host()
    if host is None:
        return None, None
    feed.event_deadline = host.deadline("event_sink")
    classify = MassgenTuiClassifier(dict(host.config.get("tui.event_classes") or {}))
    chain = host.build_event_sink(feed.terminal, classify, guard=feed.guard)
    return (None, None) if chain is feed.terminal else (chain, classify)


_FROZEN = [0]  # apps whose chain holds the collector's frozen generation
_GC_LOCK = threading.Lock()


def _freeze_gc() -> None:
    """Keep the collector off what is alive now (MassGen's imports, the app's widgets).

    By the app's first event, a MassGen process holds about a million long-lived objects, and
    every full collection walks them all: a pause of 300 to 750 ms, every thread stopped, in
    the middle of a stream (bench/massgen_tui.py). Pacing the TUI is pointless then. Frozen,
    they are skipped (pauses of 10 to 45 ms); objects made later are collected as usual.
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


def to_event(event: Any) -> Any:
    """A MassGenEvent as our frozen Event."""
    from massgen_plugins.events.model import Event

    round_number = getattr(event, "round_number", 0)
    return Event(timestamp=str(event.timestamp), event_type=str(event.event_type),
                 agent_id=event.agent_id, data=event.data or {},
                 round_number=round_number if isinstance(round_number, int) else 0)


class MassgenEvents:
    """Our Event as a MassGenEvent again, as the chain's end hands it to MassGen."""

    def __init__(self) -> None:
        """MassGen's event class, from the process's MassGen."""
        self.event_class = sys.modules["massgen.events"].MassGenEvent

    def __call__(self, event: Any) -> Any:
        """The MassGenEvent for `event` (a new object: a merged event is a new event)."""
        from massgen_plugins.values import thaw

        theirs = self.event_class(timestamp=event.timestamp, event_type=event.event_type,
                                  agent_id=event.agent_id, round_number=event.round_number or 0,
                                  data=thaw(event.data))
        if event.emitted_at is not None:
            # When the event (a merged one: its first part) entered the bridge, for whoever
            # measures latency on MassGen's side (bench/massgen_tui.py). Not a dataclass field:
            # MassGen's code and its JSON never see it.
            setattr(theirs, EMITTED_AT, event.emitted_at)
        return theirs


def _flush_first(wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # MassGen resets every panel for the new turn: the old turn's last deltas go in first
    # (queued behind the events taken so far; MassGen's UI thread does not wait for it).
    feed = _FEEDS.get(app)
    if feed is not None and feed is not _PASS:
        feed.flush()
    return wrapped(*args, **kwargs)


def _close_after(wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    feed = _FEEDS.get(app)
    if feed is not None and feed is not _PASS:
        feed.close()  # at most the `event_sink` deadline; later events go straight to MassGen
    return wrapped(*args, **kwargs)


def _active(timeline: Any) -> bool:
    """Whether this timeline's app feeds a plugin chain (otherwise MassGen is left as it is)."""
    try:
        app = timeline.app
    except Exception:
        return False
    feed = _FEEDS.get(app)
    return feed is not None and feed is not _PASS and feed.chained


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
