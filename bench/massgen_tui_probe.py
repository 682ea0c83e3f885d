"""Bench-only instrumentation inside a `massgen viewer` process (see bench/massgen_tui.py).

Loaded at interpreter start by a sitecustomize the bench writes (on PYTHONPATH), it watches
MassGen's Textual app without changing what it shows. It starts the viewer's feeder once
Textual's own start-up is over (STARTUP_S after mount: parsing and applying the app's CSS and
the first layouts take a few seconds of the app thread, the same with the plugin on or off),
and when the replay is over and nothing was applied for QUIET_S, writes what it measured to
$MASSGEN_TUI_PROBE_OUT and exits the app:

- ui_cpu_s: time.thread_time() of the app's thread, from the feeder's start to the end; of
  it, events_cpu_s applying events (_route_event_batch) and draw_cpu_s drawing frames;
- frames: compositor updates (App._display with something to draw), as Textual draws them;
- latency_ms: from an event's entry into TextualApp._handle_event_from_emitter (before any
  plugin chain) to the end of TimelineEventAdapter.handle_event for it on the app thread,
  for streaming and critical events (MassGen's classes, events/classes.py). A merged delta
  counts once, from its first part: an upper bound for every part;
- gc_full_pauses: full collections (when, how long): they stop every thread;
- content: each agent's timeline at the end, one line per item, in order;
- critical: the critical events the adapters handled, in order.

MASSGEN_TUI_PROBE_PROFILE=FILE also writes a cProfile of the app thread over the replay.

MASSGEN_TUI_PROBE_KEYS=1 (bench/massgen_tui_latency.py, the viewer in a real terminal) also
measures what a user feels, and holds the app open for idle key presses once settled:

- keys: for each press of an agent's digit (MassGen: show agent N), from the key event's making
  on Textual's input thread to the end of the first frame drawn after MassGen switched the
  panel (App._display: the frame handed to the driver's writer thread);
- markers: for each marker (MARKER, put into a copy of the recording by the bench), its entry
  into MassGen (before any plugin chain), its batch's arrival on the UI thread, its
  application by the timeline adapter, the end of the first frame after that (for a text
  card, after the card's debounced redraw), and, for the focused agent's, the first frame
  whose bytes hold it;
- process CPU (every thread) besides the UI thread's, and the load average.

It writes "started" and "settled" to $MASSGEN_TUI_PROBE_OUT.phase; after "settled" it keeps
measuring key presses (idle) until $MASSGEN_TUI_PROBE_OUT.stop exists, then writes and exits.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

ATTR = "massgen_plugins_emitted_at"  # the bridge stamps what it delivers with this attribute
_TTD = "massgen.frontend.displays.textual_terminal_display"
_PIPELINE = "massgen.frontend.displays.tui_event_pipeline"
_CARD = "massgen.frontend.displays.textual_widgets.collapsible_text_card"
QUIET_S = float(os.environ.get("MASSGEN_TUI_PROBE_QUIET", "1.0"))
STARTUP_S = float(os.environ.get("MASSGEN_TUI_PROBE_STARTUP", "3.0"))
KEYS = os.environ.get("MASSGEN_TUI_PROBE_KEYS") == "1"
MARKER = re.compile(r"QZ[A-Z]{4}")  # what the bench writes into streamed deltas
AGENT_KEYS = frozenset("123456789")  # MassGen: show agent N
MARKER_GIVE_UP_S = 3.0  # a marker not on screen by then never shows (scrolled past)


class Probe:
    """What one viewer process measured."""

    def __init__(self) -> None:
        """Nothing measured yet."""
        self.app: Any = None
        self.started = 0.0  # time.monotonic() when the feeder started; 0 before
        self.cpu_start = self.events_cpu = self.draw_cpu = 0.0
        self.frames = self.frames_at_start = 0
        self.latency: dict[str, list[float]] = {"streaming": [], "critical": []}
        self.by_type: dict[str, list[float]] = {}
        self.critical: list[str] = []
        self.handled = self.unstamped = 0
        self.last_handled = 0.0
        self.gc_pauses: list[tuple[float, float]] = []
        self.done = False
        self.classify: Any = None
        self.profile: Any = None
        self.proc_cpu_start = 0.0
        self.load_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
        self.result: dict[str, Any] | None = None  # the stream's figures, once settled
        # Keys: when the pressed key was made, until MassGen switched, until the next frame.
        self.key_at: float | None = None
        self.switched: tuple[float, float] | None = None  # (key made, switched)
        self.keys: list[tuple[str, float, float, float]] = []  # (phase, made, switched, drawn)
        # Markers: name -> [entered, routed, applied, drawn, in a frame's bytes, agent,
        # focused when applied, in a card]; time.monotonic() times. "drawn": the end of the
        # first frame after MassGen asked to redraw what holds it (a text card redraws at most
        # every 50 ms: MassGen's own debounce), or else after it was applied.
        self.markers: dict[str, list[Any]] = {}
        self.unframed: list[list[Any]] = []  # to be drawn by the next frame
        self.in_cards: dict[int, list[list[Any]]] = {}  # id(card) -> records its redraw shows
        self.unseen: dict[str, list[Any]] = {}  # the focused agent's, waiting to be drawn
        self.key_targets: dict[str, int] = {}  # "screen/focused widget" -> keys

PROBE = Probe()
_GC_START: list[float] = []


def install() -> None:
    """Watch MassGen's TUI modules and Textual's as they load."""
    import gc

    import wrapt

    gc.callbacks.append(_gc_timer)
    wrapt.register_post_import_hook(_on_textual, "textual.app")
    wrapt.register_post_import_hook(_on_viewer, "massgen.viewer")
    wrapt.register_post_import_hook(_on_pipeline, _PIPELINE)
    wrapt.register_post_import_hook(_on_ttd, _TTD)
    if KEYS:
        wrapt.register_post_import_hook(_on_card, _CARD)


def _gc_timer(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _GC_START[:] = [time.monotonic()]
    elif _GC_START and info.get("generation") == 2 and PROBE.started and not PROBE.done:
        PROBE.gc_pauses.append((round(_GC_START[0] - PROBE.started, 3),
                                round((time.monotonic() - _GC_START[0]) * 1000, 1)))


def _measuring() -> bool:
    return bool(PROBE.started) and not PROBE.done


def _on_textual(module: Any) -> None:
    import textual.screen
    import wrapt

    def display(wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        renderable = args[1] if len(args) > 1 else kwargs.get("renderable")
        drawn = app is PROBE.app and renderable is not None and not app._batch_count
        if drawn:
            PROBE.frames += 1
        result = wrapped(*args, **kwargs)
        if drawn and KEYS:
            _drawn(time.monotonic())
        return result

    def update(wrapped: Any, screen: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        cpu = time.thread_time()
        try:
            return wrapped(*args, **kwargs)
        finally:
            if _measuring():
                PROBE.draw_cpu += time.thread_time() - cpu

    wrapt.wrap_function_wrapper(module, "App._display", display)
    wrapt.wrap_function_wrapper(textual.screen, "Screen._on_timer_update", update)
    if KEYS:
        _watch_keys_and_frames(module)


def _watch_keys_and_frames(module: Any) -> None:
    """Note each next-agent key press, and look for markers in the bytes of each frame."""
    import textual.drivers.linux_driver
    import wrapt
    from textual import events

    def on_event(wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        event = args[0] if args else kwargs["event"]
        if isinstance(event, events.Key) and event.key in AGENT_KEYS:
            PROBE.key_at = event.time  # made on Textual's input thread: time.monotonic()
            # Where it went: a focused widget or another screen may take it before MassGen.
            where = f"{type(app.screen).__name__}/{type(app.focused).__name__}"
            PROBE.key_targets[where] = PROBE.key_targets.get(where, 0) + 1
        return wrapped(*args, **kwargs)

    def write(wrapped: Any, driver: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if PROBE.unseen:
            _look_for_markers(args[0] if args else kwargs["data"], time.monotonic())
        return wrapped(*args, **kwargs)

    wrapt.wrap_function_wrapper(module, "App.on_event", on_event)
    wrapt.wrap_function_wrapper(textual.drivers.linux_driver, "LinuxDriver.write", write)


def _drawn(now: float) -> None:
    """A frame was drawn: it answers the last key, and shows what was applied before it."""
    if PROBE.switched is not None:
        made, switched = PROBE.switched
        PROBE.switched = None
        if PROBE.started:
            PROBE.keys.append(("idle" if PROBE.result is not None else "stream", made,
                               switched, now))
    for record in PROBE.unframed:
        record[3] = now
    PROBE.unframed.clear()


def _look_for_markers(data: str, now: float) -> None:
    for marker, record in list(PROBE.unseen.items()):
        if marker in data:
            record[4] = now
            del PROBE.unseen[marker]
        elif now - record[0] > MARKER_GIVE_UP_S:
            del PROBE.unseen[marker]  # scrolled past before a frame showed it


def _markers_of(event: Any) -> list[str]:
    content = event.data.get("content") if isinstance(event.data, dict) else None
    if isinstance(content, str) and "QZ" in content:
        return MARKER.findall(content)
    return []


def _markers_entered(event: Any, now: float) -> None:
    if _measuring():
        for marker in _markers_of(event):
            PROBE.markers.setdefault(marker, [now, None, None, None, None, event.agent_id,
                                              False, False])


def _markers_routed(events: list[Any], now: float) -> None:
    """A batch reached the UI thread: when its markers did."""
    for event in events:
        for marker in _markers_of(event):
            record = PROBE.markers.get(marker)
            if record is not None and record[1] is None:
                record[1] = now


def _marker_applied(event: Any, now: float) -> None:
    """The timeline adapter applied an event: its markers wait for the next frame."""
    for marker in _markers_of(event):
        record = PROBE.markers.get(marker)
        if record is None or record[2] is not None:
            continue
        record[2] = now
        if not record[7]:  # not in a text card: the next frame draws it
            PROBE.unframed.append(record)
        if event.agent_id == PROBE.app._active_agent_id:
            record[6] = True  # on the screen's panel: look for it in the frames' bytes
            PROBE.unseen[marker] = record


def _on_card(module: Any) -> None:
    """Follow markers into MassGen's text cards, which redraw on a debounce timer."""
    import wrapt

    def append(wrapped: Any, card: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        result = wrapped(*args, **kwargs)
        content = args[0] if args else kwargs.get("new_content")
        if isinstance(content, str) and "QZ" in content:
            for marker in MARKER.findall(content):
                record = PROBE.markers.get(marker)
                if record is not None and not record[7]:
                    record[7] = True
                    PROBE.in_cards.setdefault(id(card), []).append(record)
        return result

    def redraw(wrapped: Any, card: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        result = wrapped(*args, **kwargs)
        PROBE.unframed += PROBE.in_cards.pop(id(card), [])
        return result

    card = "CollapsibleTextCard"
    wrapt.wrap_function_wrapper(module, f"{card}.append_content", append)
    wrapt.wrap_function_wrapper(module, f"{card}._flush_pending_refresh", redraw)


def _on_viewer(module: Any) -> None:
    import wrapt

    def start(wrapped: Any, feeder: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        deliver = feeder._event_callback  # the app's _handle_event_from_emitter

        def stamped(event: Any) -> Any:
            now = time.monotonic()
            setattr(event, ATTR, now)
            if KEYS:
                _markers_entered(event, now)
            return deliver(event)

        feeder._event_callback = stamped
        app = PROBE.app
        if app is None:
            return wrapped(*args, **kwargs)

        def begin() -> None:
            PROBE.cpu_start = time.thread_time()
            PROBE.proc_cpu_start = time.process_time()
            PROBE.load_start = os.getloadavg()
            _write_phase("started")
            PROBE.started = time.monotonic()
            PROBE.frames_at_start = PROBE.frames
            if os.environ.get("MASSGEN_TUI_PROBE_PROFILE"):
                import cProfile

                PROBE.profile = cProfile.Profile()  # this thread's: the app's
                PROBE.profile.enable()
            wrapped(*args, **kwargs)

        app.set_timer(STARTUP_S, begin)
        return None

    wrapt.wrap_function_wrapper(module, "EventFeeder.start", start)


def _on_pipeline(module: Any) -> None:
    import wrapt

    from massgen_plugins.events.classes import MASSGEN_TUI_CLASSES, Classifier

    PROBE.classify = Classifier(defaults=MASSGEN_TUI_CLASSES)

    def handle(wrapped: Any, adapter: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        event = args[0] if args else kwargs["event"]
        try:
            return wrapped(*args, **kwargs)
        finally:
            now = time.monotonic()
            PROBE.handled += 1
            PROBE.last_handled = now
            kind = PROBE.classify.of(event)
            if kind == "critical":
                PROBE.critical.append(f"{event.agent_id}:{event.event_type}")
            if KEYS:
                _marker_applied(event, now)
            stamp = getattr(event, ATTR, None)
            if stamp is None:
                PROBE.unstamped += 1
            else:
                ms = (now - stamp) * 1000
                PROBE.latency.setdefault(kind, []).append(ms)
                PROBE.by_type.setdefault(event.event_type, []).append(ms)

    wrapt.wrap_function_wrapper(module, "TimelineEventAdapter.handle_event", handle)


def _on_ttd(module: Any) -> None:
    import wrapt

    def on_mount(wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        PROBE.app = app
        result = wrapped(*args, **kwargs)
        app.set_interval(0.1, _check_settled)
        return result

    def route(wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        cpu = time.thread_time()
        if KEYS:
            _markers_routed(args[0] if args else kwargs["events"], time.monotonic())
        try:
            return wrapped(*args, **kwargs)
        finally:
            if _measuring():
                PROBE.events_cpu += time.thread_time() - cpu

    def switch(wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        before = app._active_agent_id
        result = wrapped(*args, **kwargs)
        if KEYS:
            name = "switch to " + ("another" if app._active_agent_id != before else "the same")
            PROBE.key_targets[name] = PROBE.key_targets.get(name, 0) + 1
        if KEYS and PROBE.key_at is not None and app._active_agent_id != before:
            PROBE.switched = (PROBE.key_at, time.monotonic())
            PROBE.key_at = None
            PROBE.unseen.clear()  # the panel they were waiting on is gone
        return result

    wrapt.wrap_function_wrapper(module, "TextualApp.on_mount", on_mount)
    wrapt.wrap_function_wrapper(module, "TextualApp._route_event_batch", route)
    wrapt.wrap_function_wrapper(module, "TextualApp._switch_to_agent", switch)


def _write_phase(phase: str) -> None:
    path = os.environ.get("MASSGEN_TUI_PROBE_OUT")
    if KEYS and path:
        with open(path + ".phase", "w", encoding="utf-8") as fh:
            fh.write(phase)


def _check_settled() -> None:
    app = PROBE.app
    if PROBE.result is not None:  # holding for idle key presses
        path = os.environ.get("MASSGEN_TUI_PROBE_OUT", "")
        if os.path.exists(path + ".stop"):
            _finish(app)
        return
    if PROBE.done or app is None or not PROBE.started:
        return
    feeder = getattr(app.coordination_display, "_viewer_event_feeder", None)
    if feeder is None or not feeder.is_done:
        return
    with app._event_batch_lock:
        pending = bool(app._event_batch) or app._event_batch_timer is not None
    if pending or time.monotonic() - max(PROBE.last_handled, PROBE.started) < QUIET_S:
        return
    PROBE.done = True
    out = {
        "ui_cpu_s": round(time.thread_time() - PROBE.cpu_start, 4),
        "process_cpu_s": round(time.process_time() - PROBE.proc_cpu_start, 4),
        "events_cpu_s": round(PROBE.events_cpu, 4), "draw_cpu_s": round(PROBE.draw_cpu, 4),
        "frames": PROBE.frames - PROBE.frames_at_start,
        "wall_s": round(time.monotonic() - PROBE.started, 3),
        "handled": PROBE.handled, "unstamped": PROBE.unstamped,
        "latency_ms": {k: _summary(v) for k, v in PROBE.latency.items()},
        "latency_by_type_ms": {k: _summary(v) for k, v in sorted(PROBE.by_type.items())},
        "gc_full_pauses": PROBE.gc_pauses,
        "critical": PROBE.critical,
        "content": {agent: timeline_content(panel) for agent, panel in app.agent_widgets.items()},
    }
    if PROBE.profile is not None:
        PROBE.profile.disable()
        PROBE.profile.dump_stats(os.environ["MASSGEN_TUI_PROBE_PROFILE"])
    PROBE.result = out
    if KEYS:
        out["load"] = [PROBE.load_start, os.getloadavg()]
        out["started"] = PROBE.started
        out["markers"] = list(PROBE.markers.values())
        _write_phase("settled")  # the bench presses keys on the idle app, then asks to stop
        return
    _finish(app)


def _finish(app: Any) -> None:
    out = PROBE.result
    assert out is not None  # set once settled, before the app may finish
    if KEYS:
        out["keys"] = PROBE.keys
        out["key_targets"] = PROBE.key_targets
    path = os.environ.get("MASSGEN_TUI_PROBE_OUT")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(out, fh)
    app.exit()


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "p50": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"n": len(ordered), "p50": at(0.5), "p99": at(0.99), "max": round(ordered[-1], 2)}


def timeline_content(panel: Any) -> list[str]:
    """An agent's timeline as text: one line per item, in order (hidden ones too)."""
    timeline = panel._get_timeline()
    if timeline is None:
        return []
    return [f"{type(w).__name__}: {widget_text(w)}" for w in timeline.children]


def widget_text(widget: Any) -> str:
    """What a widget says, without the wall-clock times some of them show."""
    content = getattr(widget, "_content", None)
    if isinstance(content, str):  # CollapsibleTextCard: the whole text, collapsed or not
        return content
    if hasattr(widget, "tool_name") and hasattr(widget, "_status"):  # a tool card
        return (f"{widget.tool_name} [{widget._status}] args={widget._params_full!s} "
                f"result={widget._result_full!s} error={widget._error!s}")
    own = _plain(widget)
    parts = [own] if own else []
    parts += [t for t in (widget_text(c) for c in getattr(widget, "children", ())) if t]
    return " | ".join(parts)


def _plain(widget: Any) -> str:
    try:
        rendered = widget.render()
    except Exception as exc:
        return f"<{type(exc).__name__}>"
    for value in (rendered, getattr(widget, "content", None)):
        if isinstance(value, str):
            return value
        plain = getattr(value, "plain", None)
        if isinstance(plain, str):
            return plain
    return ""
