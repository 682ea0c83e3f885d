"""`massgen logs` in the real MassGen, with the bridge: --model, --compare, --mode report, models.

Each `massgen` process imports all of MassGen (about 20 s), so each command runs once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED
from tests.synthetic_runs import write_run

KEY = "sk-ant-test-massgen-logs-000000000"


@pytest.fixture
def workdir(home):
    """A working folder whose .massgen/massgen_logs holds one real run (MassGen's default)."""
    base = home / "work" / ".massgen" / "massgen_logs"
    reference = SHARED / "massgen-logs" / "run_a_two_agents"
    if reference.is_dir():
        source = next(reference.glob("log_*"))
        shutil.copytree(source, base / source.name)
    else:
        write_run(base)
    return home / "work"


def massgen(workdir, *args, env=None):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("MASSGEN", "ANTHROPIC",
                                                                      "OPENAI", "GEMINI",
                                                                      "GOOGLE"))}
    full.update(HOME=str(workdir.parent / "home"), LITELLM_LOCAL_MODEL_COST_MAP="True",
                **(env or {}))
    done = subprocess.run([str(Path(sys.executable).parent / "massgen"), "logs", *args],
                          capture_output=True, text=True, cwd=workdir, env=full, timeout=300)
    noise = ("Warning", "from authlib", "open_text", "It will be compatible", "warnings.warn")
    done.stderr = "\n".join(line for line in done.stderr.splitlines()
                            if not any(n in line for n in noise))
    return done


def test_report_mode_writes_where_massgens_list_finds_it(real_massgen, workdir, massgen_emulator):
    massgen_emulator.reply("## Summary\nagent_a won, two votes to none.", provider="anthropic")
    env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": massgen_emulator.base_url("anthropic")}
    done = massgen(workdir, "analyze", "--mode", "report", "--model",
                   "anthropic/claude-sonnet-4-6", "--yes", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    (report,) = (workdir / ".massgen" / "massgen_logs").glob("log_*/turn_1/ANALYSIS_REPORT.md")
    assert report.read_text().endswith("agent_a won, two votes to none.\n")
    assert f"Wrote {report.resolve()}" in done.stdout.replace(str(report), str(report.resolve()))
    paths = [r.path.rsplit("/", 1)[-1] for r in massgen_emulator.of("anthropic")]
    assert paths == ["count_tokens", "messages"], "the exact count first, then the one paid call"
    listed = massgen(workdir, "list", "--analyzed")
    assert listed.returncode == 0 and report.parent.parent.name[4:12] in listed.stdout.replace("-", "")


def test_self_mode_with_a_model_plans_and_sends_nothing(real_massgen, workdir, massgen_emulator):
    env = {"OPENAI_API_KEY": "sk-test-openai-000000000000",
           "OPENAI_BASE_URL": massgen_emulator.base_url("openai")}
    done = massgen(workdir, "analyze", "--mode", "self", "--model", "openai/gpt-5", "--dry-run",
                   env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Model      openai/gpt-5 for every agent  (from --model)" in done.stdout
    assert "Key        env OPENAI_API_KEY" in done.stdout and "GEMINI" not in done.stdout
    assert "Dry run: nothing was sent" in done.stdout
    assert massgen_emulator.requests == []
    assert not list((workdir / ".massgen" / "massgen_logs").glob("log_*/turn_1/ANALYSIS_REPORT.md"))


def test_model_without_mode_is_our_report(real_massgen, workdir, massgen_emulator):
    env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": massgen_emulator.base_url("anthropic")}
    done = massgen(workdir, "analyze", "--model", "anthropic/claude-sonnet-4-6", "--dry-run",
                   env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Model      anthropic/claude-sonnet-4-6  (from --model)" in done.stdout
    assert "Dry run: nothing was sent" in done.stdout and massgen_emulator.requests == []
    assert "--spec" not in done.stdout + done.stderr


def test_without_model_massgen_is_unchanged_and_models_is_added(real_massgen, workdir):
    prompt = massgen(workdir, "analyze")
    assert prompt.returncode == 0, prompt.stderr
    assert "Use the massgen-log-analyzer skill to analyze:" in prompt.stdout
    refused = massgen(workdir, "analyze", "--mode", "self")
    assert refused.returncode == 1 and "Self-analysis mode requires GEMINI_API_KEY" in refused.stdout
    mixed = massgen(workdir, "analyze", "--mode", "prompt", "--dry-run")
    assert mixed.returncode == 2
    assert mixed.stderr.splitlines()[-1] == (
        "massgen-plugins: error: --dry-run applies to --mode report and --mode self, not to "
        "MassGen's own --mode prompt; drop it, or choose one of those modes")
    models = massgen(workdir, "models", "--json")
    assert models.returncode == 0, models.stderr
    assert "anthropic/claude-sonnet-4-6" in models.stdout


def test_compare_through_massgen_leaves_the_run_unanalyzed(real_massgen, workdir,
                                                          massgen_emulator):
    massgen_emulator.reply("## Summary\nagent_a won, says Claude.", provider="anthropic")
    massgen_emulator.reply("## Summary\nagent_a won, says GPT.", provider="openai")
    env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": massgen_emulator.base_url("anthropic"),
           "OPENAI_API_KEY": "sk-test-openai-000000000000",
           "OPENAI_BASE_URL": massgen_emulator.base_url("openai")}
    done = massgen(workdir, "analyze", "--compare", "sonnet,openai/gpt-5-mini", "--yes",
                   "--json", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert [r["status"] for r in data["results"]] == ["written", "written"]
    (turn,) = (workdir / ".massgen" / "massgen_logs").glob("log_*/turn_1")
    assert (turn / "ANALYSIS_REPORT.anthropic_claude-sonnet-4-6.md").read_text().endswith(
        "agent_a won, says Claude.\n")
    assert (turn / "ANALYSIS_REPORT.openai_gpt-5-mini.md").read_text().endswith(
        "agent_a won, says GPT.\n")
    assert "> agent_a won, says GPT." in (turn / "ANALYSIS_COMPARISON.md").read_text()
    assert not (turn / "ANALYSIS_REPORT.md").exists()
    # MassGen's own listing agrees: compared is not analyzed.
    listed = massgen(workdir, "list", "--analyzed")
    assert listed.returncode == 0 and "No analyzed logs found." in listed.stdout
    mixed = massgen(workdir, "analyze", "--mode", "self", "--compare", "sonnet,gpt-5", env=env)
    assert mixed.returncode == 2
    assert mixed.stderr.splitlines()[-1].startswith(
        "massgen-plugins: error: --compare runs --mode report only: MassGen's self-analysis "
        "writes ANALYSIS_REPORT.md itself")
