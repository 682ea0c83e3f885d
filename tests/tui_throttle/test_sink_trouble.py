"""The throttle keeps going when the sink it feeds raises or is slow: no event of any producer is
lost, the flusher never stops, producers do not wait for the sink, and merging goes on."""

from __future__ import annotations

import threading

from massgen_tui_throttle.throttle import ThrottleSink

from massgen_plugins.events.classes import Classifier
from tests.tui_throttle.test_throttle import LONG, Recorder, ev

HANG = 30  # seconds: only a hang would reach it


class Refusing(Recorder):
    """A sink with a bug: it raises on any event that carries `bad` (a critical vote here)."""

    def emit_many(self, events):
        if any(e.data.get("bad") for e in events):
            raise RuntimeError("the sink's own bug")
        super().emit_many(events)


class Stalled(Recorder):
    """A sink that stops answering until it is let go, as a busy UI thread does."""

    def __init__(self):
        super().__init__()
        self.armed = False
        self.go = threading.Event()
        self.entered = threading.Event()

    def emit_many(self, events):
        if self.armed:
            self.entered.set()
            assert self.go.wait(HANG), "never let go"
        super().emit_many(events)


def contents(rec):
    return [e.data.get("content") for e in rec.events]


def test_an_exception_in_the_sink_loses_only_the_event_it_refused(home):
    rec = Refusing()
    sink = ThrottleSink(rec, Classifier(), {"streaming": 0.01, "thinking": 0.01, "state": 0.01})

    def produce(agent):
        for i in range(200):
            sink.emit(ev("text", agent, f"{agent}-{i} "))
            if i == 100:  # what is pending goes out with it, in the batch the sink refuses
                sink.emit(ev("vote", agent, target="agent_b", bad=True))
        sink.emit(ev("vote", agent, target="agent_a"))

    threads = [threading.Thread(target=produce, args=(f"agent_{n}",)) for n in "abc"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG)
    sink.close()
    text = "".join(c or "" for c in contents(rec))
    for agent in ("agent_a", "agent_b", "agent_c"):  # every delta of every producer shows
        assert all(f"{agent}-{i} " in text for i in range(200)), agent
    assert not any(e.data.get("bad") for e in rec.events) and sink.sink_errors == 3
    assert sum(e.event_type == "vote" for e in rec.events) == 3
    assert sink.metrics()["tui_throttle"]["sink_errors"] == sink.sink_errors


def test_the_flusher_keeps_flushing_after_the_sink_raised(home):
    rec = Refusing()
    sink = ThrottleSink(rec, Classifier(), {"streaming": 0.01, "thinking": 0.01, "state": 0.01})
    sink.emit(ev("text", "agent_a", "first "))
    sink.emit(ev("text", "agent_a", "second "))  # pending: the flusher's to deliver
    sink.emit(ev("vote", "agent_a", target="agent_b", bad=True))  # refused
    sink.emit(ev("text", "agent_b", "later "))
    sink.emit(ev("text", "agent_b", "and later "))  # only a timed flush delivers these
    for _ in range(HANG * 100):
        if "and later " in "".join(c or "" for c in contents(rec)):
            break
        threading.Event().wait(0.01)
    assert "".join(c or "" for c in contents(rec)) == "first second later and later "
    assert sink._thread.is_alive() and sink.sink_errors == 1
    sink.close()


def test_a_stalled_sink_blocks_no_producer_and_merging_goes_on(home):
    rec = Stalled()
    sink = ThrottleSink(rec, Classifier(), LONG)
    sink.emit(ev("text", "agent_a", "first "))  # a lone event: handed over at once
    assert contents(rec) == ["first "]
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
