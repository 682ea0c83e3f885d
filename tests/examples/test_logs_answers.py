"""The example plugin in examples/logs_answers, installed as a user installs it, then used."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED, no_traceback
from tests.synthetic_runs import write_run

EXAMPLE = ROOT / "examples" / "logs_answers"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example built and installed (no dependencies: the core is already here) into a folder."""
    uv = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    if not Path(uv).exists() and not shutil.which("uv"):
        pytest.skip("needs uv (make setup bootstraps it into .tools/)")
    target = tmp_path_factory.mktemp("site")
    subprocess.run([uv, "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    "--python", sys.executable, str(EXAMPLE)], check=True, timeout=300)
    return target


def test_the_example_imports_only_the_public_api():
    for path in (EXAMPLE / "massgen_logs_answers").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("massgen_"):
                assert node.module in ("massgen_plugins", "massgen_logs_answers"), (path, node.module)


def test_answers_and_their_votes_are_listed(cli, home, installed):
    run = write_run(home / "logs")
    env = {"PYTHONPATH": os.pathsep.join([str(installed), os.environ.get("PYTHONPATH", "")])}
    listed = cli("plugins", "list", "--json", env=env)
    (row,) = [p for p in json.loads(listed.stdout)["plugins"] if p["name"] == "logs_answers"]
    assert row["distribution"] == "massgen-logs-answers" and row["loaded"] and not row["errors"]

    result = cli("logs", "answers", str(run), "--json", env=env)
    assert result.returncode == 0 and no_traceback(result), result.stderr
    answers = json.loads(result.stdout)["answers"]
    assert answers and {"label", "agent", "text", "votes"} <= set(answers[0])
    voted = [a for a in answers if a["votes"]]
    assert voted, "the synthetic run's votes land on an answer"

    shown = cli("logs", "answers", str(run), env=env)
    assert shown.returncode == 0 and answers[0]["label"] in shown.stdout


@pytest.mark.skipif(not (SHARED / "massgen-logs").is_dir(), reason="needs ../shared")
def test_a_real_massgen_run_with_a_secret_in_an_answer_is_shown_masked(cli, home, installed):
    source = next((SHARED / "massgen-logs" / "run_a_two_agents").glob("log_*"))
    run = home / "logs" / source.name
    shutil.copytree(source, run)
    key = "sk-proj-" + "Zq3" * 16
    planted = sorted(run.rglob("answer.txt"))
    assert planted, "run_a keeps each answer in a snapshot's answer.txt"
    for path in planted:
        path.write_text(f"My key is {key}\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join([str(installed), os.environ.get("PYTHONPATH", "")])}
    for args in (["--json"], []):
        result = cli("logs", "answers", str(run), *args, env=env)
        assert result.returncode == 0, result.stderr
        assert key not in result.stdout and "****3Zq3" in result.stdout
    rows = json.loads(cli("logs", "answers", str(run), "--json", env=env).stdout)["answers"]
    assert sorted(r["label"] for r in rows) == ["agent1.1", "agent2.1"]
    assert all(r["agent"].startswith("agent_") for r in rows)
