"""The throttle keeps going when the sink it feeds raises or is slow: each event is handed to the
sink exactly once (one it raises on is counted as refused, never handed again), the flusher
never stops, producers do not wait for the sink, and merging goes on."""

from __future__ import annotations

import random
import threading

import pytest
from massgen_tui_throttle.throttle import ThrottleSink

from massgen_plugins.events.classes import Classifier
from tests.tui_throttle.test_throttle import LONG, Recorder, ev

HANG = 30  # seconds: only a hang would reach it
FAST = {"streaming": 0.002, "thinking": 0.002, "state": 0.002}


class Faulty:
    """A sink that raises on the calls chosen by `fails(n)` (n counts its emit calls).

    Every call is recorded, the ones it raises on too: "handed to the sink exactly once" is
    about the calls, whatever the sink did with the event before raising.
    """

    def __init__(self, fails):
        self.fails = fails
        self.calls: list = []
        self.raised = 0
        self.lock = threading.Lock()

    def emit(self, event):
        with self.lock:
            n = len(self.calls)
            self.calls.append(event)
            if self.fails(n):
                self.raised += 1
                raise RuntimeError(f"the sink's own bug at call {n}")

    def flush(self):
        pass

    def close(self):
        pass


def shown(events):
    return [(e.agent_id, e.event_type, e.data.get("content") or e.data.get("target")) for e in events]


# A flush of four: three agents' pending deltas, then the critical event that flushes them.
BATCH = [("agent_a", "text", "a1 a2 "), ("agent_b", "text", "b1 b2 "),
         ("agent_c", "thinking", "c1 c2 "), ("agent_a", "vote", "agent_b")]


@pytest.mark.parametrize("position", range(len(BATCH)))
def test_a_fault_at_any_position_of_a_flush_hands_each_event_over_once(position):
    sink = Faulty(lambda n: n == 1 + position)  # call 0 is the leading edge
    throttle = ThrottleSink(sink, Classifier(), LONG)
    throttle.emit(ev("text", "agent_z", "lead "))
    for agent, kind, content in BATCH[:3]:
        for word in content.split():
            throttle.emit(ev(kind, agent, word + " "))
    throttle.emit(ev("vote", "agent_a", target="agent_b"))
    throttle.emit(ev("vote", "agent_b", target="agent_a"))  # and it goes on after the fault
    throttle.close()
    assert shown(sink.calls) == [("agent_z", "text", "lead "), *BATCH,
                                 ("agent_b", "vote", "agent_a")]
    assert throttle.refused == sink.raised == 1


def test_faults_at_random_positions_with_several_producers_lose_and_repeat_nothing():
    rng = random.Random(20261206)
    sink = Faulty(lambda n: rng.random() < 0.2)
    throttle = ThrottleSink(sink, Classifier(), FAST, max_fps=500)
    agents = [f"agent_{i}" for i in range(4)]
    per = 1500

    def produce(agent):
        for n in range(per):
            throttle.emit(ev("text" if n % 3 else "thinking", agent, f"{agent}:{n},"))
            if n % 50 == 49:
                throttle.emit(ev("tool_start", agent, tool_name=f"{agent}-t{n}"))

    threads = [threading.Thread(target=produce, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG)
    throttle.close()
    assert throttle.refused == sink.raised > 20  # many faults, each counted once
    for agent in agents:
        mine = [e for e in sink.calls if e.agent_id == agent]
        for kind in ("text", "thinking"):
            # Every delta's content handed over once, in order: merged, never cut or doubled.
            want = "".join(f"{agent}:{n}," for n in range(per) if (kind == "text") == bool(n % 3))
            assert "".join(e.data["content"] for e in mine if e.event_type == kind) == want
        tools = [e.data["tool_name"] for e in mine if e.event_type == "tool_start"]
        assert tools == [f"{agent}-t{n}" for n in range(per) if n % 50 == 49]
    assert len(sink.calls) < 4 * per, "deltas were merged"


def test_the_flusher_keeps_flushing_after_the_sink_raised(home):
    sink = Faulty(lambda n: n == 2)
    throttle = ThrottleSink(sink, Classifier(), {"streaming": 0.01, "thinking": 0.01, "state": 0.01})
    throttle.emit(ev("text", "agent_a", "first "))
    throttle.emit(ev("text", "agent_a", "second "))  # pending: the flusher's to deliver
    throttle.emit(ev("vote", "agent_a", target="agent_b"))  # refused
    throttle.emit(ev("text", "agent_b", "later "))
    throttle.emit(ev("text", "agent_b", "and later "))  # only a timed flush delivers these
    for _ in range(HANG * 100):
        if "and later " in "".join(e.data.get("content") or "" for e in sink.calls):
            break
        threading.Event().wait(0.01)
    assert shown(sink.calls[:3]) == [("agent_a", "text", "first "),
                                     ("agent_a", "text", "second "), ("agent_a", "vote", "agent_b")]
    assert "".join(e.data["content"] for e in sink.calls[3:]) == "later and later "
    assert throttle._thread.is_alive() and throttle.refused == 1
    throttle.close()


class Stalled(Recorder):
    """A sink that stops answering until it is let go, as a busy UI thread does."""

    def __init__(self):
        super().__init__()
        self.armed = False
        self.go = threading.Event()
        self.entered = threading.Event()

    def emit(self, event):
        if self.armed:
            self.entered.set()
            assert self.go.wait(HANG), "never let go"
        super().emit(event)


def test_a_stalled_sink_blocks_no_producer_and_merging_goes_on(home):
    rec = Stalled()
    sink = ThrottleSink(rec, Classifier(), LONG)
    sink.emit(ev("text", "agent_a", "first "))  # a lone event: handed over at once
    assert [e.data["content"] for e in rec.events] == ["first "]
    rec.armed = True
    # A critical event, handed over by its own producer, which the stalled sink now holds.
    holder = threading.Thread(target=sink.emit, args=(ev("vote", "agent_b", target="agent_a"),))
    holder.start()
    assert rec.entered.wait(HANG)
    finished = []

    def produce(agent):
        for i in range(500):
            sink.emit(ev("text", agent, f"{i} "))
        sink.emit(ev("vote", agent, target="agent_a"))  # critical: queued, not waited for
        finished.append(agent)

    producers = [threading.Thread(target=produce, args=(a,)) for a in ("agent_c", "agent_d")]
    for t in producers:
        t.start()
    for t in producers:
        t.join(HANG)
    assert sorted(finished) == ["agent_c", "agent_d"]  # while the sink still held the other
    assert not rec.go.is_set()
    rec.go.set()
    holder.join(HANG)
    sink.close()
    got = rec.events
    for agent in ("agent_c", "agent_d"):
        deltas = [e for e in got if e.agent_id == agent and e.event_type == "text"]
        assert "".join(e.data["content"] for e in deltas) == "".join(f"{i} " for i in range(500))
        assert len(deltas) < 50  # merged while the sink was stalled, not 500 hand-offs
        assert [e.event_type for e in got if e.agent_id == agent][-1] == "vote"
