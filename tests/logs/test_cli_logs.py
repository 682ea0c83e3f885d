"""`massgen-plugins logs list | summary | tools` as a user runs them."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SHARED, no_traceback
from tests.synthetic_runs import SECRET, write_run


@pytest.fixture
def base(home):
    base = home / "logs"
    write_run(base, "log_20260101_090000_000000", question="Old question")
    write_run(base, "log_20260102_090000_000000", turns=2, question="New question")
    (base / "log_20260101_090000_000000" / "turn_1" / "attempt_1" / "ANALYSIS_REPORT.md").write_text("x")
    return base


def run_json(cli, *args, env=None):
    result = cli(*args, "--json", env=env)
    assert result.returncode == 0 and no_traceback(result), result.stderr
    return json.loads(result.stdout)


def test_list_newest_first_with_filters_and_limit(cli, base):
    runs = run_json(cli, "logs", "list", "--logs-dir", str(base))["runs"]
    assert [r["name"] for r in runs] == ["log_20260102_090000_000000", "log_20260101_090000_000000"]
    new = runs[0]
    assert new["question"] == "New question (turn 2)" and new["turns"] == 2
    assert new["agents"] == ["agent_a", "agent_b"] and new["winner"] == "agent_a"
    assert new["input_tokens"] == 6000 and new["cost"] == pytest.approx(0.006)
    assert new["started"] == "2026-01-02 09:00:00"
    analyzed = run_json(cli, "logs", "list", "--analyzed", "--logs-dir", str(base))["runs"]
    assert [r["name"] for r in analyzed] == ["log_20260101_090000_000000"]
    fresh = run_json(cli, "logs", "list", "--unanalyzed", "--logs-dir", str(base))["runs"]
    assert [r["name"] for r in fresh] == ["log_20260102_090000_000000"]
    assert len(run_json(cli, "logs", "list", "--limit", "1", "--logs-dir", str(base))["runs"]) == 1


def test_logs_base_from_env_and_from_cwd(cli, base, home):
    runs = run_json(cli, "logs", "list", env={"MASSGEN_LOG_BASE_DIR": str(base)})["runs"]
    assert len(runs) == 2
    local = home / "work" / ".massgen" / "massgen_logs"
    write_run(local, "log_20300101_000000_000000")
    assert [r["name"] for r in run_json(cli, "logs", "list")["runs"]] == [
        "log_20300101_000000_000000"]


def test_summary_of_latest_turn_and_attempt(cli, base):
    data = run_json(cli, "logs", "summary", "--logs-dir", str(base))
    assert [a["turn"] for a in data["attempts"]] == [1, 2]
    turn = base / "log_20260102_090000_000000" / "turn_2"
    data = run_json(cli, "logs", "summary", str(turn))
    assert [a["turn"] for a in data["attempts"]] == [2]
    a = data["attempts"][0]
    assert a["rounds"]["by_outcome"]["vote"] == 2 and a["tools"]["calls"] == 3
    assert a["votes"] == [
        {"voter": "agent_a", "target": "agent_a", "reason": "most complete", "final": True},
        {"voter": "agent_b", "target": "agent_a", "reason": "most complete", "final": True}]
    assert a["final_answer"] == "The answer is 4."
    human = cli("logs", "summary", str(turn / "attempt_1"))
    for text in ("New question (turn 2)", "agent_a", "3,000 in", "Agents", "search"):
        assert text in human.stdout


def test_tools_sorted_by_time_or_calls(cli, base):
    run = str(base / "log_20260101_090000_000000")
    by_time = run_json(cli, "logs", "tools", run)["tools"]
    assert [(t["name"], t["calls"], t["failures"]) for t in by_time] == [
        ("search", 2, 1), ("calc", 1, 0)]
    calc = run_json(cli, "logs", "tools", run, "--sort", "calls")["tools"]
    assert calc[0]["name"] == "search" and calc[0]["avg_ms"] == 12.5


def test_secrets_never_reach_json_output(cli, base):
    session = base / "log_20260102_090000_000000"
    out = session / "turn_1" / "attempt_1" / "agent_outputs" / "agent_a.txt"
    out.write_text(f"I found the key {SECRET} in the env\n")
    final = session / "turn_1" / "attempt_1" / "final" / "agent_a" / "answer.txt"
    final.write_text("use api_key: hunter2-secret-value")
    result = cli("logs", "summary", str(session), "--json")
    assert SECRET not in result.stdout and "hunter2-secret-value" not in result.stdout
    assert "api_key: ****alue" in result.stdout


@pytest.mark.skipif(not (SHARED / "massgen-logs").is_dir(), reason="needs ../shared")
def test_commands_on_the_reference_runs(cli):
    base = SHARED / "massgen-logs" / "run_h_tools"
    data = run_json(cli, "logs", "tools", "--logs-dir", str(base))
    assert data["tools"] == [{"name": "custom_tool__list_background_tools", "type": "custom",
                              "calls": 2, "failures": 0, "total_ms": 13.77, "avg_ms": 6.885}]
    listing = cli("logs", "list", "--logs-dir", str(base), env={"COLUMNS": "200"})
    assert "List the background tools" in listing.stdout and listing.stderr == ""
