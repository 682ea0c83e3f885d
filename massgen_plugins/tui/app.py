"""The Textual app: one panel per agent, votes and winner, the final answer; and its sink.

Thread safety: producers (worker threads or asyncio tasks) call the sink chain. The chain's
innermost sink, `AppSink`, appends events to a lock-protected queue and, when no drain is
pending, schedules one on the app's loop with `loop.call_soon_threadsafe` (`call_soon` from the
loop's own thread). Neither waits for the UI. The drain applies queued events in order, a
bounded batch at a time, so events are applied in the order they were emitted.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import attrs
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from massgen_plugins.events.classes import CRITICAL, STREAMING, Classifier
from massgen_plugins.events.model import Event
from massgen_plugins.safe_text import rich_text, shown
from massgen_plugins.tui.state import RunView
from massgen_plugins.tui.stream_view import StreamView


@attrs.define
class Stats:
    """What a replay measured; `as_json` is the `--stats` file."""

    events_in: int = 0
    events_applied: int = 0
    critical_in: int = 0
    critical_applied: int = 0
    refreshes: int = 0
    frames: int = 0
    cpu_s: float = 0.0
    ui_cpu_s: float = 0.0
    wall_s: float = 0.0
    # Seconds from emit to applied, per event type, and each type's class: the streaming
    # and critical figures are gathered from these, so each event is recorded once.
    latency_by_type: dict[str, list[float]] = attrs.Factory(dict)
    class_of_type: dict[str, str] = attrs.Factory(dict)
    transcripts: dict[str, str] = attrs.Factory(dict)
    extra: dict[str, Any] = attrs.Factory(dict)

    def as_json(self) -> dict[str, Any]:
        """The stats as JSON: counts, seconds, latency percentiles in ms, transcript hashes."""
        def pct(values: list[float], q: float) -> float | None:
            if not values:
                return None
            ordered = sorted(values)
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

        def of_class(name: str) -> list[float]:
            return [lat for kind, values in self.latency_by_type.items()
                    if self.class_of_type[kind] == name for lat in values]

        streaming, critical = of_class(STREAMING), of_class(CRITICAL)
        return {
            "events_in": self.events_in, "events_applied": self.events_applied,
            "critical_in": self.critical_in, "critical_applied": self.critical_applied,
            "widget_refreshes": self.refreshes, "frames": self.frames,
            "cpu_s": round(self.cpu_s, 4), "ui_cpu_s": round(self.ui_cpu_s, 4),
            "wall_s": round(self.wall_s, 4),
            "latency_ms": {
                "streaming": {"p50": pct(streaming, 0.5), "p99": pct(streaming, 0.99)},
                "critical": {"p50": pct(critical, 0.5), "p99": pct(critical, 0.99)},
                "by_type": {kind: {"p50": pct(values, 0.5), "p99": pct(values, 0.99),
                                   "n": len(values)}
                            for kind, values in sorted(self.latency_by_type.items())}},
            "transcript_sha256": self.transcripts, **self.extra,
        }


class RefreshCounter:
    """Mixed into a widget, counts its refreshes into the app's stats (the headless `--stats`).

    Not a Widget subclass: Textual inherits CSS along the first DOMNode base only, so a
    Widget here would hide the real widget's DEFAULT_CSS (a StreamView would lose its
    scrollbar, and with it scrolling).
    """

    app: Any
    is_attached: bool

    def refresh(self, *args: Any, **kwargs: Any) -> Any:
        """Count, then refresh."""
        stats = getattr(self.app, "stats", None) if self.is_attached else None
        if stats is not None:
            stats.refreshes += 1
        return super().refresh(*args, **kwargs)  # type: ignore[misc]


class CountingStatic(RefreshCounter, Static):
    """A Static whose refreshes are counted."""


class AgentStream(RefreshCounter, StreamView):
    """An agent's wrapped, streaming text, whose refreshes are counted."""


class AgentPanel(Vertical):
    """An agent's header (status, round) over its streamed text and tool lines."""

    DEFAULT_CSS = """
    AgentPanel { width: 1fr; border: round $secondary; }
    AgentPanel:focus-within { border: round $accent; }
    AgentPanel > .head { height: 1; background: $boost; }
    AgentPanel > AgentStream { height: 1fr; }
    """

    def __init__(self, agent_id: str, number: int) -> None:
        """A panel for one agent, the `number`th (its id must be a valid widget id; the agent's need not)."""
        super().__init__(id=f"panel-{number}")
        self.agent_id = agent_id
        self.head_text = shown(agent_id)
        self.head = CountingStatic(rich_text(self.head_text), classes="head")
        self.stream = AgentStream()

    def compose(self) -> ComposeResult:
        """Header and log."""
        yield self.head
        yield self.stream


class FinalAnswer(ModalScreen[None]):
    """The final answer, full screen; any of escape, f or q closes it."""

    BINDINGS = [Binding("escape,f,q", "dismiss", "Close")]

    def __init__(self, text: str) -> None:
        """Show `text`."""
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        """A scrollable view of the answer."""
        with VerticalScroll():
            yield Static(rich_text(self.text or "(no final answer yet)", block=True))


class MassgenApp(App[None]):
    """Agents side by side, streaming; votes and the winner below."""

    CSS = """
    #agents { height: 1fr; }
    #votes { height: 1; background: $panel; }
    """
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("tab", "focus_next", "Next agent"),
        Binding("shift+tab", "focus_previous", "Previous agent"),
        Binding("f", "final", "Final answer"),
    ]

    def __init__(self, classify: Classifier, stats: Stats | None = None,
                 on_ready: Callable[[MassgenApp], None] | None = None) -> None:
        """An app that calls `on_ready` once mounted (to start producers)."""
        super().__init__()
        self.classify = classify
        self.stats = stats or Stats()
        self.view = RunView()
        self.panels: dict[str, AgentPanel] = {}
        self._on_ready = on_ready
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread: int | None = None
        self.loop_context: contextvars.Context | None = None
        self._ui_cpu_start = 0.0

    def compose(self) -> ComposeResult:
        """The agents row, the votes line, the key help."""
        yield Horizontal(id="agents")
        yield CountingStatic("", id="votes")
        yield Footer()

    def on_mount(self) -> None:
        """Remember the loop the sink hands events to, then start the producer."""
        self.loop = asyncio.get_running_loop()
        self.loop_thread = threading.get_ident()
        # Callbacks queued from another thread run in that thread's context, where Textual's
        # active-app variable is unset; they run in the loop's own context instead.
        self.loop_context = contextvars.copy_context()
        self._ui_cpu_start = time.thread_time()
        # Startup leaves ~45k long-lived objects (widgets, styles, the loaded modules); frozen,
        # a full collection no longer walks them (the longest pause went from ~55 to ~20 ms here).
        gc.freeze()
        if self._on_ready is not None:
            self._on_ready(self)

    def _display(self, screen: Any, renderable: Any) -> None:
        # One call per compositor update, headless or not: that is a frame.
        if renderable is not None and not self._batch_count:
            self.stats.frames += 1
        super()._display(screen, renderable)

    def action_final(self) -> None:
        """Show the final answer."""
        self.push_screen(FinalAnswer("".join(self.view.final_answer)))

    def panel(self, agent_id: str) -> AgentPanel:
        """The agent's panel, mounted on its first event."""
        panel = self.panels.get(agent_id)
        if panel is None:
            panel = self.panels[agent_id] = AgentPanel(agent_id, len(self.panels))
            self.query_one("#agents", Horizontal).mount(panel)
        return panel

    def apply(self, events: Iterable[Event]) -> None:
        """Apply events on the app's loop: one batch, one refresh per touched widget."""
        now = time.monotonic()
        stats, view, classify = self.stats, self.view, self.classify
        appended: dict[str, list[str]] = {}
        heads: set[str] = set()
        line_before = (dict(view.votes), view.winner, view.system)
        with self.batch_update():
            for event in events:
                kind = classify.of(event)
                agent, text = view.apply(event)
                stats.events_applied += 1
                if kind == CRITICAL:
                    stats.critical_applied += 1
                    view.critical_order.append((event.event_type, event.agent_id))
                if event.emitted_at is not None:
                    by_type = stats.latency_by_type.get(event.event_type)
                    if by_type is None:
                        by_type = stats.latency_by_type[event.event_type] = []
                        stats.class_of_type[event.event_type] = kind
                    by_type.append(now - event.emitted_at)
                if agent:
                    heads.add(agent)
                    if text:
                        appended.setdefault(agent, []).append(text)
            for agent in heads:
                panel = self.panel(agent)
                if agent in appended:
                    panel.stream.write("".join(appended[agent]))
                a = view.agents[agent]
                head = shown(f"{agent}  r{a.round}  {a.status}")
                if head != panel.head_text:  # mostly unchanged ("streaming"): skip the repaint
                    panel.head_text = head
                    # The header is one line high: no layout pass needed.
                    panel.head.update(rich_text(head), layout=False)
            if (dict(view.votes), view.winner, view.system) != line_before:
                parts = []
                if view.votes:
                    parts.append("votes: " + ", ".join(f"{k}->{v}"
                                                       for k, v in sorted(view.votes.items())))
                if view.winner:
                    parts.append(f"winner: {view.winner}")
                if view.system:
                    parts.append(view.system)
                self.query_one("#votes", CountingStatic).update(
                    rich_text(" " + "   ".join(parts)), layout=False)

    def finish(self, exit_app: bool) -> None:
        """The producer is done: show the text still held back, record the totals, then exit or say so."""
        for agent, text in self.view.release().items():
            self.panel(agent).stream.write(text)
        self.stats.ui_cpu_s = time.thread_time() - self._ui_cpu_start
        self.stats.transcripts = self.view.digests()
        order = "\n".join(f"{kind}:{agent}" for kind, agent in self.view.critical_order)
        self.stats.extra["critical_order_sha256"] = hashlib.sha256(order.encode()).hexdigest()
        if exit_app:
            self.exit()
        else:
            self.notify("Replay finished. Press q to quit, f for the final answer.")


class AppSink:
    """The innermost sink: queues events and drains them on the app's loop, in order.

    One drain is scheduled at a time (a single thread hop however many events arrive), and a
    drain applies at most `max_batch` events before yielding the loop, so drawing and input
    keep their turn even when producers are far faster than the UI.
    """

    max_batch = 500

    def __init__(self, app: MassgenApp) -> None:
        """Bind to a mounted app (its loop is known)."""
        assert app.loop is not None, "create the sink once the app is mounted"
        self.app = app
        self.closed = False
        self._queue: deque[Event] = deque()
        self._lock = threading.Lock()
        self._scheduled = False

    def _deliver(self, events: Iterable[Event]) -> None:
        with self._lock:
            self._queue.extend(events)
            if self._scheduled or not self._queue:
                return
            self._scheduled = True
        self._schedule()

    def _schedule(self) -> None:
        app = self.app
        if threading.get_ident() == app.loop_thread:
            app.loop.call_soon(self._drain, context=app.loop_context)  # type: ignore[union-attr]
        else:
            app.loop.call_soon_threadsafe(  # type: ignore[union-attr]
                self._drain, context=app.loop_context)

    def _drain(self) -> None:
        with self._lock:
            n = min(len(self._queue), self.max_batch)
            batch = [self._queue.popleft() for _ in range(n)]
        try:
            if batch:
                self.app.apply(batch)
        finally:
            with self._lock:
                more = bool(self._queue)
                self._scheduled = more
            if more:
                self._schedule()

    def emit(self, event: Event) -> None:
        """Queue one event for the app."""
        self._deliver((event,))

    def emit_many(self, events: list[Event]) -> None:
        """Queue a batch; it is applied as one update."""
        self._deliver(events)

    def flush(self) -> None:
        """Nothing is held back: a drain is already scheduled for whatever is queued."""

    def close(self) -> None:
        """No event follows; what is queued is still drained, in order."""
        self.closed = True

    def when_drained(self, callback: Callable[[], None]) -> None:
        """Run `callback` on the app's loop once everything queued so far has been applied."""
        def check() -> None:
            with self._lock:
                idle = not self._queue and not self._scheduled
            if idle:
                callback()
            else:
                self.app.loop.call_later(0.005, check, context=self.app.loop_context)

        self.app.loop.call_soon_threadsafe(check, context=self.app.loop_context)
