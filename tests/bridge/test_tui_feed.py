"""The TUI seam's hand-off with sink plugins that fail: MassGen's app gets every event exactly
once, in order, one warning names the plugin, and MassGen's threads never wait for a plugin.

The seam's own wrapper (`tui._feed`) is driven as MassGen's threads drive it, with a stand-in
for MassGen's app and event class (the real ones: tests/massgen/test_tui.py), and real plugin
distributions laid down on disk (tests/faulty_sink.py, and tui_throttle).
"""

from __future__ import annotations

import sys
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

from massgen_plugins.bridge import runtime, tui
from massgen_plugins.host import Host
from tests.faulty_sink import faulty_sink

HANG = 30  # seconds: only a hang reaches it
DEADLINE = 1.0  # deadlines in these tests: more than tui_throttle holds an event (0.3 s)


class MassgenEvent:
    """MassGen's event, as far as the seam reads and writes it."""

    def __init__(self, timestamp: str, event_type: str, agent_id: str | None,
                 round_number: int = 0, data: dict[str, Any] | None = None) -> None:
        self.timestamp, self.event_type, self.agent_id = timestamp, event_type, agent_id
        self.round_number, self.data = round_number, data or {}

    def fields(self) -> tuple[Any, ...]:
        return self.event_type, self.agent_id, self.round_number, dict(self.data)


class App:
    """MassGen's TextualApp: what its own `_handle_event_from_emitter` received, in order."""

    def __init__(self) -> None:
        self.received: list[MassgenEvent] = []
        self.lock = threading.Lock()

    def handle(self, event: MassgenEvent) -> None:
        with self.lock:
            self.received.append(event)

    def feed(self, event: MassgenEvent) -> None:
        """What MassGen's thread calls: the wrapped method."""
        tui._feed(self.handle, self, (event,), {})


def stream(n: int = 60) -> list[MassgenEvent]:
    """Two agents streaming text and thinking, with tool calls, votes and status lines."""
    events = []
    for i in range(n):
        agent = f"agent_{'ab'[i % 2]}"
        kind = ("text", "thinking", "text", "tool_start", "text", "status")[i % 6]
        data = {"content": f"{kind}-{i} "} if kind in ("text", "thinking") else {"n": i}
        events.append(MassgenEvent(f"2026-12-06T12:00:{i % 60:02d}", kind, agent, 1, data))
    events.append(MassgenEvent("2026-12-06T12:01:00", "vote", "agent_a", 1, {"target": "b"}))
    return events


@pytest.fixture
def bridge(home, make_plugin, user_config, monkeypatch, capsys):
    """Make the bridge's host from `plugins` and `config`; feed an App; what came out."""
    monkeypatch.setitem(sys.modules, "massgen.events", SimpleNamespace(MassGenEvent=MassgenEvent))
    # Beside the real MassGen too, its delta cleaning stays out of reach (importing it would
    # take longer than these tests' deadlines): deltas are paced, not merged, as without it.
    monkeypatch.setitem(sys.modules, "massgen", None)
    monkeypatch.setattr(runtime.BRIDGE, "_warned", set())

    def start(plugins: dict[str, str], config: str = "", installed: tuple[str, ...] = ()) -> App:
        for name, source in plugins.items():
            make_plugin(name, source)
        user_config.parent.mkdir(parents=True, exist_ok=True)
        user_config.write_text(f"deadlines: {{event_sink: {DEADLINE}, wrap_event_sink: "
                               f"{DEADLINE}}}\n{config}", encoding="utf-8")
        load = ",".join([*plugins, *installed]) or "none"
        host = Host(Host.create(environ={}).config, environ={"MASSGEN_LOAD_PLUGINS": load},
                    echo=runtime._echo)
        monkeypatch.setattr(runtime.BRIDGE, "_host", host)
        return App()

    return start


def settle(app: App) -> Any:
    """Once the app's feed has delivered everything it took; the feed."""
    feed = tui._FEEDS.get(app)
    deadline = time.monotonic() + HANG
    while feed is not tui._PASS and feed.pending() and time.monotonic() < deadline:
        time.sleep(0.02)
    return feed


def produce(app: App, events: list[MassgenEvent]) -> None:
    """Feed the events from a thread of MassGen's; it must finish (no plugin may hold it)."""
    thread = threading.Thread(target=lambda: [app.feed(e) for e in events])
    thread.start()
    thread.join(HANG)
    assert not thread.is_alive(), "MassGen's thread waited for a plugin"


def warnings(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if "warning" in line]


def test_without_a_sink_plugin_massgen_gets_its_very_own_events(bridge):
    app = bridge({})
    events = stream()
    produce(app, events)
    assert tui._FEEDS.get(app) is tui._PASS
    assert [id(e) for e in app.received] == [id(e) for e in events]


@pytest.mark.parametrize(("fault", "says"), [
    ("raise@7", "its TUI sink raised RuntimeError: faulty sink refuses event 7 in emit"),
    ("base@7", "its TUI sink raised KeyboardInterrupt: faulty sink at event 7 in emit"),
    ("block@7", f"its TUI sink's emit did not return within {DEADLINE:g} s"),
    ("hold@7", f"its TUI sink held an event for more than {DEADLINE:g} s"),
    ("build-raise", "hook wrap_event_sink raised RuntimeError: faulty sink cannot be built"),
    ("build-block", f"hook wrap_event_sink did not return within {DEADLINE:g} s"),
])
def test_a_failing_sink_plugin_costs_massgen_no_event_and_repeats_none(bridge, capsys, fault,
                                                                       says):
    app = bridge({"faulty_sink": faulty_sink()},
                 f"plugins: {{faulty_sink: {{plan: ['{fault}']}}}}\n")
    events = stream()
    produce(app, events)
    feed = settle(app)
    assert feed.direct
    # Every event once, in order: the ones the plugin passed on (new objects), then the ones
    # it held or never got, handed to MassGen by the bridge as MassGen made them.
    assert [e.fields() for e in app.received] == [e.fields() for e in events]
    lines = warnings(capsys)
    assert len(lines) == 1 and "plugin 'faulty_sink'" in lines[0] and says in lines[0], lines
    assert "MassGen's TUI gets its events directly" in lines[0] or "unwrapped" in lines[0]
    later = stream(6)
    produce(app, later)  # from now on, MassGen's own path: its very objects, at once
    assert [id(e) for e in app.received[-len(later):]] == [id(e) for e in later]


def test_tui_throttle_alone_paces_every_event_through_and_closes_with_the_app(bridge, capsys):
    app = bridge({}, installed=("tui_throttle",))
    events = [MassgenEvent("2026-12-06T12:00:00", "text", f"agent_{'ab'[i // 20 % 2]}", 1,
                           {"content": f"t{i} "}) for i in range(300)] + stream(30)
    produce(app, events)
    feed = settle(app)
    # Through the chain (MassGen's cleaning is not here, so deltas are paced, not merged).
    assert feed.chained and not {id(e) for e in app.received} & {id(e) for e in events}
    for agent in ("agent_a", "agent_b"):
        for kind in ("text", "thinking"):
            assert texts(app.received, agent, kind) == texts(events, agent, kind)
    assert critical(app.received) == critical(events)
    tui._close_after(lambda: None, app, (), {})
    later = stream(6)
    produce(app, later)  # after the app closed its chain: MassGen's own path
    assert [id(e) for e in app.received[-len(later):]] == [id(e) for e in later]
    assert feed.direct and warnings(capsys) == []


def test_a_sink_plugin_that_passes_events_on_twice_shows_each_once(bridge, capsys):
    app = bridge({"faulty_sink": faulty_sink()}, "plugins: {faulty_sink: {plan: ['twice@5']}}\n")
    events = stream()
    produce(app, events)
    feed = settle(app)
    assert [e.fields() for e in app.received] == [e.fields() for e in events]
    assert feed.refused == len(events) - 4 and feed.chained, "refused, and it goes on"
    feed.close()


def texts(events: list[Any], agent: str, kind: str) -> str:
    return "".join(e.data.get("content", "") for e in events
                   if e.agent_id == agent and e.event_type == kind)


def critical(events: list[Any]) -> list[tuple[Any, ...]]:
    return [e.fields() for e in events if e.event_type not in ("text", "thinking")]


@pytest.mark.parametrize("position", ["tryfirst", "trylast"])
@pytest.mark.parametrize("fault", ["raise@9", "base@9", "block@9", "hold@9"])
def test_beside_tui_throttle_a_failing_sink_loses_and_repeats_nothing(bridge, capsys, fault,
                                                                      position):
    # tryfirst: next to MassGen, fed by tui_throttle's threads; trylast: fed by the bridge.
    app = bridge({"faulty_sink": faulty_sink(position)},
                 f"plugins: {{faulty_sink: {{plan: ['{fault}']}}}}\n", installed=("tui_throttle",))
    events = stream(300)
    produce(app, events)
    feed = settle(app)
    if fault != "hold@9":
        feed.close()
    assert feed.direct and feed.plugins[-1] == ("faulty_sink" if position == "trylast"
                                                else "tui_throttle")
    for agent in ("agent_a", "agent_b"):
        for kind in ("text", "thinking"):
            assert texts(app.received, agent, kind) == texts(events, agent, kind)
    assert critical(app.received) == critical(events), "each once, in order"
    lines = warnings(capsys)
    assert len(lines) == 1 and "plugin 'faulty_sink'" in lines[0], lines


def test_a_plugin_blocked_when_the_app_closes_holds_up_the_close_only_until_its_deadline(bridge):
    app = bridge({"faulty_sink": faulty_sink()},
                 "plugins: {faulty_sink: {plan: ['block@3']}}\n")
    events = stream(4)
    produce(app, events)
    closing = threading.Thread(target=tui._close_after, args=(lambda: None, app, (), {}))
    closing.start()
    closing.join(HANG)
    assert not closing.is_alive()
    assert [e.fields() for e in app.received] == [e.fields() for e in events]
