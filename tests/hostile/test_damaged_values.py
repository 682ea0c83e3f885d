"""Every value of every run file replaced by a hostile one: a warning at most, never a traceback."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from massgen_plugins.cli.logs import render_summary, run_row
from massgen_plugins.logs.context import build_context
from massgen_plugins.logs.model import attempt_json
from massgen_plugins.logs.reader import read_session
from tests.conftest import no_traceback
from tests.synthetic_runs import write_run

HUGE, DEEP = "9" * 5000, "[" * 100_000 + "]" * 100_000
# Written into the JSON text as they are: NaN, Infinity and 5,000 digits are not Python values.
RAW = {"NaN": "NaN", "-Infinity": "-Infinity", "1e400": "1e400", "huge": HUGE, "deep": DEEP,
       "2**64": str(2**64)}
# One of each kind a reader must survive where it expects another: null, a string, containers,
# and the raw numbers above. (Hostile text is fed to every command in test_commands.py.)
VALUES = [None, "x", [], {"a": {"b": 1}}, *RAW]
JSON_FILES = ["status.json", "metrics_summary.json", "snapshot_mappings.json",
              "massgen_plugins/compressions.jsonl"]


def paths(data, prefix=()):
    """Every key path in `data`, parents before children."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths(value, (*prefix, index))


def replaced(data, path, value):
    if not path:
        return value
    copy = json.loads(json.dumps(data))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy


def dumps(data):
    text = json.dumps(data)
    for name, raw in RAW.items():
        text = text.replace(json.dumps(name), raw)
    return text


def everything_a_user_sees(session_path: Path) -> None:
    session = read_session(session_path)
    json.dumps(run_row(session), allow_nan=False)
    for attempt in session.attempts:
        json.dumps(attempt_json(attempt), allow_nan=False, default=str)
        build_context(attempt, 3000)
    render_summary(session, session.attempts)


def test_every_value_of_every_json_file(home, monkeypatch):
    import rich.console

    run = write_run(home / "logs", stream_events=3)
    attempt = run / "turn_1" / "attempt_1"
    status = json.loads((attempt / "status.json").read_text())
    status["agents"]["agent_b"].update(  # the shapes of a run whose agent failed (run_c)
        error={"type": "api_error", "message": "boom", "timestamp": 1767268801.0},
        reliability={"enforcement_attempts": [{"round": 1, "reason": "api_error",
                                               "error_message": "HTTP 500"}]})
    (attempt / "status.json").write_text(json.dumps(status))
    (attempt / "massgen_plugins").mkdir()
    (attempt / "massgen_plugins" / "compressions.jsonl").write_text(json.dumps(
        {"time": 1767268805.0, "agent": "agent_a", "method": "openai-compact", "ok": True,
         "items_before": 40, "items_after": 3, "tokens_before": 9000, "tokens_after": 700,
         "cost_usd": 0.01, "latency_s": 1.5, "note": ""}) + "\n")
    monkeypatch.setattr(rich.console, "Console", lambda **_: Console(file=io.StringIO()))
    files = JSON_FILES + [str(p.relative_to(attempt)) for p in attempt.glob("agent_*/*/vote.json")]
    failures, cases = [], 0
    for name in files:
        file = attempt / name
        original = file.read_text()
        data = json.loads(original.splitlines()[0])
        for path in list(paths(data)):
            for value in VALUES:
                cases += 1
                file.write_text(dumps(replaced(data, path, value)))
                try:
                    everything_a_user_sees(run)
                except Exception as exc:  # every failure is collected
                    failures.append(f"{name} {path} = {str(value)[:20]!r}: {type(exc).__name__}: "
                                    f"{str(exc)[:120]}")
        file.write_text(original)
    assert cases > 1000
    assert failures == []


def test_a_damaged_run_costs_no_other_run_in_logs_list(cli, home):
    base = home / "logs"
    write_run(base, "log_20260101_000000_000000", question="First good run")
    bad = write_run(base, "log_20260102_000000_000000", question="Damaged run")
    write_run(base, "log_20260103_000000_000000", question="Last good run")
    attempt = bad / "turn_1" / "attempt_1"
    (attempt / "status.json").write_text('{"meta": {"elapsed_seconds": NaN, "start_time": 1e400},'
                                         ' "agents": ' + DEEP + "}")
    (attempt / "metrics_summary.json").write_text('{"totals": {"input_tokens": ' + HUGE + "}}")
    result = cli("logs", "list", "--logs-dir", str(base), env={"COLUMNS": "200"})
    assert result.returncode == 0 and no_traceback(result), result.stderr
    for question in ("First good run", "Damaged run", "Last good run"):
        assert question in result.stdout
    assert result.stderr.splitlines() == [
        f"massgen-plugins: warning: {attempt / 'status.json'}: is nested deeper than 100 levels; "
        "skipped",
        f"massgen-plugins: warning: {attempt / 'metrics_summary.json'}: 1 value that is NaN, "
        "infinite or past 64 bits read as null"]
