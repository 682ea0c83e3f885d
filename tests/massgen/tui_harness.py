"""MassGen's real Textual app, headless (Textual's run_test), fed recorded runs: what reached it.

Run by tests/massgen/test_tui.py, one process per mode, since `import massgen` takes 15 s:

    python tests/massgen/tui_harness.py OUT.json [--scroll] [--without-bridge-too] [--log]
        ATTEMPT_DIR...

The mode is the environment's: the bridge on or off (MASSGEN_PLUGINS_BRIDGE), plugins on or off
(MASSGEN_DISABLE_PLUGINS). Each run is replayed by MassGen's own viewer feeder, at once (a
flood), into a TextualApp built as MassGen's own tests build one; once the replay is over, the
bridge holds no event for the app and the UI has been quiet for a while, the harness reports,
per run:

- received: every event MassGen's app routed to its panels (_route_event_batch), in order,
  with all its fields, and whether each was the very object the feeder handed in;
- critical: the critical events (MassGen's classes) TimelineEventAdapter.handle_event got;
- thinking_done / closed: the reasoning blocks that ended, and whether the agent's reasoning
  card was closed right after each;
- status: the status events the adapters got;
- content: each agent's timeline at the end, one line per item (bench/massgen_tui_probe.py);
- frozen / frozen_after: objects the collector leaves alone while the app runs, and after.

`--without-bridge-too` replays every run a second time after putting back every MassGen
function the bridge wrapped (the bridge's own `uninstrument`). `--scroll` adds a live stream
(an EventEmitter listener, as in `massgen` runs) during which a reader scrolls up. `--log`
sets up MassGen's own logging first, as its CLI does (warnings on stderr and in the run's
massgen.log, whose path is reported).
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.massgen_tui_probe import timeline_content  # noqa: E402

QUIET_S = 0.8  # no event applied for this long after the feeder is done: settled
SIZE = (120, 40)


class Record:
    """What reached the app during one replay."""

    def __init__(self) -> None:
        """Nothing yet."""
        self.fed: set[int] = set()
        self.kept: list[Any] = []  # the fed events stay alive, so their ids stay theirs
        self.received: list[list[Any]] = []
        self.same_objects = True
        self.critical: list[str] = []
        self.thinking_done = 0
        self.closed: list[bool] = []
        self.status: list[str] = []
        self.last = time.monotonic()


RECORD = Record()


def instrument() -> None:
    """Watch the app's entry, its batches and its adapters (outermost, after the bridge)."""
    import wrapt
    from massgen.frontend.displays import textual_terminal_display as ttd
    from massgen.frontend.displays import tui_event_pipeline

    from massgen_plugins.events.classes import MASSGEN_TUI_CLASSES, Classifier

    classify = Classifier(defaults=MASSGEN_TUI_CLASSES)

    def route(wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        for event in args[0]:
            RECORD.received.append([event.timestamp, event.event_type, event.agent_id,
                                    event.round_number, event.data])
            RECORD.same_objects &= id(event) in RECORD.fed
        return wrapped(*args, **kwargs)

    def handle(wrapped: Any, adapter: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        event = args[0]
        result = wrapped(*args, **kwargs)
        RECORD.last = time.monotonic()
        if classify.of(event) == "critical":
            data = event.data
            key = data.get("tool_id") or data.get("target_id") or data.get("answer_label") or ""
            RECORD.critical.append(f"{event.agent_id}:{event.event_type}:{key}")
        if event.event_type == "thinking" and data_done(event):
            RECORD.thinking_done += 1
            timeline = adapter._get_timeline()
            RECORD.closed.append(timeline is not None and timeline._current_reasoning_card is None)
        if event.event_type == "status":
            RECORD.status.append(str(event.data.get("message")))
        return result

    wrapt.wrap_function_wrapper(ttd, "TextualApp._route_event_batch", route)
    wrapt.wrap_function_wrapper(tui_event_pipeline, "TimelineEventAdapter.handle_event", handle)


def data_done(event: Any) -> bool:
    """Whether an event ends a reasoning block."""
    return event.data.get("done") is True


def build_app(agent_ids: list[str], question: str, out: Path) -> Any:
    """A TextualApp as MassGen's own tests build one (test_mode_bar_layout.py)."""
    from massgen.frontend.displays import textual_terminal_display as ttd

    ttd.get_user_settings = lambda: SimpleNamespace(theme="dark", vim_mode=False)
    display = ttd.TextualTerminalDisplay(agent_ids, viewer_mode=True,
                                         keyboard_interactive_mode=False, output_dir=out,
                                         theme="dark")
    app = ttd.TextualApp(display=display, question=question, buffers=display._buffers,
                         buffer_lock=display._buffer_lock,
                         buffer_flush_interval=display.buffer_flush_interval)
    display._app = app
    return display, app


def replay(attempt: Path, out: Path) -> dict[str, Any]:
    """Feed one recorded run into a fresh app; what reached it."""
    global RECORD
    from massgen.viewer import EventFeeder, extract_session_info

    RECORD = Record()
    info = extract_session_info(attempt)
    display, app = build_app(info.agent_ids, info.question or "replay", out)

    class Feeder(EventFeeder):
        """MassGen's feeder; what it hands the app (bound in on_mount) is noted first."""

        @property
        def _event_callback(self) -> Any:
            return self._noted

        @_event_callback.setter
        def _event_callback(self, callback: Any) -> None:
            self._app_callback = callback

        def _noted(self, event: Any) -> None:
            RECORD.fed.add(id(event))
            RECORD.kept.append(event)
            self._app_callback(event)

    feeder = Feeder(attempt / "events.jsonl", None, is_live=False, replay_speed=0)
    display._viewer_event_feeder = feeder

    async def run() -> dict[str, Any]:
        async with app.run_test(headless=True, size=SIZE) as pilot:
            await pilot.pause()
            while not feeder.is_done:
                await asyncio.sleep(0.05)
            await settle(app)
            content = await steady_content(app, pilot)
            return {"content": content, "frozen": gc.get_freeze_count()}

    result = asyncio.run(run())
    feeder.stop()
    return {**result, "frozen_after": gc.get_freeze_count(),
            "received": RECORD.received, "same_objects": RECORD.same_objects,
            "fed": len(RECORD.fed), "critical": RECORD.critical,
            "thinking_done": RECORD.thinking_done, "closed": RECORD.closed,
            "status": RECORD.status, "agents": info.agent_ids}


async def steady_content(app: Any, pilot: Any) -> dict[str, list[str]]:
    """Each agent's timeline once two reads QUIET_S apart agree: on a loaded machine MassGen
    mounts the last cards well after the last event reached its handler."""
    deadline = time.monotonic() + 60
    content = {a: timeline_content(p) for a, p in app.agent_widgets.items()}
    while time.monotonic() < deadline:
        await asyncio.sleep(QUIET_S)
        await pilot.pause()
        again = {a: timeline_content(p) for a, p in app.agent_widgets.items()}
        if again == content:
            break
        content = again
    return content


async def settle(app: Any) -> None:
    """Until the bridge holds nothing for the app, MassGen's batch is empty, and nothing was
    applied for QUIET_S."""
    while True:
        await asyncio.sleep(0.05)
        bridge = sys.modules.get("massgen_plugins.bridge.tui")
        feed = None if bridge is None else bridge._FEEDS.get(app)
        held = feed is not None and feed is not bridge._PASS and feed.pending() > 0
        with app._event_batch_lock:
            pending = bool(app._event_batch) or app._event_batch_timer is not None
        if not held and not pending and time.monotonic() - RECORD.last > QUIET_S:
            return


def scroll(out: Path) -> dict[str, Any]:
    """A live stream into one agent's timeline; a reader scrolls up while it auto-scrolls."""
    global RECORD
    from massgen import logger_config
    from massgen.events import EventEmitter, MassGenEvent

    # What a live `massgen` run sets up: the TUI registers itself as the emitter's listener
    # on mount (a viewer app without a feeder does too, and shows its panels at once).
    RECORD = Record()  # the replays' records stay as they were
    emitter = EventEmitter()
    logger_config._EVENT_EMITTER = emitter
    _display, app = build_app(["agent_a", "agent_b"], "scroll", out)
    scrolls_per_frame: list[int] = []
    calls = [0]

    async def run() -> dict[str, Any]:
        async with app.run_test(headless=True, size=(100, 30)) as pilot:
            await pilot.pause()
            timeline = app.agent_widgets["agent_a"]._get_timeline()
            scroll_end = timeline.scroll_end

            def counted(*args: Any, **kwargs: Any) -> Any:
                calls[0] += 1
                return scroll_end(*args, **kwargs)

            timeline.scroll_end = counted
            display_frame = app._display

            def frame(screen: Any, renderable: Any) -> Any:
                if renderable is not None:
                    scrolls_per_frame.append(calls[0])
                    calls[0] = 0
                return display_frame(screen, renderable)

            app._display = frame
            stop = threading.Event()

            def produce() -> None:
                # Reasoning blocks of a few deltas each, 10 ms apart, as a fast model streams.
                n = 0
                while not stop.is_set():
                    emitter.emit(MassGenEvent.create("thinking", agent_id="agent_a",
                                                     content=f"Step {n}: weighing it. "))
                    if n % 5 == 4:
                        emitter.emit(MassGenEvent.create("thinking", agent_id="agent_a",
                                                         content="", done=True))
                    n += 1
                    time.sleep(0.01)

            producer = threading.Thread(target=produce, daemon=True)
            producer.start()
            deadline = time.monotonic() + 20
            while timeline.max_scroll_y < 40 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            # Scroll while MassGen's own auto-scroll is settling, as it is most of the time
            # while text streams: the moment MassGen itself ignores a scroll.
            while not timeline._auto_scrolling and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            guarded = timeline._auto_scrolling
            target = max(0, timeline.max_scroll_y - 20)
            timeline.scroll_to(y=target, animate=False)
            await asyncio.sleep(1.5)  # the stream goes on
            stop.set()
            producer.join()
            await pilot.pause()
            return {"guarded": guarded, "scrolled_to": target, "scroll_y": timeline.scroll_y,
                    "max_scroll_y": timeline.max_scroll_y,
                    "scroll_mode": timeline.in_scroll_mode,
                    "new_content": timeline.new_content_count,
                    "scrolls_per_frame": scrolls_per_frame}

    return asyncio.run(run())


def main() -> None:
    """Replay the runs given, in this process's mode; write what reached the app."""
    args = sys.argv[1:]
    out_path = Path(args.pop(0))
    with_scroll = "--scroll" in args
    both = "--without-bridge-too" in args
    log = "--log" in args
    runs = [Path(a) for a in args if not a.startswith("--")]
    work = out_path.parent / f"{out_path.stem}-work"
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    if log:
        from massgen import logger_config

        logger_config.setup_logging()
        results["massgen_log"] = str(logger_config.get_log_session_dir() / "massgen.log")
    instrument()
    from massgen_plugins.bridge import runtime

    results["runs"] = {str(r): replay(r, work) for r in runs}
    if with_scroll:
        results["scroll"] = scroll(work)
    results["bridge"] = runtime.report()  # the host is made on the first event
    if both:
        from massgen_plugins.bridge.seams import uninstrument

        uninstrument()
        results["without_bridge"] = {str(r): replay(r, work) for r in runs}
    out_path.write_text(json.dumps(results, default=str), encoding="utf-8")
    if log:
        from massgen.logger_config import logger

        logger.complete()  # the file sink writes from a queue of its own


if __name__ == "__main__":
    main()
