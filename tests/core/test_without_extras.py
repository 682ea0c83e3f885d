"""The core without its extras: no SDK and no price data installed, as `pip install massgen-plugins`.

A sitecustomize on PYTHONPATH hides the extras' packages from the import system, so the CLI
runs as it would in an environment that never installed them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import no_traceback
from tests.synthetic_runs import write_run

HIDE = """\
import sys

HIDDEN = {hidden!r}


class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN or name in HIDDEN:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, Hide())
"""
EXTRAS = ("openai", "anthropic", "google", "genai_prices", "httpx", "httpx2")


@pytest.fixture
def without(tmp_path: Path):
    def env(*hidden: str) -> dict[str, str]:
        folder = tmp_path / "hide"
        folder.mkdir(exist_ok=True)
        (folder / "sitecustomize.py").write_text(HIDE.format(hidden=set(hidden)))
        return {"PYTHONPATH": str(folder)}
    return env


def test_logs_commands_work_and_costs_stay_honest_without_any_extra(cli, home, without):
    run = write_run(home / "logs")
    env = without(*EXTRAS)
    for args in (["--help"], ["logs", "list", "--logs-dir", str(home / "logs")],
                 ["logs", "summary", str(run)], ["logs", "tools", str(run)]):
        result = cli(*args, env=env)
        assert result.returncode == 0 and no_traceback(result), (args, result.stderr)


@pytest.mark.parametrize("provider,model,extra", [
    ("openai", "gpt-5", "openai"), ("anthropic", "claude-sonnet-4-6", "anthropic"),
    ("google", "gemini-2.5-flash", "google")])
def test_a_model_call_without_its_sdk_names_the_extra(cli, home, without, provider, model,
                                                      extra):
    run = write_run(home / "logs")
    key = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY",
           "google": "GOOGLE_API_KEY"}[provider]
    sdk = "google" if provider == "google" else provider
    result = cli("logs", "analyze", str(run), "--model", f"{provider}/{model}", "--dry-run",
                 env={**without(sdk), key: "k-test-000000"})
    assert result.returncode == 2 and no_traceback(result), result.stderr
    assert result.stderr.splitlines()[-1].endswith(
        f"is not installed; pip install 'massgen-plugins[{extra}]'")


def test_without_price_data_a_cost_is_unknown_never_zero(without):
    import os
    import subprocess
    import sys

    code = ("from massgen_plugins.providers.catalog import actual_cost, known_models, lookup\n"
            "from massgen_plugins.providers.specs import ModelSpec\n"
            "entry = lookup(ModelSpec('openai', 'gpt-5'))\n"
            "print(actual_cost(entry, 1000, 1000), entry.context_window, known_models('openai'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **without("genai_prices")}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(" ", 2)[:2] == ["None", "400000"]
    assert "'gpt-5'" in done.stdout
