"""Headless replays: transcripts, order, bad lines, the sink chain, several producer threads."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest

from massgen_plugins.events.classes import CRITICAL, Classifier
from massgen_plugins.events.jsonl import read_events
from massgen_plugins.host import Host
from massgen_plugins.logs.files import Warnings
from massgen_plugins.tui.replay import replay
from tests.conftest import SHARED, no_traceback
from tests.synthetic_runs import event_line

RUNS = ["run_a_two_agents", "run_b_three_agents_long", "run_h_tools"]


def expected(path):
    events = list(read_events(path, Warnings()))
    text: dict[str, list[str]] = {}
    for e in events:
        if e.event_type == "text" and e.agent_id:
            text.setdefault(e.agent_id, []).append(str(e.data.get("content") or ""))
    digests = {a: hashlib.sha256("".join(parts).encode()).hexdigest() for a, parts in text.items()}
    classify = Classifier()
    order = "\n".join(f"{e.event_type}:{e.agent_id}" for e in events
                      if classify.of(e) == CRITICAL)
    return events, digests, hashlib.sha256(order.encode()).hexdigest()


@pytest.mark.skipif(not (SHARED / "massgen-logs").is_dir(), reason="needs ../shared")
@pytest.mark.parametrize("run", RUNS)
def test_reference_runs_replay_to_the_recorded_transcripts(home, run):
    path = next((SHARED / "massgen-logs" / run).glob("log_*/turn_1/attempt_1/events.jsonl"))
    events, digests, order = expected(path)
    host = Host.create(environ={"MASSGEN_LOAD_PLUGINS": ""})
    stats = replay(iter(events), host, None, headless=True)
    data = stats.as_json()
    assert data["events_in"] == data["events_applied"] == len(events)
    assert data["critical_in"] == data["critical_applied"] > 0
    for agent, digest in digests.items():
        assert data["transcript_sha256"][agent] == digest, agent
    assert data["critical_order_sha256"] == order


def test_paced_replay_measures_latency_and_frames(home, tmp_path):
    path = tmp_path / "events.jsonl"
    with path.open("w") as fh:
        for n in range(60):
            fh.write(event_line(f"2026-01-01T12:00:00.{n * 10000:06d}", "text", "agent_a", 0,
                                {"content": f"w{n} "}))
        fh.write(event_line("2026-01-01T12:00:00.700000", "vote", "agent_a", 1,
                            {"target_id": "agent_a", "reason": "x"}))
    host = Host.create(environ={"MASSGEN_LOAD_PLUGINS": ""})
    stats = replay(read_events(path, Warnings()), host, 1.0, headless=True).as_json()
    assert stats["frames"] >= 2 and stats["widget_refreshes"] > 0
    assert stats["latency_ms"]["streaming"]["p99"] is not None
    assert stats["latency_ms"]["critical"]["p50"] is not None
    assert stats["wall_s"] >= 0.6  # the recorded 0.7 s were honoured


def test_cli_replay_reports_bad_lines_and_writes_stats(cli, home, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text(event_line("2026-01-01T12:00:00", "text", "agent_a", 0, {"content": "hi "})
                    + "not json at all\n"
                    + event_line("2026-01-01T12:00:01", "text", "agent_a", 0, {"content": "there"})
                    + '{"timestamp": "2026-01-01T12:00:02", "event_ty')
    stats_file = tmp_path / "stats.json"
    result = cli("tui", "replay", str(path), "--headless", "--max-speed", "--stats",
                     str(stats_file))
    assert result.returncode == 0 and no_traceback(result), result.stderr
    assert f"{path}: skipped 2 lines that are not events (first at line 2)" in result.stderr
    data = json.loads(stats_file.read_text())
    assert data["events_in"] == 2
    assert data["transcript_sha256"]["agent_a"] == hashlib.sha256(b"hi there").hexdigest()


def test_replay_goes_through_the_plugins_sink_chain(home, make_plugin, tmp_path):
    make_plugin("counter", """
        from massgen_plugins import hookimpl
        SEEN = []

        class Upper:
            def __init__(self, inner):
                self.inner = inner
            def emit(self, event):
                SEEN.append(event.event_type)
                self.inner.emit(event)
            def flush(self):
                self.inner.flush()
            def close(self):
                SEEN.append("closed")
                self.inner.close()

        @hookimpl
        def wrap_event_sink(sink):
            return Upper(sink)
    """)
    path = tmp_path / "events.jsonl"
    path.write_text(event_line("2026-01-01T12:00:00", "text", "agent_a", 0, {"content": "x"}))
    host = Host.create(environ={"MASSGEN_LOAD_PLUGINS": "counter"})
    replay(read_events(path, Warnings()), host, None, headless=True)
    import fake_counter

    assert fake_counter.SEEN == ["text", "closed"]


def test_several_producer_threads_keep_each_agents_order(home):
    from massgen_plugins.events.model import Event
    from massgen_plugins.tui.app import AppSink, MassgenApp, Stats

    stats = Stats()
    per_agent = 400

    def start(app):
        sink = AppSink(app)
        app.test_sink = sink

        def producer(agent):
            for n in range(per_agent):
                sink.emit(Event("2026-01-01T12:00:00", "text", agent, 0, {"content": f"{n},"}))

        threads = [threading.Thread(target=producer, args=(f"agent_{i}",)) for i in range(4)]

        def run_all():
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            sink.when_drained(lambda: app.finish(True))

        threading.Thread(target=run_all).start()

    app = MassgenApp(Classifier(), stats, on_ready=start)
    app.run(headless=True, size=(160, 48))
    assert stats.events_applied == 4 * per_agent
    want = "".join(f"{n}," for n in range(per_agent))
    for i in range(4):
        assert app.view.agents[f"agent_{i}"].transcript == want


def test_event_classes_are_configurable(cli, user_config):
    assert Classifier()("text") == "streaming" and Classifier()("status") == "state"
    assert Classifier()("some_future_event") == "critical"
    assert Classifier({"text": "critical"})("text") == "critical"
    user_config.parent.mkdir(parents=True)
    user_config.write_text("tui:\n  event_classes:\n    my_delta: streaming\n")
    out = json.loads(cli("config", "show", "--json").stdout)
    assert out["values"]["tui"]["event_classes"] == {"my_delta": "streaming"}


def test_a_bad_event_class_is_a_config_error(cli, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("tui:\n  event_classes:\n    text: urgent\n")
    result = cli("config", "show")
    assert result.returncode == 2
    assert result.stderr == (f"massgen-plugins: error: {user_config}:2: tui.event_classes: expected one "
                             "of streaming, state, critical, got 'urgent'\n")
