"""Damaged runs: each problem is one warning naming the file, and the rest is still shown."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import no_traceback
from tests.synthetic_runs import write_run


@pytest.fixture
def run(home):
    base = home / "logs"
    return write_run(base, stream_events=20)


def attempt(run):
    return run / "turn_1" / "attempt_1"


def summary(cli, run):
    result = cli("logs", "summary", str(run), "--json")
    assert result.returncode == 0 and no_traceback(result), result.stderr
    return json.loads(result.stdout)["attempts"][-1], result.stderr.splitlines()


def test_truncated_json_is_skipped_and_the_rest_still_read(cli, run):
    status = attempt(run) / "status.json"
    status.write_text(status.read_text()[:50])
    data, warnings = summary(cli, run)
    assert warnings == [f"massgen-plugins: warning: {status}: invalid JSON at line 1 column 32 "
                        "(Unterminated string starting at); skipped (truncated by a crash?)"]
    assert data["winner"] == "agent_a" and data["tokens"]["input"] == 3000  # from metrics


def test_wrong_types_are_ignored_with_a_warning(cli, run):
    metrics = attempt(run) / "metrics_summary.json"
    data = json.loads(metrics.read_text())
    data["totals"]["input_tokens"] = "lots"
    data["tools"]["by_tool"]["calc"] = "broken"
    metrics.write_text(json.dumps(data))
    result, warnings = summary(cli, run)
    assert (f"massgen-plugins: warning: {metrics}: input_tokens is 'lots', expected a number; "
            "ignored") in warnings
    assert f"massgen-plugins: warning: {metrics}: tools.by_tool.calc is not an object; skipped" in warnings
    assert result["tokens"]["input"] == 3000  # status.json's total stands in
    assert [t["name"] for t in result["tools"]["by_tool"]] == ["search"]


def test_binary_and_non_object_files(cli, run):
    (attempt(run) / "metrics_summary.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    (attempt(run) / "status.json").write_text("[1, 2]")
    result, warnings = summary(cli, run)
    assert any("metrics_summary.json: is not UTF-8 text (binary?); skipped" in w for w in warnings)
    assert any("status.json: holds list, not an object; skipped" in w for w in warnings)
    assert result["question"] == "What is 2+2? (turn 1)"  # from execution_metadata.yaml


def test_unreadable_file_and_symlink_loop(cli, run):
    status = attempt(run) / "status.json"
    status.unlink()
    status.mkdir()  # a directory where a file should be: unreadable as a file, even for root
    loop = attempt(run) / "agent_c"
    os.symlink(loop, loop)
    vote = attempt(run) / "metrics_summary.json"
    vote.unlink()
    os.symlink(vote, vote)
    result, warnings = summary(cli, run)
    assert any(f"{status}: cannot read (is a directory, not a file); skipped" in w for w in warnings)
    assert any(str(vote) in w and "cannot read" in w for w in warnings)
    assert result["winner"] == "agent_a"


def test_invalid_event_lines_are_counted_once(run):
    from massgen_plugins.logs.events_file import read_events
    from massgen_plugins.logs.files import Warnings

    events = attempt(run) / "events.jsonl"
    with events.open("a") as fh:
        fh.write('{"timestamp": "2026-01-01T12:00:13", "event_type": "te')  # truncated by a crash
    lines = events.read_text().splitlines()
    lines.insert(3, "not json")
    lines.insert(4, '{"event_type": 5}')
    events.write_text("\n".join(lines))
    warn = Warnings()
    got = list(read_events(events, warn))
    assert len(got) == len(lines) - 3
    assert list(warn) == [f"{events}: skipped 3 lines that are not events (first at line 4)"]


def test_huge_events_file_without_newlines_is_not_loaded(cli, run):
    events = attempt(run) / "events.jsonl"
    with events.open("r+b") as fh:
        fh.truncate(1024 * 1024 * 1024)  # 1 GB, sparse: no disk, and not one newline in it
    result, _ = summary(cli, run)
    assert result["events_bytes"] == 1024 ** 3 and result["winner"] == "agent_a"


def test_huge_line_in_events_is_skipped(tmp_path):
    from massgen_plugins.logs.events_file import MAX_LINE, read_events
    from massgen_plugins.logs.files import Warnings

    events = tmp_path / "events.jsonl"
    good = '{"timestamp": "t", "event_type": "text", "agent_id": "a", "round_number": 0, "data": {}}\n'
    with events.open("w") as fh:
        fh.write(good)
        fh.write("x" * (MAX_LINE + 10) + "\n")
        fh.write(good)
    warn = Warnings()
    assert len(list(read_events(events, warn))) == 2
    assert list(warn) == [f"{events}: skipped 0 lines that are not events and 1 longer than "
                          "16 MB (first at line 2)"]


def test_startup_failure_run_with_only_three_files(cli, home):
    a = home / "logs" / "log_20260101_000000_000000" / "turn_1" / "attempt_1"
    a.mkdir(parents=True)
    (a / "events.jsonl").write_text("")
    (a / "massgen.log").write_text("00:00:01 | ERROR    | Backend failed: no API key\n")
    (a / "execution_metadata.yaml").write_text(
        "query: hi\ncli_args:\n  failure_stage: startup\n  failure_error: no API key\n")
    data, _warnings = summary(cli, a.parent.parent)
    assert data["question"] == "hi" and data["winner"] is None
    assert data["errors"] == ["failed during startup: no API key",
                              "massgen.log: Backend failed: no API key"]
    listing = cli("logs", "list", "--logs-dir", str(home / "logs"))
    assert listing.returncode == 0 and "20260101_000000  hi" in listing.stdout
    assert "failed" in listing.stdout


def test_empty_and_missing_dirs(cli, home):
    empty = home / "empty"
    empty.mkdir()
    result = cli("logs", "list", "--logs-dir", str(empty))
    assert result.returncode == 0 and "No runs in" in result.stdout
    result = cli("logs", "summary", "--logs-dir", str(empty))
    assert result.returncode == 2 and no_traceback(result)
    assert result.stderr.startswith(f"massgen-plugins: error: {empty}: holds no MassGen runs")
    result = cli("logs", "list", "--logs-dir", str(home / "missing"))
    assert result.returncode == 2 and "no such log directory" in result.stderr
    session = empty / "log_20260101_000000_000000"
    session.mkdir()
    result = cli("logs", "summary", str(session))
    assert result.returncode == 0 and no_traceback(result)
    assert "holds no turn_N directories" in result.stderr
