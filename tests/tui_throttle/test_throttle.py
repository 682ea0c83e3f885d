"""The throttle sink: coalescing, order around critical events, flushing, threads, memory."""

from __future__ import annotations

import hashlib
import threading

import pytest
from massgen_tui_throttle.throttle import ThrottleSink

from massgen_plugins.events.classes import Classifier
from massgen_plugins.events.model import Event
from massgen_plugins.host import Host
from tests.conftest import SHARED

LONG = {"streaming": 60.0, "thinking": 60.0, "state": 60.0}  # timed flushes never fire in a test


class Recorder:
    def __init__(self):
        self.events: list[Event] = []
        self.closed = self.flushed = False
        self.lock = threading.Lock()

    def emit(self, event):
        with self.lock:
            self.events.append(event)

    def flush(self):
        self.flushed = True

    def close(self):
        self.closed = True


def ev(kind, agent="agent_a", content=None, **data):
    if content is not None:
        data["content"] = content
    return Event("2026-01-01T12:00:00", kind, agent, 0, data)


def sink(intervals=LONG, classify=None, **kw):
    rec = Recorder()
    return rec, ThrottleSink(rec, classify or Classifier(), intervals, **kw)


STATUS_IS_STATE = Classifier({"status": "state"})  # as `tui.event_classes` in config makes it


def test_a_lone_event_goes_out_at_once_then_deltas_merge():
    rec, s = sink()
    s.emit(ev("text", content="Hel"))
    assert [e.data["content"] for e in rec.events] == ["Hel"], "leading edge"
    for piece in ("lo", " wor", "ld"):
        s.emit(ev("text", content=piece))
    s.emit(ev("text", "agent_b", content="b1"))
    s.emit(ev("text", "agent_b", content="b2"))
    assert len(rec.events) == 1
    s.close()
    assert [(e.agent_id, e.data["content"]) for e in rec.events] == [
        ("agent_a", "Hel"), ("agent_a", "lo world"), ("agent_b", "b1b2")]
    assert rec.closed


def test_state_keeps_only_the_latest_and_thinking_merges_apart_from_text():
    rec, s = sink(classify=STATUS_IS_STATE)
    s.emit(ev("text", content="x"))  # leading edge
    s.emit(ev("status", message="one"))
    s.emit(ev("status", message="two"))
    s.emit(ev("thinking", content="hm"))
    s.emit(ev("text", content="y"))
    s.emit(ev("thinking", content="m"))
    s.flush()
    kinds = [(e.event_type, e.data.get("message") or e.data.get("content")) for e in rec.events]
    assert kinds == [("text", "x"), ("status", "two"), ("thinking", "hmm"), ("text", "y")]
    assert rec.flushed


def test_a_critical_event_goes_at_once_after_everything_pending():
    rec, s = sink()
    s.emit(ev("text", content="a"))
    s.emit(ev("text", content="b"))
    s.emit(ev("text", "agent_b", content="c"))
    s.emit(ev("vote", target_id="agent_a"))
    assert [(e.event_type, e.data.get("content")) for e in rec.events] == [
        ("text", "a"), ("text", "b"), ("text", "c"), ("vote", None)]
    for n in range(6):  # one after another inside one frame gap: none waits for a frame slot
        s.emit(ev("tool_start", tool_name=f"t{n}"))
        assert rec.events[-1].data["tool_name"] == f"t{n}"
    s.close()


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_merged_events_carry_the_seq_of_the_last_part_they_stand_for():
    rec, s = sink(classify=STATUS_IS_STATE)
    s.emit(ev("text", content="lead").stamped(0.0, 0))  # the leading edge
    for seq, piece in enumerate(("a", "b", "c"), start=1):
        s.emit(ev("text", content=piece).stamped(0.0, seq))
    s.emit(ev("status", message="one").stamped(0.0, 4))
    s.emit(ev("status", message="two").stamped(0.0, 5))
    s.close()
    assert [(e.data.get("content") or e.data.get("message"), e.seq) for e in rec.events] == [
        ("lead", 0), ("abc", 3), ("two", 5)]


class Pipes(Classifier):
    """A TUI that shows a "|" in a delta as a line break: a join across one would differ."""

    def join(self, event, parts):
        if any("|" in p for p in parts):
            return [(part, 1) for part in parts]
        return [("".join(parts), len(parts))]


class Broken(Classifier):
    def join(self, event, parts):
        raise RuntimeError("no")


@pytest.mark.parametrize("vocabulary", [Pipes, Broken])
def test_deltas_merge_only_as_the_tui_joins_them(vocabulary):
    rec = Recorder()
    s = ThrottleSink(rec, vocabulary(), LONG)
    s.emit(ev("text", content="lead").stamped(0.0, 0))
    for seq, piece in enumerate(("a", "b|", "c"), start=1):
        s.emit(ev("text", content=piece).stamped(0.0, seq))
    s.emit(ev("vote", target_id="agent_a").stamped(0.0, 4))
    for seq, piece in enumerate(("d", "e"), start=5):
        s.emit(ev("text", content=piece).stamped(0.0, seq))
    s.close()
    got = [(e.data.get("content"), e.seq) for e in rec.events]
    # Apart where the TUI would show a join otherwise, or when it cannot say: never lost, and
    # each piece carries the seq of the last part it stands for.
    tail = [("de", 6)] if vocabulary is Pipes else [("d", 5), ("e", 6)]
    assert got == [("lead", 0), ("a", 1), ("b|", 2), ("c", 3), (None, 4), *tail]


def test_a_flood_slows_the_frame_rate_and_a_calm_restores_it():
    clock = Clock()
    rec, s = sink(max_fps=20, clock=clock)
    for _ in range(2000):  # 5,000 events/s for 0.4 s, then one more window
        clock.now += 0.0002
        s.emit(ev("text", content="t"))
    clock.now += 0.2
    s.emit(ev("text", content="t"))
    assert s._gap > s.min_gap
    for _ in range(10):  # 10 events/s
        clock.now += 0.1
        s.emit(ev("text", content="t"))
    assert s._gap == s.min_gap
    s.close()
    assert sum(len(e.data["content"]) for e in rec.events) == 2011


def test_pending_events_are_flushed_when_the_producer_fails():
    rec, s = sink()
    try:
        try:
            s.emit(ev("text", content="1"))
            s.emit(ev("text", content="2"))
            raise RuntimeError("producer died")
        finally:
            s.close()
    except RuntimeError:
        pass
    assert "".join(e.data["content"] for e in rec.events) == "12" and rec.closed


def test_timed_flush_delivers_without_close():
    rec, s = sink({"streaming": 0.01}, max_fps=1000)
    s.emit(ev("text", content="first"))
    s.emit(ev("text", content="second"))
    done = threading.Event()
    for _ in range(200):
        if len(rec.events) == 2:
            done.set()
            break
        threading.Event().wait(0.01)
    assert done.is_set(), "the flusher thread delivered the pending delta"
    s.close()


def test_memory_is_bounded_by_agents_and_kinds():
    rec, s = sink()
    agents = [f"agent_{i}" for i in range(4)]
    for n in range(20_000):
        s.emit(ev("text" if n % 3 else "thinking", agents[n % 4], content="t"))
        s.emit(ev("status", agents[n % 4], message=str(n)))
        assert len(s._slots) <= 4 * 3
    s.close()
    assert sum(len(e.data.get("content", "")) for e in rec.events) == 20_000


def test_several_producer_threads():
    rec, s = sink({"streaming": 0.002}, max_fps=500)
    per = 2000

    def produce(agent):
        for n in range(per):
            s.emit(ev("text", agent, content=f"{n},"))
            if n % 500 == 0:
                s.emit(ev("tool_start", agent, tool_name="t"))

    threads = [threading.Thread(target=produce, args=(f"agent_{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s.close()
    want = "".join(f"{n}," for n in range(per))
    for i in range(4):
        mine = [e for e in rec.events if e.agent_id == f"agent_{i}"]
        assert "".join(e.data["content"] for e in mine if e.event_type == "text") == want
        assert sum(e.event_type == "tool_start" for e in mine) == per // 500
    assert len(rec.events) < 4 * per, "deltas were merged"


def test_intervals_come_from_config_in_milliseconds(home, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("plugins:\n  tui_throttle:\n    intervals: {text: 50, thinking: 400}\n"
                           "    max_fps: 20\n")
    host = Host.create(environ={"MASSGEN_LOAD_PLUGINS": "tui_throttle"})
    wrapped = host.build_event_sink(Recorder(), Classifier())
    assert isinstance(wrapped, ThrottleSink)
    assert wrapped.intervals["text"] == 0.05 and wrapped.intervals["thinking"] == 0.4
    assert wrapped._interval("status", "state") == 0.25 and wrapped.min_gap == 0.05
    wrapped.close()


def test_disabled_plugin_leaves_the_sink_alone(home):
    host = Host.create(environ={"MASSGEN_DISABLE_PLUGINS": "tui_throttle"})
    rec = Recorder()
    assert host.build_event_sink(rec, Classifier()) is rec


@pytest.mark.skipif(not (SHARED / "massgen-logs").is_dir(), reason="needs ../shared")
@pytest.mark.parametrize("run", ["run_a_two_agents", "run_b_three_agents_long", "run_h_tools"])
def test_reference_runs_reach_the_tui_whole_and_in_order_with_the_plugin_on(home, run):
    from massgen_plugins.events.classes import CRITICAL, MASSGEN_TUI_CLASSES
    from massgen_plugins.logs.events_file import read_events
    from massgen_plugins.logs.files import Warnings

    path = next((SHARED / "massgen-logs" / run).glob("log_*/turn_1/attempt_1/events.jsonl"))
    events = list(read_events(path, Warnings()))
    classify = Classifier(defaults=MASSGEN_TUI_CLASSES)
    rec = Recorder()
    chain = Host.create(environ={"MASSGEN_LOAD_PLUGINS": "tui_throttle"}).build_event_sink(
        rec, classify)
    assert isinstance(chain, ThrottleSink)
    for event in events:  # as fast as a replay at full speed
        chain.emit(event)
    chain.close()

    def critical(seq):
        return [(e.event_type, e.agent_id, dict(e.data)) for e in seq
                if classify.of(e) == CRITICAL]

    def text(seq, agent):
        return "".join(str(e.data.get("content") or "") for e in seq
                       if e.event_type == "text" and e.agent_id == agent)

    assert critical(rec.events) == critical(events), "every critical event, once, in order"
    for agent in {e.agent_id for e in events if e.agent_id}:
        assert hashlib.sha256(text(rec.events, agent).encode()).digest() == \
            hashlib.sha256(text(events, agent).encode()).digest()
    assert len(rec.events) < len(events), "deltas were merged"


# -- MassGen's vocabulary (its own TUI, through the bridge) -----------------------------------

def massgen_sink():
    from massgen_plugins.events.classes import MASSGEN_TUI_CLASSES

    rec = Recorder()
    return rec, ThrottleSink(rec, Classifier(defaults=MASSGEN_TUI_CLASSES), LONG)


def test_a_done_flag_ends_its_reasoning_block_and_is_never_merged_away():
    rec, s = massgen_sink()
    s.emit(ev("text", content="lead"))  # the leading edge, so what follows is held
    for piece in ("Let me ", "think ", "about it."):
        s.emit(ev("thinking", content=piece, done=False))
    s.emit(ev("thinking", content="", done=True))
    s.emit(ev("thinking", content="A second block.", done=False))
    s.close()
    thinking = [(e.data["content"], e.data["done"]) for e in rec.events if e.event_type == "thinking"]
    assert thinking == [("Let me think about it.", False), ("", True), ("A second block.", False)]


def test_deltas_of_another_round_or_other_fields_are_not_merged():
    rec, s = massgen_sink()
    s.emit(ev("text", content="lead"))
    s.emit(Event("t", "text", "agent_a", 1, {"content": "round one "}))
    s.emit(Event("t", "text", "agent_a", 1, {"content": "more"}))
    s.emit(Event("t", "text", "agent_a", 2, {"content": "round two"}))
    s.emit(Event("t", "thinking", "agent_a", 2, {"content": "x", "is_redacted": False}))
    s.emit(Event("t", "thinking", "agent_a", 2, {"content": "y", "is_redacted": True}))
    s.close()
    got = [(e.event_type, e.round_number, e.data["content"], e.data.get("is_redacted"))
           for e in rec.events[1:]]
    assert got == [("text", 1, "round one more", None), ("text", 2, "round two", None),
                   ("thinking", 2, "x", False), ("thinking", 2, "y", True)]


def test_status_lines_are_each_shown_unless_config_makes_status_state():
    lines = [ev("status", content=None, message=f"step {n}", level="info") for n in range(4)]
    rec, s = massgen_sink()
    s.emit(ev("text", content="lead"))
    for line in lines:
        s.emit(line)
    s.close()
    assert [e.data["message"] for e in rec.events if e.event_type == "status"] == [
        "step 0", "step 1", "step 2", "step 3"]
    ours, t = sink(classify=STATUS_IS_STATE)
    t.emit(ev("text", content="lead"))
    for line in lines:
        t.emit(line)
    t.close()
    assert [e.data["message"] for e in ours.events if e.event_type == "status"] == ["step 3"]


def test_post_evaluation_content_streams_and_its_start_and_end_stay_in_order():
    rec, s = massgen_sink()
    s.emit(ev("post_evaluation", phase="start", content=""))
    for piece in ("Checking ", "the ", "answer."):
        s.emit(ev("post_evaluation", phase="content", content=piece))
    s.emit(ev("post_evaluation", phase="end", content="", winner="agent_a"))
    s.close()
    assert [(e.data["phase"], e.data["content"]) for e in rec.events] == [
        ("start", ""), ("content", "Checking the answer."), ("end", "")]
