"""How each run ended, as `logs summary` and `logs list` tell it, on runs of every kind."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SHARED, no_traceback
from tests.synthetic_runs import (
    run_agent_failed,
    run_continued,
    run_failed_at_startup,
    run_interrupted_in_coordination,
    run_interrupted_in_presentation,
    run_killed,
    run_restarted,
    run_revoted,
    run_timed_out,
    run_unpriced,
    write_run,
)

RUNS = SHARED / "massgen-logs"
needs_shared = pytest.mark.skipif(not RUNS.is_dir(), reason="../shared is not beside the repo")


def summary(cli, path, *args):
    result = cli("logs", "summary", str(path), "--json", *args)
    assert result.returncode == 0 and no_traceback(result), result.stderr
    return json.loads(result.stdout)


def last(cli, path):
    return summary(cli, path)["attempts"][-1]


def listed(cli, base, *args):
    result = cli("logs", "list", "--logs-dir", str(base), "--json", *args)
    assert result.returncode == 0 and no_traceback(result), result.stderr
    return json.loads(result.stdout)["runs"]


def test_a_completed_run(cli, tmp_path):
    a = last(cli, write_run(tmp_path))
    assert a["outcome"] == "completed"
    assert a["outcome_evidence"] == ["status.json: finish_reason completed, winner agent_a",
                                     "answer_locked event"]
    assert [g["end_state"] for g in a["agents"]] == ["winner", "voted"]


def test_ctrl_c_in_the_final_presentation_is_an_interruption_though_status_says_completed(
        cli, tmp_path):
    a = last(cli, run_interrupted_in_presentation(tmp_path))
    assert a["finish_reason"] == "completed", "MassGen's own word is kept as it was"
    assert a["outcome"] == "interrupted"
    assert "no answer_locked event" in a["outcome_evidence"]
    assert "rounds.by_outcome.presentation is 0: the presentation was not counted" in \
        a["outcome_evidence"]
    assert "no turn-level final/" in a["outcome_evidence"]
    assert a["final_answer"] == "The answer is 4 because two and", "what there is, shown"


def test_ctrl_c_in_coordination_is_an_interruption_not_a_run_in_progress(cli, tmp_path):
    a = last(cli, run_interrupted_in_coordination(tmp_path))
    assert a["finish_reason"] == "in_progress" and a["outcome"] == "interrupted"
    assert a["outcome_evidence"][0] == "execution_metadata.yaml: failure_stage keyboard_interrupt"
    assert [g["end_state"] for g in a["agents"]] == ["interrupted", "interrupted"]
    assert a["votes"] == [] and a["winner"] is None


def test_a_killed_run_is_incomplete_and_says_when_its_log_stopped(cli, tmp_path):
    a = last(cli, run_killed(tmp_path))
    assert a["outcome"] == "incomplete"
    assert "no metrics_summary.json (MassGen writes it when it exits)" in a["outcome_evidence"]
    assert a["outcome_evidence"][-1].startswith("the last event was ")
    assert a["outcome_evidence"][-1].endswith(" ago (2026-01-01 12:00:01)")
    assert a["last_event"].startswith("2026-01-01T12:00:01.8")
    assert {g["id"]: g["end_state"] for g in a["agents"]} == {"agent_a": "answered",
                                                              "agent_b": "stopped"}


def test_a_timeout_names_the_selected_answer(cli, tmp_path):
    a = last(cli, run_timed_out(tmp_path))
    assert a["outcome"] == "timed_out" and a["timed_out"]
    assert "orchestrator_timeout event: Time limit exceeded (25.0s/25s); selected agent_b" in \
        a["outcome_evidence"]
    assert a["winner"] == "agent_b", "metrics' winner is null after a timeout; the event is not"
    assert a["final_answer"].startswith("Agent b's answer")


def test_a_start_up_failure(cli, tmp_path):
    a = last(cli, run_failed_at_startup(tmp_path))
    assert a["outcome"] == "failed"
    assert a["outcome_evidence"] == [
        "execution_metadata.yaml: failure_stage configuration_error (agent 'agent_a' has no "
        "backend type)",
        "no status.json and an empty events.jsonl: it stopped before the agents started"]
    assert a["cost"] is None and a["cost_note"].startswith("no cost was recorded")


def test_a_failed_agent_does_not_fail_a_completed_run(cli, tmp_path):
    a = last(cli, run_agent_failed(tmp_path))
    assert a["outcome"] == "completed"
    assert {g["id"]: g["end_state"] for g in a["agents"]} == {"agent_a": "winner",
                                                              "agent_b": "failed"}


def test_a_restart_into_attempt_2(cli, tmp_path):
    data = summary(cli, run_restarted(tmp_path))
    one, two = data["attempts"]
    assert (one["outcome"], two["outcome"]) == ("restarted", "completed")
    assert one["outcome_evidence"] == ["attempt_2 of the same turn follows it",
                                       "restart_banner: The answer lacks a proof"]
    assert one["restart_reason"] == "The answer lacks a proof"
    assert one["cost"] is None and "attempt_2" in one["cost_note"]
    assert two["cumulative"] and two["tokens"]["input"] == 6000
    assert {g["id"]: g["status"] for g in two["agents"]}["agent_b"] == "answered"
    rows = listed(cli, tmp_path)
    assert rows[0]["input_tokens"] == 6000 and rows[0]["cost"] == pytest.approx(0.006), \
        "attempt_2's totals are cumulative: attempt_1 is not counted twice"


def test_the_votes_an_agent_superseded_are_marked_and_the_tally_is_massgens(cli, tmp_path):
    a = last(cli, run_revoted(tmp_path))
    assert [(v["voter"], v["target"], v["final"]) for v in a["votes"]] == [
        ("agent_c", "agent_b", False), ("agent_a", "agent_a", False), ("agent_a", "agent_a", True),
        ("agent_b", "agent_a", True), ("agent_c", "agent_b", True)]
    assert a["tally"] == {"agent_a": 2, "agent_b": 1} and a["tie"] is False
    assert a["tally_source"] == "final_presentation_start"
    assert {g["id"]: g["voted_for"] for g in a["agents"]} == {
        "agent_a": "agent_a", "agent_b": "agent_a", "agent_c": "agent_b"}


def test_the_human_summary_shows_final_votes_and_superseded_ones_on_request(cli, tmp_path):
    session = run_revoted(tmp_path)
    human = cli("logs", "summary", str(session), env={"COLUMNS": "100"}).stdout
    assert "Tally       agent_a 2, agent_b 1" in human
    assert "Winner      agent_a (2 of 3 final votes)" in human
    assert "Final votes" in human and "superseded" not in human.split("Final votes")[1].split(
        "\n\n")[0].replace("2 superseded votes not shown", "")
    assert "2 superseded votes not shown (--all-votes shows them)" in human
    every = cli("logs", "summary", str(session), "--all-votes", env={"COLUMNS": "100"}).stdout
    assert every.count("superseded") == 2


def test_a_tie_is_counted_from_the_final_votes_when_massgen_wrote_no_tally(cli, tmp_path):
    session = run_interrupted_in_coordination(tmp_path)
    attempt = session / "turn_1" / "attempt_1"
    with (attempt / "events.jsonl").open("a") as fh:
        for voter, target in (("agent_a", "agent_a"), ("agent_b", "agent_b")):
            fh.write(json.dumps({"timestamp": "2026-01-01T12:00:09", "event_type": "vote",
                                 "agent_id": voter, "round_number": 1,
                                 "data": {"target_id": target, "reason": "mine"}}) + "\n")
    a = last(cli, session)
    assert a["tally"] == {"agent_a": 1, "agent_b": 1} and a["tie"] is True
    assert a["tally_source"] == "votes"
    human = cli("logs", "summary", str(session), env={"COLUMNS": "200"}).stdout
    assert "a tie between agent_a, agent_b: MassGen breaks it by config order" in human
    assert "Errors" not in human, "a Ctrl-C is no error: the outcome says interrupted"


def test_a_continued_session_is_one_row_and_one_summary_of_every_turn(cli, tmp_path):
    base = tmp_path / "logs"
    write_run(base, "log_20260101_090000_000000", question="Unrelated")
    first, second, third = run_continued(
        base, ("log_20260108_120000_000000", "log_20260108_120500_000000",
               "log_20260108_121000_000000"))
    write_run(base, "log_20260109_090000_000000", question="Later")
    rows = listed(cli, base)
    assert [r["name"] for r in rows] == ["log_20260109_090000_000000", third.name,
                                         "log_20260101_090000_000000"]
    row = rows[1]
    assert row["turns"] == 3 and row["session_id"] == "session_20260108_120000"
    assert row["log_dirs"] == [first.name, second.name, third.name]
    assert row["question"] == "Continued (turn 3)" and row["outcome"] == "completed"
    assert row["input_tokens"] == 9000 and row["started"] == "2026-01-08 12:00:00"
    for any_dir in (first, second, third):
        data = summary(cli, any_dir)
        assert data["session_id"] == "session_20260108_120000"
        assert data["log_dirs"] == [str(first), str(second), str(third)]
        assert [(a["turn"], a["outcome"]) for a in data["attempts"]] == [
            (1, "completed"), (2, "completed"), (3, "completed")]
        assert {a["session_id"] for a in data["attempts"]} == {"session_20260108_120000"}
    two = summary(cli, second)["attempts"][1]
    assert two["errors"] == [], "the exit-1 bug after a --continue turn is no error"
    assert two["outcome_evidence"][-1].startswith("failure_stage system_exit (error 1) after the "
                                                  "turn had finished")
    limited = listed(cli, base, "--limit", "2")
    assert [r["turns"] for r in limited] == [1, 3]
    human = cli("logs", "summary", str(second), env={"COLUMNS": "100"}).stdout
    assert "session_20260108_120000: 3 turns in 3 log dirs" in human
    for n in (1, 2, 3):
        assert f"Continued (turn {n})" in human


def test_a_continued_session_whose_first_log_names_no_session(cli, tmp_path):
    base = tmp_path / "logs"
    first, second = run_continued(base)
    (first / "turn_1" / "attempt_1" / "massgen.log").write_text("12:00:00 | INFO | started\n")
    rows = listed(cli, base)
    assert len(rows) == 1 and rows[0]["log_dirs"] == [first.name, second.name]
    assert [a["turn"] for a in summary(cli, first)["attempts"]] == [1, 2]


def test_an_unpriced_model_costs_unknown_not_zero(cli, tmp_path):
    base = tmp_path / "logs"
    run_unpriced(base)
    write_run(base, "log_20260101_090000_000000", question="Priced")
    a = last(cli, base / "log_20260111_120000_000000")
    assert a["cost"] is None and a["massgen_cost"] == 0.0
    assert a["cost_note"] == ("MassGen logged 'No pricing found' for ChatCompletion/fake-alpha, "
                              "ChatCompletion/fake-beta")
    assert [g["cost"] for g in a["agents"]] == [None, None]
    rows = listed(cli, base)
    assert [r["cost"] for r in rows] == [None, pytest.approx(0.003)]
    assert rows[0]["cost_note"]
    table = cli("logs", "list", "--logs-dir", str(base), env={"COLUMNS": "80"}).stdout
    assert "unknown" in table and "$0.00 " not in table
    human = cli("logs", "summary", str(base / "log_20260111_120000_000000")).stdout
    assert "Cost        unknown (MassGen logged 'No pricing found' for" in human


def test_logs_list_shows_each_outcome(cli, tmp_path):
    base = tmp_path / "logs"
    for make in (write_run, run_interrupted_in_coordination, run_interrupted_in_presentation,
                 run_killed, run_timed_out, run_failed_at_startup):
        make(base)
    rows = listed(cli, base)
    assert [r["outcome"] for r in rows] == ["failed", "timed_out", "incomplete", "interrupted",
                                            "interrupted", "completed"]
    assert all(r["outcome_evidence"] for r in rows)
    table = cli("logs", "list", "--logs-dir", str(base), env={"COLUMNS": "80"}).stdout
    for word in ("failed", "timed out", "incomplete", "interrupted", "completed"):
        assert word in table


@needs_shared
@pytest.mark.parametrize("run, tally", [("run_a_two_agents", {"agent_a": 2}),
                                        ("run_b_three_agents_long", {"agent_a": 2, "agent_b": 1}),
                                        ("run_h_tools", {"agent_a": 2})])
def test_the_real_runs(cli, run, tally):
    data = summary(cli, next((RUNS / run).glob("log_*")))
    a = data["attempts"][-1]
    assert a["outcome"] == "completed" and a["tally"] == tally and not a["tie"]
    assert a["outcome_evidence"] == ["status.json: finish_reason completed, winner agent_a",
                                     "answer_locked event"]
    assert data["session_id"] == "session_" + data["session"].rsplit("log_", 1)[1][:15]
    # Every real run used models MassGen has no price for (fake-alpha, ...): unknown, not $0.
    assert a["cost"] is None and "No pricing found" in a["cost_note"]
    if run == "run_b_three_agents_long":
        assert sum(1 for v in a["votes"] if v["final"]) == 3 and len(a["votes"]) == 5


def test_evidence_quotes_run_files_short_and_masked(cli, tmp_path):
    from tests.synthetic_runs import SECRET, write_metadata

    session = run_failed_at_startup(tmp_path)
    write_metadata(session / "turn_1" / "attempt_1", "Q", failure_stage="execution_error",
                   failure_error=f"{'x' * 190} {SECRET} and more " + "y" * 5000)
    result = cli("logs", "summary", str(session), "--json")
    assert SECRET not in result.stdout
    evidence = json.loads(result.stdout)["attempts"][0]["outcome_evidence"][0]
    assert len(evidence) < 300 and evidence.endswith("…)")
