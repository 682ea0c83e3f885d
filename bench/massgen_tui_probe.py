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
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

ATTR = "massgen_plugins_emitted_at"  # the bridge stamps what it delivers with this attribute
_TTD = "massgen.frontend.displays.textual_terminal_display"
_PIPELINE = "massgen.frontend.displays.tui_event_pipeline"
QUIET_S = float(os.environ.get("MASSGEN_TUI_PROBE_QUIET", "1.0"))
STARTUP_S = float(os.environ.get("MASSGEN_TUI_PROBE_STARTUP", "3.0"))


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
        if app is PROBE.app and renderable is not None and not app._batch_count:
            PROBE.frames += 1
        return wrapped(*args, **kwargs)

    def update(wrapped: Any, screen: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        cpu = time.thread_time()
        try:
            return wrapped(*args, **kwargs)
        finally:
            if _measuring():
                PROBE.draw_cpu += time.thread_time() - cpu

    wrapt.wrap_function_wrapper(module, "App._display", display)
    wrapt.wrap_function_wrapper(textual.screen, "Screen._on_timer_update", update)


def _on_viewer(module: Any) -> None:
    import wrapt

    def start(wrapped: Any, feeder: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        deliver = feeder._event_callback  # the app's _handle_event_from_emitter

        def stamped(event: Any) -> Any:
            setattr(event, ATTR, time.monotonic())
            return deliver(event)

        feeder._event_callback = stamped
        app = PROBE.app
        if app is None:
            return wrapped(*args, **kwargs)

        def begin() -> None:
            PROBE.cpu_start = time.thread_time()
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
        try:
            return wrapped(*args, **kwargs)
        finally:
            if _measuring():
                PROBE.events_cpu += time.thread_time() - cpu

    wrapt.wrap_function_wrapper(module, "TextualApp.on_mount", on_mount)
    wrapt.wrap_function_wrapper(module, "TextualApp._route_event_batch", route)


def _check_settled() -> None:
    app = PROBE.app
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
