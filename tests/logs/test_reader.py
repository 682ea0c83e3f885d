"""The reader on MassGen's own runs and on generated ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from massgen_plugins.logs.files import Warnings
from massgen_plugins.logs.locate import LogsError, logs_base, resolve, sessions
from massgen_plugins.logs.reader import natural_key, read_session
from tests.conftest import SHARED
from tests.synthetic_runs import write_run

RUNS = SHARED / "massgen-logs"
needs_shared = pytest.mark.skipif(not RUNS.is_dir(), reason="../shared is not beside the repo")


def only_session(run: str) -> Path:
    return next((RUNS / run).glob("log_*"))


@needs_shared
@pytest.mark.parametrize("run, agents, answers, votes, tools, rounds", [
    ("run_a_two_agents", 2, 2, 2, 0, {"answer": 2, "vote": 2, "presentation": 1}),
    ("run_b_three_agents_long", 3, 4, 5, 0, {"answer": 4, "vote": 5, "presentation": 1}),
    ("run_h_tools", 2, 2, 2, 2, {"answer": 2, "vote": 2, "presentation": 1}),
])
def test_reference_runs(run, agents, answers, votes, tools, rounds):
    warn = Warnings()
    session = read_session(only_session(run), warn)
    assert list(warn) == []
    a = session.latest
    assert a.winner == "agent_a" and a.finish_reason == "completed"
    assert len(a.agents) == agents and len(a.answers) == answers and len(a.votes) == votes
    assert a.tool_calls == tools
    assert {k: v for k, v in a.rounds_by_outcome.items() if v} == rounds
    assert a.final_answer and a.final_answer.startswith("# Final answer")
    assert a.massgen_version == "0.1.97" and a.tokens.input > 0 and a.duration_s > 0
    assert all(g.tokens.input > 0 for g in a.agents), "per-agent tokens come from status.json"


@needs_shared
def test_superseded_votes_do_not_hide_the_current_one():
    a = read_session(only_session("run_b_three_agents_long")).latest
    assert {g.agent_id: g.voted_for for g in a.agents} == {
        "agent_a": "agent_a", "agent_b": "agent_a", "agent_c": "agent_b"}


def test_turns_and_attempts_sort_naturally(tmp_path):
    session = write_run(tmp_path, turns=11, stream_events=1)
    (session / "turn_2" / "attempt_10").mkdir()
    (session / "turn_2" / "attempt_9").mkdir()
    s = read_session(session)
    assert [t.number for t in s.turns] == list(range(1, 12))
    assert [a.number for a in s.turns[1].attempts] == [1, 9, 10]
    assert [p.name for p in sorted([session / "turn_10", session / "turn_2"], key=natural_key)] \
        == ["turn_2", "turn_10"]


def test_log_base_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert logs_base(None, {}) == tmp_path / "home" / ".massgen" / "massgen_logs"
    (tmp_path / ".massgen" / "massgen_logs").mkdir(parents=True)
    assert logs_base(None, {}) == tmp_path / ".massgen" / "massgen_logs"
    assert logs_base(None, {"MASSGEN_LOG_BASE_DIR": "/env/logs"}) == Path("/env/logs")
    assert logs_base("/flag", {"MASSGEN_LOG_BASE_DIR": "/env/logs"}) == Path("/flag")


def test_resolve_session_turn_attempt_and_latest(tmp_path):
    old = write_run(tmp_path, "log_20260101_090000_000000", turns=2, stream_events=1)
    new = write_run(tmp_path, "log_20260102_090000_000000", stream_events=1)
    assert [p.name for p in sessions(tmp_path)] == [new.name, old.name]
    assert resolve(None, tmp_path).session == new
    assert resolve(str(old), tmp_path).session == old
    assert resolve(old.name, tmp_path).session == old
    t = resolve(str(old / "turn_2"), tmp_path)
    assert (t.session, t.turn, t.attempt) == (old, 2, None)
    t = resolve(str(old / "turn_2" / "attempt_1"), tmp_path)
    assert (t.session, t.turn, t.attempt) == (old, 2, 1)
    with pytest.raises(LogsError, match="no such log directory"):
        resolve(str(tmp_path / "nope"), tmp_path)


def test_continued_session_reads_turn_2_with_the_files_massgen_put_in_turn_1(tmp_path):
    # `massgen --continue "Q2"`: a new log dir whose turn_1/attempt_1 holds only turn 2's
    # events.jsonl, massgen.log and execution_metadata.yaml; turn_2/attempt_1 holds the rest.
    session = write_run(tmp_path, turns=2, stream_events=5, question="Q")
    one, two = session / "turn_1" / "attempt_1", session / "turn_2" / "attempt_1"
    for name in list(one.iterdir()):
        if name.name not in ("events.jsonl", "massgen.log", "execution_metadata.yaml"):
            shutil.rmtree(name) if name.is_dir() else name.unlink()
    for name in ("events.jsonl", "massgen.log", "execution_metadata.yaml"):
        (two / name).unlink()
    (one / "massgen.log").write_text("10:00:00 | ERROR    | turn two failed once\n")
    s = read_session(session)
    assert [t.number for t in s.turns] == [2]
    a = s.latest
    assert a.events_path == one / "events.jsonl" and a.massgen_version == "0.1.97"
    assert a.question == "Q (turn 2)" and a.winner == "agent_a"
    assert a.errors == ("massgen.log: turn two failed once",)


def test_startup_failure_is_not_mistaken_for_a_continued_session(tmp_path):
    a = tmp_path / "log_x" / "turn_1" / "attempt_1"
    a.mkdir(parents=True)
    for name in ("events.jsonl", "massgen.log", "execution_metadata.yaml"):
        (a / name).write_text("")
    s = read_session(tmp_path / "log_x")
    assert [t.number for t in s.turns] == [1] and s.latest.events_path == a / "events.jsonl"
