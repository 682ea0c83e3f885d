"""The Textual app: one panel per agent, votes and winner, the final answer; and its sink.

The top line says how the run stands (or how it ended), the question and the run's clock;
the panels follow the agents' config order, the first one focused; the bottom line puts the
winner first, then the tally, then each agent's vote, so a narrow terminal cuts the votes, never
the winner.

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
from massgen_plugins.tui.state import OUTCOME_LABELS, RunInfo, RunView, clock
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
    """An agent's header (its id and round; its status) over its streamed text and tool lines."""

    DEFAULT_CSS = """
    AgentPanel { width: 1fr; border: round $secondary; }
    AgentPanel:focus-within { border: round $accent; }
    AgentPanel > .head { height: 2; background: $boost; text-wrap: nowrap; }
    AgentPanel > AgentStream { height: 1fr; }
    """

    def __init__(self, agent_id: str, number: int) -> None:
        """A panel for one agent, the `number`th (its id must be a valid widget id; the agent's need not)."""
        super().__init__(id=f"panel-{number}")
        self.agent_id = agent_id
        self.head_text = f"{shown(agent_id)} · r0\nwaiting"
        self.head = CountingStatic(rich_text(self.head_text, block=True), classes="head")
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
            yield Static(rich_text(self.text, block=True))


class MassgenApp(App[None]):
    """Agents side by side, streaming; votes and the winner below."""

    CSS = """
    #top { height: 1; background: $panel; }
    #state { width: auto; padding: 0 1; text-style: bold; }
    #question { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    #clock { width: auto; padding: 0 1; }
    #agents { height: 1fr; }
    #votes { height: 1; background: $panel; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("tab", "focus_next", "Next agent"),
        Binding("shift+tab", "focus_previous", "Previous agent"),
        Binding("f", "final", "Final answer"),
    ]

    def __init__(self, classify: Classifier, stats: Stats | None = None,
                 on_ready: Callable[[MassgenApp], None] | None = None,
                 info: RunInfo | None = None) -> None:
        """An app that calls `on_ready` once mounted (to start producers); `info` is what a
        recorded run's files say (its question, agents' order, outcome, final answer)."""
        super().__init__()
        self.classify = classify
        self.stats = stats or Stats()
        self.view = RunView(info=info or RunInfo())
        self.panels: dict[str, AgentPanel] = {}
        self._on_ready = on_ready
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread: int | None = None
        self.loop_context: contextvars.Context | None = None
        self._ui_cpu_start = 0.0

    def compose(self) -> ComposeResult:
        """The state line, the agents row, the votes line, the key help."""
        with Horizontal(id="top"):
            yield CountingStatic("", id="state")
            yield CountingStatic("", id="question")
            yield CountingStatic("", id="clock")
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
        info = self.view.info
        label = f"[{info.label}] " if info.label and info.label != "turn_1/attempt_1" else ""
        self.query_one("#question", CountingStatic).update(
            rich_text(label + " ".join((info.question or "").split())))
        for agent in info.agent_order:  # the config's order, whatever order events come in
            self.panel(agent)
        self._show_state()
        if self._on_ready is not None:
            self._on_ready(self)

    def _display(self, screen: Any, renderable: Any) -> None:
        # One call per compositor update, headless or not: that is a frame.
        if renderable is not None and not self._batch_count:
            self.stats.frames += 1
        super()._display(screen, renderable)

    def action_final(self) -> None:
        """Show the final answer, or why there is none."""
        view = self.view
        text = view.final_text()
        label = OUTCOME_LABELS.get(view.outcome or "", view.outcome)
        if not text:
            text = ("(no final answer yet)" if view.outcome is None else
                    f"(no final answer: {label})")
        elif view.outcome in ("interrupted", "incomplete"):
            text = f"({label}: the final answer may be cut)\n\n{text}"
        elif view.outcome == "timed_out":
            text = f"({label}: the answer selected at the time limit)\n\n{text}"
        self.push_screen(FinalAnswer(text))

    def panel(self, agent_id: str) -> AgentPanel:
        """The agent's panel, mounted on its first event; the first one mounted gets the focus."""
        panel = self.panels.get(agent_id)
        if panel is None:
            panel = self.panels[agent_id] = AgentPanel(agent_id, len(self.panels))
            self.query_one("#agents", Horizontal).mount(panel)
            if len(self.panels) == 1:
                # Focused from the start, so the page keys scroll something (unless something
                # else, the chat's input, has the focus).
                self.call_after_refresh(self._focus_first, panel)
        return panel

    def _focus_first(self, panel: AgentPanel) -> None:
        if self.focused is None:
            panel.stream.focus()

    def _show_state(self) -> None:
        """The top line's state and clock: how the run stands, or how it ended."""
        view = self.view
        if view.outcome is not None:
            state = OUTCOME_LABELS.get(view.outcome, view.outcome)
        else:
            state = {"presenting": f"● presenting: {view.note}", "evaluating": "● post-evaluation",
                     "restarting": f"↻ restarting {view.note}", "timed_out": "⏱ timed out",
                     "locked": "✓ answer locked"}.get(view.phase, "● running")
        total = view.info.duration_s
        if view.outcome is not None:  # over: the run's recorded time, else its events' span
            time = clock(total if total is not None else view.elapsed())
        else:
            time = clock(view.elapsed()) + (f" of {clock(total)}" if total else "")
        shown_before = getattr(self, "_state_shown", ("", ""))
        if (state, time) != shown_before:
            self._state_shown = (state, time)
            # Both are as wide as their text: a new length needs a layout pass (a few a run).
            self.query_one("#state", CountingStatic).update(
                rich_text(state[:60]), layout=len(state) != len(shown_before[0]))
            self.query_one("#clock", CountingStatic).update(
                rich_text(f"time {time}"), layout=len(time) != len(shown_before[1]))

    def _votes_line(self) -> str:
        """Winner first, then the tally, then each vote: what a narrow terminal cuts is the end."""
        view = self.view
        parts = []
        if view.winner:
            parts.append(f"★ winner {view.winner}")
        tally, tie = view.live_tally()
        if tally:
            parts.append("tally " + ", ".join(f"{a} {n}" for a, n in sorted(
                tally.items(), key=lambda kv: -kv[1])) + (" (tie)" if tie else ""))
        if view.votes:
            parts.append("votes " + ", ".join(f"{k}→{v}" for k, v in sorted(view.votes.items())))
        if view.system and view.outcome is None:
            parts.append(view.system)
        return " " + " │ ".join(parts)

    def apply(self, events: Iterable[Event]) -> None:
        """Apply events on the app's loop: one batch, one refresh per touched widget."""
        now = time.monotonic()
        stats, view, classify = self.stats, self.view, self.classify
        appended: dict[str, list[str]] = {}
        heads: dict[str, None] = {}  # in the order events came: panels mount in that order
        line_before = (dict(view.votes), view.winner, view.system, dict(view.tally))
        events = events if isinstance(events, list) else list(events)
        if events:
            if view.first_time is None:
                view.seen(events[0])
            view.seen(events[-1])
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
                    heads[agent] = None
                    if text:
                        appended.setdefault(agent, []).append(text)
            for agent in heads:
                panel = self.panel(agent)
                if agent in appended:
                    panel.stream.write("".join(appended[agent]))
                self._show_head(agent, panel)
            if (dict(view.votes), view.winner, view.system, dict(view.tally)) != line_before:
                self.query_one("#votes", CountingStatic).update(rich_text(self._votes_line()),
                                                                layout=False)
            self._show_state()

    def _show_head(self, agent: str, panel: AgentPanel) -> None:
        a = self.view.agents[agent]
        # Each line made safe on its own: an id's own newline must not make a third line.
        head = f"{shown(agent)} · r{a.round}\n{shown(a.status)}"
        if head != panel.head_text:  # mostly unchanged ("streaming"): skip the repaint
            panel.head_text = head
            # The header's height is fixed: no layout pass needed.
            panel.head.update(rich_text(head, block=True), layout=False)

    def finish(self, exit_app: bool) -> None:
        """The producer is done: show the text still held back and how the run ended (its
        outcome, each agent's end state, the winner and tally), record the totals, then exit or
        say so."""
        for agent, text in self.view.release().items():
            self.panel(agent).stream.write(text)
        self.view.finish()
        for agent in self.view.agents:
            self._show_head(agent, self.panel(agent))
        self.query_one("#votes", CountingStatic).update(rich_text(self._votes_line()),
                                                        layout=False)
        self._show_state()
        self.stats.ui_cpu_s = time.thread_time() - self._ui_cpu_start
        self.stats.transcripts = self.view.digests()
        order = "\n".join(f"{kind}:{agent}" for kind, agent in self.view.critical_order)
        self.stats.extra["critical_order_sha256"] = hashlib.sha256(order.encode()).hexdigest()
        if exit_app:
            self.exit()
        else:
            self.notify("Replay over: q quits, f shows the final answer.", timeout=4)


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
