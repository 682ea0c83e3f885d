"""`massgen-plugins compaction eval`, the whole path, with the real openai SDK against the emulator.

The emulator answers the recall questions from the context each request carries (its compaction
items stand for what they replaced), so the scores here come from what each method kept.
MassGen's summarization runs where MassGen is installed (tests/massgen/); in this environment
it is said to be missing, in one line, and only the compact method runs.
"""

from __future__ import annotations

import json
import shutil
from importlib.machinery import PathFinder
from pathlib import Path

import pytest

from massgen_plugins.testing.recall import RecallResponder
from tests.conftest import SHARED, no_traceback

MASSGEN = PathFinder.find_spec("massgen") is not None
PAID = ("/v1/responses", "/v1/responses/compact")


@pytest.fixture
def emu(massgen_emulator):
    massgen_emulator.responder = RecallResponder(massgen_emulator)
    return massgen_emulator


@pytest.fixture
def env(emu):
    return {"OPENAI_BASE_URL": emu.base_url("openai"),
            "OPENAI_API_KEY": "sk-test-eval-0000000000000001"}


def paid(emu) -> list[str]:
    return [r.path for r in emu.requests if r.method == "POST" and r.path in PAID]


def test_a_dry_run_prints_the_plan_and_sends_nothing(cli, emu, env, home):
    result = cli("compaction", "eval", "--task", "bundled", "--dry-run",
                 env={**env, "OPENAI_API_KEY": ""})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for line in ("Conversation the bundled long task", "Tokens ", "openai-compact",
                 "Recall       12 questions (planted in the task), scored by exact match",
                 "Cost         $", "Dry run: nothing was sent"):
        assert line in out
    assert "missing: no API key for openai" in out
    assert emu.requests == []
    assert not list((home / "work").glob("COMPACTION_EVAL*"))


def test_max_cost_refuses_before_any_paid_call(cli, emu, env, home):
    result = cli("compaction", "eval", "--task", "bundled", "--yes", "--max-cost", "0.000001",
                 env=env)
    assert result.returncode == 2
    assert no_traceback(result)
    errors = [x for x in result.stderr.splitlines() if "error" in x]
    assert len(errors) == 1 and "above --max-cost $0.0000" in errors[0]
    assert "Tokens" in result.stdout  # the plan came first
    assert paid(emu) == []
    assert not list((home / "work").glob("COMPACTION_EVAL*"))


def test_the_bundled_task_gives_a_table_a_report_and_labels_the_emulator(cli, emu, env, home):
    result = cli("compaction", "eval", "--task", "bundled", "--yes", env={**env, "COLUMNS": "160"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Compaction evaluation (MassGen emulator figures, not OpenAI's)" in out
    rows = {line.split()[0]: line for line in out.splitlines()
            if line.startswith(("openai-compact ", "full context ", "massgen-summarization "))}
    # The emulator's compaction loses nothing: every planted fact comes back.
    assert rows["openai-compact"].rstrip().endswith("12/12")
    assert rows["full"].rstrip().endswith("12/12")
    assert "/responses/compact" in [r.path.removeprefix("/v1") for r in emu.requests]
    report = home / "work" / "COMPACTION_EVAL.bundled.md"
    text = report.read_text(encoding="utf-8")
    assert "**Emulator figures.**" in text
    assert "| openai-compact |" in text and "12/12" in text
    assert "sk-test-eval" not in out + result.stderr + text
    if not MASSGEN:
        assert "MassGen is not installed here" in result.stderr
        assert "massgen-summarization: skipped: MassGen is not installed here" in text
    else:
        # MassGen's own summarizer ran, on the emulator, and its summary is in the report.
        assert "## MassGen's summary" in text and "EMU-SUMMARY" in text
        assert "massgen-summarization" in rows and "/12" in rows["massgen-summarization"]
    # A second run does not overwrite the report without --force.
    again = cli("compaction", "eval", "--task", "bundled", "--yes", env=env)
    assert again.returncode == 2 and "--force" in again.stderr and no_traceback(again)
    assert report.read_text(encoding="utf-8") == text


def test_json_gives_the_figures_from_the_api(cli, emu, env, home):
    result = cli("compaction", "eval", "--task", "bundled", "--yes", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["emulator"] is True
    assert "the emulator's figures, not OpenAI's" in data["figures_from"]
    methods = {m["method"]: m for m in data["methods"]}
    compact = methods["openai-compact"]
    before = data["plan"]["input_tokens"]
    assert data["plan"]["count_exact"] is True
    assert compact["tokens_before"] == before == compact["call_input_tokens"]
    assert 0 < compact["tokens_after"] < before
    assert compact["cost_usd"] > 0 and compact["latency_s"] >= 0
    assert compact["recall"]["correct"] == compact["recall"]["asked"] == 12
    assert methods["full context"]["tokens_after"] == before
    assert Path(data["report"]).is_file()
    assert data["spent_usd"] > 0


@pytest.mark.skipif(not (SHARED / "massgen-logs").is_dir(), reason="no ../shared")
def test_a_real_run_from_shared(cli, emu, env, home):
    logs = home / "logs"
    run = next((SHARED / "massgen-logs" / "run_b_three_agents_long").glob("log_*"))
    copy = Path(shutil.copytree(run, logs / run.name))
    for path in [copy, *copy.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    result = cli("compaction", "eval", "--logs-dir", str(logs), "--yes", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["plan"]["conversation"].startswith("agent_b, turn_1/attempt_1")
    assert "rebuilt from agent_b/" in data["plan"]["built_from"]
    compact = next(m for m in data["methods"] if m["method"] == "openai-compact")
    assert compact["error"] is None and compact["recall"]["asked"] >= 1
    report = copy / "turn_1" / "COMPACTION_EVAL.agent_b.md"
    assert report.is_file() and "**Emulator figures.**" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "says"), [
    (["--task", "bundled", "--model", "anthropic/claude-sonnet-4-6"], "--model anthropic/"),
    (["--task", "bundled", "--judge", "openai"], "--judge openai: name a model too"),
    (["--task", "bundled", "--agent", "agent_a"], "--task bundled takes no LOG_DIR"),
    (["no_such_run", "--logs-dir", "."], "no_such_run"),
])
def test_bad_input_is_one_line_and_nothing_is_paid_for(cli, emu, env, args, says):
    result = cli("compaction", "eval", "--yes", *args, env=env)
    assert result.returncode != 0
    assert no_traceback(result)
    errors = [x for x in result.stderr.splitlines() if x.startswith(("massgen-plugins: error", "Error"))]
    assert len(errors) == 1 and says in errors[0], result.stderr
    assert paid(emu) == []

