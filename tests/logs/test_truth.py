"""What a summary and a listing say about a run is what its files say, and unknown where
they do not: stopped runs, restarts, start-up failures, labels, models, compressions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from massgen_plugins.logs.files import Warnings
from massgen_plugins.logs.reader import read_session
from tests.synthetic_runs import (
    Events,
    _coordination,
    run_compressed,
    run_failed_at_startup,
    run_killed,
    run_restarted,
    write_json,
    write_run,
)

ATTEMPT = Path("turn_1") / "attempt_1"


def _killed_before_counting(base: Path) -> Path:
    """Killed in the first round: both agents streamed, status.json counted nothing yet."""
    run = run_killed(base)
    status = json.loads((run / ATTEMPT / "status.json").read_text())
    status["costs"] = {"total_estimated_cost": 0.0, "total_input_tokens": 0,
                       "total_output_tokens": 0}
    for agent in status["agents"].values():
        agent["token_usage"] = {"input_tokens": 0, "output_tokens": 0, "reasoning_tokens": 0,
                                "cached_input_tokens": 0, "estimated_cost": 0.0}
    write_json(run / ATTEMPT / "status.json", status)
    return run


def test_tokens_streamed_but_never_counted_are_unknown_not_zero(cli, home):
    run = _killed_before_counting(home / "logs")
    data = json.loads(cli("logs", "summary", "--json", str(run)).stdout)["attempts"][0]
    assert data["cost"] is None and data["tokens"]["input"] is None
    assert "MassGen recorded no tokens for agent_a, agent_b" in data["cost_note"]
    for agent in data["agents"]:
        assert agent["tokens"] == {"input": None, "output": None, "reasoning": None,
                                   "cached": None} and agent["cost"] is None
    row = json.loads(cli("logs", "list", "--json", "--logs-dir", str(run.parent)).stdout)
    assert row["runs"][0]["cost"] is None and row["runs"][0]["input_tokens"] is None
    human = cli("logs", "summary", str(run)).stdout
    assert "$0.00" not in human and "unknown" in human


def test_no_metrics_file_is_unknown_api_calls_not_zero(cli, home):
    run = run_killed(home / "logs")
    data = json.loads(cli("logs", "summary", "--json", str(run)).stdout)["attempts"][0]
    assert data["api_timing"]["calls"] is None and data["api_timing"]["total_ms"] is None
    assert "API         unknown" in cli("logs", "summary", str(run)).stdout


def test_a_restarted_runs_first_attempt_is_read_from_its_events_not_the_reset_status(home):
    run = run_restarted(home / "logs")
    first = read_session(run, Warnings()).turns[0].attempts[0]
    # Its events run from 12:00:00.1 on, one every 0.1 s; the reset status.json says 0.0 s.
    assert first.duration_s is not None and first.duration_s > 1.5
    assert first.start_time.startswith("2026-01-01T12:00:00")
    assert {g.agent_id for g in first.agents} == {"agent_a", "agent_b"}


def test_restarts_of_a_reset_attempt_come_from_its_events(home):
    run = run_restarted(home / "logs")
    ev = Events()
    _coordination(ev, ("agent_a", "agent_b"))
    ev.add("agent_restart", "agent_b", 1, restart_round=1, restart_reason="new answer")
    ev.add("agent_restart", "agent_b", 2, restart_round=2, restart_reason="new answer")
    ev.add("restart_banner", None, 2, reason="again", attempt=2, max_attempts=3)
    ev.write(run / ATTEMPT / "events.jsonl")
    first = read_session(run, Warnings()).turns[0].attempts[0]
    assert {g.agent_id: g.restarts for g in first.agents} == {"agent_a": 0, "agent_b": 2}


def test_a_run_that_failed_at_start_up_lists_the_agents_its_config_names(cli, home):
    run = run_failed_at_startup(home / "logs")
    data = json.loads(cli("logs", "summary", "--json", str(run)).stdout)["attempts"][0]
    assert [(g["id"], g["end_state"], g["model"]) for g in data["agents"]] == [
        ("agent_a", "not_started", "gpt-5 (openai)"), ("agent_b", "not_started", "gpt-5 (openai)")]
    row = json.loads(cli("logs", "list", "--json", "--logs-dir", str(run.parent)).stdout)
    assert row["runs"][0]["agents"] == ["agent_a", "agent_b"]


def test_answer_labels_are_massgens_without_snapshot_mappings(home):
    run = write_run(home / "logs")
    (run / ATTEMPT / "snapshot_mappings.json").unlink()
    answers = read_session(run, Warnings()).latest.answers
    assert [(a.agent_id, a.label) for a in answers] == [("agent_a", "agent1.1"),
                                                       ("agent_b", "agent2.1")]


def test_each_agents_model_and_the_final_answers_file_are_reported(cli, home):
    run = write_run(home / "logs")
    data = json.loads(cli("logs", "summary", "--json", str(run)).stdout)["attempts"][0]
    assert {g["id"]: g["model"] for g in data["agents"]} == {"agent_a": "gpt-5 (openai)",
                                                             "agent_b": "gpt-5 (openai)"}
    assert data["final_answer_path"] == str(run / ATTEMPT / "final" / "agent_a" / "answer.txt")
    human = cli("logs", "summary", str(run), env={"COLUMNS": "200"}).stdout
    assert "gpt-5 (openai)" in human and "final/agent_a/answer.txt" in human
    # At 80 columns the file is still whole: named from the attempt's folder, not cut short.
    narrow = cli("logs", "summary", str(run), env={"COLUMNS": "80"}).stdout
    assert [line.split() for line in narrow.splitlines() if line.startswith("Final  ")] == [
        ["Final", "final/agent_a/answer.txt"]]


def test_a_compression_massgen_log_names_an_agent_for_is_that_agents(home):
    run = run_compressed(home / "logs")
    log = run / ATTEMPT / "massgen.log"
    first = log.read_text().splitlines(keepends=True)
    stamp = first[1][:8]
    first.insert(1, f"{stamp} | INFO     | 🔄 Attempting algorithmic compression for agent_b "
                    "(9,000 → 4,000 tokens)\n")
    log.write_text("".join(first))
    compressions = read_session(run, Warnings()).latest.compressions
    assert compressions[0].agent == "agent_b"
    assert compressions[0].source == "MassGen compression_debug"


def test_list_analyzed_with_nothing_analyzed_says_so_and_counts_the_runs(cli, home):
    base = home / "logs"
    write_run(base)
    write_run(base, "log_20260102_120000_000000")
    result = cli("logs", "list", "--analyzed", "--logs-dir", str(base))
    assert result.returncode == 0
    assert result.stdout == f"No analyzed runs in {base} (it holds 2 runs).\n"
    shutil.rmtree(base / "log_20260102_120000_000000")
    (base / "log_20260101_120000_000000" / "ANALYSIS_REPORT.md").write_text("# r\n")
    result = cli("logs", "list", "--unanalyzed", "--logs-dir", str(base))
    assert result.stdout == f"No unanalyzed runs in {base} (it holds 1 run).\n"


def test_labels_without_mappings_match_massgens_own_in_real_runs(tmp_path):
    import pytest

    from tests.conftest import SHARED

    if not (SHARED / "massgen-logs").is_dir():
        pytest.skip("needs ../shared")
    for name in ("run_a_two_agents", "run_b_three_agents_long", "run_h_tools"):
        shutil.copytree(SHARED / "massgen-logs" / name, tmp_path / name)
        run = next((tmp_path / name).glob("log_*"))
        mapped = [(a.agent_id, a.label) for a in read_session(run, Warnings()).latest.answers]
        mappings = run / ATTEMPT / "snapshot_mappings.json"
        mappings.chmod(0o644)
        mappings.unlink()
        assert [(a.agent_id, a.label)
                for a in read_session(run, Warnings()).latest.answers] == mapped, name
