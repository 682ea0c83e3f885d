"""`massgen-plugins logs analyze` and `logs models`, with the real SDKs against the emulator."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from tests.conftest import no_traceback
from tests.log_analyzer.conftest import MODELS, turn_dir


def plan(cli, logs, env, *args):
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--dry-run", "--json", *args,
                     env=env)
    assert result.returncode == 0 and no_traceback(result), result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("provider", list(MODELS))
def test_full_analysis_writes_the_report(cli, massgen_emulator, logs, env, provider):
    massgen_emulator.reply("## Summary\nAgent A won with two votes.", provider=provider,
                   output_tokens=12, chunks=5)
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--model", MODELS[provider],
                     "--yes", env=env)
    assert result.returncode == 0 and no_traceback(result), result.stderr
    report = turn_dir(logs) / "ANALYSIS_REPORT.md"
    text = report.read_text()
    model = MODELS[provider].split("/")[1]
    assert f"- Model: {model}\n- Provider: {provider}\n" in text
    assert ", 12 out" in text and "- Cost: $" in text and "- Date: 20" in text
    assert text.endswith("## Summary\nAgent A won with two votes.\n")
    assert f"Wrote {report}" in result.stdout
    sent = [r for r in massgen_emulator.of(provider) if "count" not in r.path.lower()][-1]
    body = json.dumps(sent.body)
    assert "log_data" in body and "never instructions" in body
    # The run is marked as analyzed now.
    listed = json.loads(cli("logs", "list", "--logs-dir", str(logs), "--json").stdout)
    assert listed["runs"][0]["analyzed"] is True


def test_a_dry_run_sends_nothing_and_says_its_counts_are_estimates(cli, massgen_emulator, logs, env):
    data = plan(cli, logs, env, "--model", "google/gemini-2.5-flash")
    assert data["model"] == "google/gemini-2.5-flash" and data["source"] == "--model"
    assert data["key"] == "env GOOGLE_API_KEY"
    assert data["count_exact"] is False and data["count_source"].startswith("estimate")
    assert data["input_tokens"] > 1000
    assert data["fits"] is True and data["context_window"] == 1_048_576
    assert 0 < data["cost_usd"]["low"] < data["cost_usd"]["high"]
    assert data["cost_usd"]["prices"].startswith("genai-prices")
    assert massgen_emulator.requests == [], "a dry run sends nothing, not even a count"
    assert not (turn_dir(logs) / "ANALYSIS_REPORT.md").exists()


def test_count_tokens_asks_the_free_count_endpoint_and_says_so(cli, massgen_emulator, logs, env):
    data = plan(cli, logs, env, "--model", "google/gemini-2.5-flash", "--count-tokens")
    assert data["count_exact"] is True and data["count_source"] == "google count endpoint"
    assert [r.path.rsplit(":", 1)[-1] for r in massgen_emulator.of("google")] == ["countTokens"]


def test_human_plan_masks_nothing_it_should_not_show(cli, logs, env):
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--model", "openai/gpt-5",
                 "--dry-run", env=env)
    out = result.stdout
    assert "Model      openai/gpt-5  (from --model)" in out and "Key        env OPENAI_API_KEY" in out
    assert "tokens (estimated, about 4 characters a token)" in out
    assert "Dry run: nothing was sent (token counts are estimates" in out
    assert env["OPENAI_API_KEY"] not in out + result.stderr


@pytest.mark.parametrize("setup, expected_model, expected_source", [
    ({"args": ["--model", "anthropic"]}, "anthropic/claude-sonnet-4-6",
     "--model, anthropic's default model (built-in default)"),
    ({"args": ["--model", "sonnet"]}, "anthropic/claude-sonnet-4-6", "--model (alias 'sonnet')"),
    ({"env": {"MASSGEN_ANALYSIS_MODEL": "google/gemini-2.5-pro"}}, "google/gemini-2.5-pro",
     "env MASSGEN_ANALYSIS_MODEL"),
    ({"project": "default_model: openai/gpt-5"}, "openai/gpt-5", "config {project}"),
    ({"user": "default_model: anthropic/claude-haiku-4-5"}, "anthropic/claude-haiku-4-5",
     "config {user}"),
    ({"user": "provider_defaults: {google: gemini-2.5-pro}", "args": ["--model", "gemini"]},
     "google/gemini-2.5-pro", "--model, google's default model (provider_defaults.google in config)"),
    ({"user": "aliases: {cheap: openai/gpt-5-mini}", "args": ["--model", "cheap"]},
     "openai/gpt-5-mini", "--model (alias 'cheap')"),
    ({"env": {"OPENAI_API_KEY": ""}}, "anthropic/claude-sonnet-4-6",
     "default: first provider with a key (env ANTHROPIC_API_KEY), anthropic's default model "
     "(built-in default)"),
])
def test_each_source_of_the_model_choice(cli, logs, env, user_config, home, setup,
                                         expected_model, expected_source):
    project = home / "work" / ".massgen" / "config.yaml"
    for where, path in (("user", user_config), ("project", project)):
        if where in setup:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("plugins:\n  log_analyzer:\n    " + setup[where] + "\n")
    data = plan(cli, logs, {**env, **setup.get("env", {})}, *setup.get("args", []))
    assert data["model"] == expected_model
    assert data["source"] == expected_source.format(project=project, user=user_config)


def test_env_beats_config_and_flag_beats_env(cli, logs, env, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("plugins:\n  log_analyzer:\n    default_model: openai/gpt-5\n")
    with_env = {**env, "MASSGEN_ANALYSIS_MODEL": "anthropic/claude-haiku-4-5"}
    assert plan(cli, logs, with_env)["model"] == "anthropic/claude-haiku-4-5"
    assert plan(cli, logs, with_env, "--model", "gemini")["model"] == "google/gemini-2.5-flash"


@pytest.mark.parametrize("args, env_change, message", [
    (["--model", "mistral/large"], {}, "unknown provider 'mistral' in 'mistral/large'"),
    (["--model", "openai/gpt-55"], {}, "unknown model 'gpt-55' for openai (did you mean"),
    # A built-in window for gemini-2.5 models is no proof that a misspelt one exists.
    (["--model", "google/gemini-2.5-flsh"], {},
     "unknown model 'gemini-2.5-flsh' for google (did you mean gemini-2.5-flash, "),
    (["--model", "gemini-2.5-flsh"], {}, "unknown model 'gemini-2.5-flsh' for google"),
    (["--model", "gtp-5"], {}, "cannot tell the provider of 'gtp-5' (did you mean 'gpt-5'"),
    (["--model", "sonet"], {}, "cannot tell the provider of 'sonet' (did you mean 'sonnet'?)"),
    ([], {"OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": "", "GOOGLE_API_KEY": ""},
     "no API key for any provider: set one of OPENAI_API_KEY"),
])
def test_invalid_choices_are_one_line_and_exit_2(cli, logs, env, args, env_change, message):
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--dry-run", *args,
                     env={**env, **env_change})
    assert result.returncode == 2 and no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("massgen-plugins: error: " + message)


def test_an_unknown_model_says_how_to_use_it_anyway_and_that_works(cli, logs, env, user_config):
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--dry-run", "--model",
                 "google/gemini-9-ultra", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        'to use a model the catalog does not know yet, add model_catalog: '
        '{"google/gemini-9-ultra": {context_window: TOKENS}} to a config file '
        '(massgen-plugins config path lists them)')
    user_config.parent.mkdir(parents=True)
    user_config.write_text('model_catalog: {"google/gemini-9-ultra": {context_window: 2000000}}\n')
    data = plan(cli, logs, env, "--model", "google/gemini-9-ultra")
    assert data["model"] == "google/gemini-9-ultra" and data["context_window"] == 2_000_000
    # Dated ids of known models are known (genai-prices matches them).
    assert plan(cli, logs, env, "--model", "openai/gpt-5-2025-08-07")["cost_usd"] is not None


@pytest.mark.parametrize("mode", ["report", "self"])
def test_a_dry_run_needs_no_key_and_says_what_to_set(cli, massgen_emulator, logs, env, mode,
                                                     request):
    if mode == "self":
        request.getfixturevalue("real_massgen")  # MassGen's self-analysis needs MassGen
    no_key = {**env, "GOOGLE_API_KEY": "", "GEMINI_API_KEY": ""}
    args = ["--model", "google/gemini-2.5-flash", "--mode", mode]
    data = plan(cli, logs, no_key, *args)
    assert data["key"] is None and data["key_missing"] == (
        "no API key for google: GOOGLE_API_KEY or GEMINI_API_KEY are unset; set one, or "
        "providers.google.api_key in config")
    human = cli("logs", "analyze", "--logs-dir", str(logs), "--dry-run", *args, env=no_key)
    assert human.returncode == 0 and human.stderr == ""
    assert "Key        missing: no API key for google: GOOGLE_API_KEY or GEMINI_API_KEY" \
        in human.stdout
    assert massgen_emulator.requests == []
    # Anything that sends still needs the key, and says so before the plan.
    for extra in (["--yes"], ["--dry-run", "--count-tokens"]):
        result = cli("logs", "analyze", "--logs-dir", str(logs), *args, *extra, env=no_key)
        assert result.returncode == 2 and no_traceback(result), result.stderr
        assert result.stderr.splitlines()[-1].startswith(
            "massgen-plugins: error: no API key for google")
        if mode == "self":
            break  # self's --count-tokens is not a thing: its plan is a range
    assert massgen_emulator.requests == []


def test_a_placeholder_is_no_key(cli, logs, env):
    # On OpenAI's own endpoint (no base URL of one's own), a placeholder is no key.
    placeholder = {**env, "OPENAI_API_KEY": "your-openai-key-here", "OPENAI_BASE_URL": ""}
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--model", "openai/gpt-5", "--yes",
                 env=placeholder)
    assert result.returncode == 2 and result.stderr.startswith(
        "massgen-plugins: error: no API key for openai: OPENAI_API_KEY holds a placeholder, "
        "not a key")
    assert plan(cli, logs, placeholder, "--model", "openai/gpt-5")["key_missing"].startswith(
        "no API key for openai: OPENAI_API_KEY holds a placeholder")


def test_rejected_key_names_the_variable(cli, logs, env):
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--model", "openai/gpt-5",
                     "--yes", env={**env, "OPENAI_API_KEY": "bad-key"})
    assert result.returncode == 2 and no_traceback(result)
    assert "the key from env OPENAI_API_KEY was refused" in result.stderr
    assert not (turn_dir(logs) / "ANALYSIS_REPORT.md").exists()


def test_rate_limits_are_retried_and_context_errors_trim_once(cli, massgen_emulator, logs, env):
    massgen_emulator.fail("rate_limit", "anthropic", times=1, retry_after=0.01)
    massgen_emulator.reply("ok after retry", provider="anthropic")
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--model", "sonnet", "--yes",
                     env=env)
    assert result.returncode == 0, result.stderr
    # Without a terminal, each retry is one line saying why and for how long.
    assert "retrying in" in result.stderr and "rate limit" in result.stderr.lower()
    massgen_emulator.fail("context_length", "openai", times=1)
    massgen_emulator.reply("ok after trimming", provider="openai")
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--model", "openai/gpt-5",
                     "--yes", "--force", env=env)
    assert result.returncode == 0 and no_traceback(result), result.stderr
    assert "trimming the input and retrying once" in result.stderr
    assert "- Input trimmed to fit:" in (turn_dir(logs) / "ANALYSIS_REPORT.md").read_text()


def test_a_log_larger_than_the_window_is_trimmed_and_better_models_named(cli, logs, env,
                                                                         user_config):
    whole = plan(cli, logs, env, "--model", "openai/gpt-5-mini")["input_tokens"]
    window = whole  # the run alone fills it: no room left for the report
    user_config.parent.mkdir(parents=True)
    user_config.write_text(f"model_catalog:\n  openai/gpt-5-mini:\n    context_window: {window}\n"
                           "plugins:\n  log_analyzer:\n    output_tokens: 300\n")
    data = plan(cli, logs, env, "--model", "openai/gpt-5-mini")
    assert data["output_reserve"] == 300
    assert data["fits"] is False and data["full_tokens"] == whole
    assert data["input_tokens"] + data["output_reserve"] <= window
    assert data["trimmed"] and all("cut" in c or "omitted" in c for c in data["trimmed"])
    assert "google/gemini-2.5-flash" in data["recommendations"]
    assert "openai/gpt-5-mini" not in data["recommendations"]


def test_max_cost_refuses_a_dear_plan(cli, massgen_emulator, logs, env):
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--model", "opus",
                     "--max-cost", "0.0001", "--yes", env=env)
    assert result.returncode == 2 and no_traceback(result)
    assert "above --max-cost $0.0001" in result.stderr
    assert all("count" in r.path for r in massgen_emulator.of("anthropic"))
    ok = cli("logs", "analyze", "--logs-dir", str(logs), "--model", "opus", "--max-cost",
                 "50", "--yes", env=env)
    assert ok.returncode == 0, ok.stderr


def test_an_existing_report_needs_force(cli, massgen_emulator, logs, env):
    report = turn_dir(logs) / "ANALYSIS_REPORT.md"
    report.write_text("my notes")
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--yes", env=env)
    assert result.returncode == 2 and "pass --force to overwrite it" in result.stderr
    assert report.read_text() == "my notes"
    massgen_emulator.reply("fresh")
    assert cli("logs", "analyze", "--logs-dir", str(logs), "--yes", "--force",
                   env=env).returncode == 0
    assert report.read_text().endswith("fresh\n")


def test_ctrl_c_leaves_no_partial_report(cli, massgen_emulator, logs, env, home):
    import os
    import sys
    from pathlib import Path

    massgen_emulator.fail("timeout", "openai", delay=5.0)
    script = Path(sys.executable).parent / "massgen-plugins"
    proc = subprocess.Popen([str(script), "logs", "analyze", "--logs-dir", str(logs), "--model",
                             "openai/gpt-5", "--yes"], env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while time.time() < deadline and not any(r.path == "/v1/responses"
                                             for r in massgen_emulator.of("openai")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and "Traceback" not in err
    assert "interrupted: no report was written" in err or "Aborted" in err
    assert not list(turn_dir(logs).glob("*ANALYSIS_REPORT*"))


def test_models_lists_windows_prices_keys_and_the_default(cli, massgen_emulator, env):
    data = json.loads(cli("logs", "models", "--json",
                              env={**env, "OPENAI_API_KEY": ""}).stdout)["models"]
    by = {m["model"]: m for m in data}
    assert by["anthropic/claude-sonnet-4-6"]["default"] is True
    assert by["openai/gpt-5"]["key"] is None and by["google/gemini-2.5-pro"]["key"] == "env GOOGLE_API_KEY"
    assert by["google/gemini-2.5-pro"]["context_window"] == 1_048_576
    assert by["openai/gpt-5"]["input_per_mtok"] > 0
    live = json.loads(cli("logs", "models", "--json", "--live", "--provider", "anthropic",
                              env=env).stdout)["models"]
    assert {m["model"] for m in live} >= {"anthropic/claude-sonnet-4-6"}
    assert all(m["model"].startswith("anthropic/") for m in live)


def test_disabled_plugin_has_no_commands(cli, env):
    off = {**env, "MASSGEN_DISABLE_PLUGINS": "log_analyzer"}
    help_text = cli("logs", "--help", env=off).stdout
    assert "analyze" not in help_text and "models" not in help_text
    result = cli("logs", "analyze", "--dry-run", env=off)
    assert result.returncode == 2 and "No such command 'analyze'" in result.stderr
    assert "analyze" in cli("logs", "--help", env=env).stdout


def test_max_cost_holds_with_dry_run_and_json(cli, massgen_emulator, logs, env):
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--model", "opus", "--dry-run",
                 "--json", "--max-cost", "0.0001", env=env)
    assert result.returncode == 2 and no_traceback(result)
    assert json.loads(result.stdout)["model"] == "anthropic/claude-opus-4-8", "the plan is shown"
    assert "above --max-cost $0.0001" in result.stderr
    assert massgen_emulator.requests == []


def test_a_report_written_meanwhile_is_kept_and_the_reply_saved_beside(cli, massgen_emulator,
                                                                      logs, env, home):
    import os
    import sys
    from pathlib import Path

    # The reply takes a while; another analysis writes its report in the meantime.
    massgen_emulator.fail("timeout", "openai", delay=3.0)
    massgen_emulator.reply("the second opinion", provider="openai")
    script = Path(sys.executable).parent / "massgen-plugins"
    proc = subprocess.Popen([str(script), "logs", "analyze", "--logs-dir", str(logs), "--model",
                             "openai/gpt-5", "--yes"], env={**os.environ, **env},
                            cwd=home / "work", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 30
    while time.time() < deadline and not any(r.path == "/v1/responses"
                                             for r in massgen_emulator.of("openai")):
        time.sleep(0.05)
    report = turn_dir(logs) / "ANALYSIS_REPORT.md"
    report.write_text("the first analysis")
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Traceback" not in err
    assert report.read_text() == "the first analysis", "never overwritten"
    (line,) = [x for x in err.splitlines() if "error" in x]
    assert "appeared while this analysis ran" in line and "the reply is saved in" in line
    saved = Path(line.split("the reply is saved in ", 1)[1].split(";")[0])
    assert saved.parent == home / "work" and saved.read_text().endswith("the second opinion\n")


def test_a_server_of_your_own_takes_a_dummy_key_and_may_lack_a_count_endpoint(
        cli, massgen_emulator, logs, env):
    # Ollama, vLLM, LM Studio: any key will do.
    dummy = {**env, "OPENAI_API_KEY": "dummy"}
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--model", "openai/gpt-5",
                 "--count-tokens", "--dry-run", env=dummy)
    assert result.returncode == 0, result.stderr
    assert "tokens (exact: openai count endpoint)" in result.stdout
    # One without /responses/input_tokens answers 404 there: the estimate stands, said once.
    elsewhere = {**dummy, "OPENAI_BASE_URL": massgen_emulator.url + "/no-count/v1"}
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--model", "openai/gpt-5",
                 "--count-tokens", "--dry-run", env=elsewhere)
    assert result.returncode == 0 and no_traceback(result), result.stderr
    assert result.stderr.splitlines() == [
        f"massgen-plugins: warning: {elsewhere['OPENAI_BASE_URL']} has no token-count endpoint "
        "(404); the plan's counts are estimates"]
    assert "tokens (estimated, about 4 characters a token)" in result.stdout


def test_self_mode_without_massgen_is_one_line(cli, logs, env, real_massgen_absent):
    result = cli("logs", "analyze", "--logs-dir", str(logs), "--mode", "self", "--model",
                 "openai/gpt-5", "--dry-run", env=env)
    assert result.returncode == 2 and no_traceback(result)
    assert result.stderr.splitlines() == [
        "massgen-plugins: error: --mode self runs MassGen's multi-agent self-analysis: install "
        "MassGen (pip install massgen) or use --mode report"]


def test_the_plan_reads_the_run_once_however_often_it_shrinks(logs, monkeypatch, home, env):
    # A 1 GB events.jsonl takes seconds to scan: the plan's refits reuse the first read.
    from massgen_log_analyzer.plan import make_plan

    import massgen_plugins.logs.context as context_module
    from massgen_plugins import ModelChoice, PluginContext
    from massgen_plugins.logs.reader import read_session

    scans = []
    real = context_module.read_events
    monkeypatch.setattr(context_module, "read_events",
                        lambda *a, **k: scans.append(a[0]) or real(*a, **k))
    attempt = read_session(next(logs.glob("log_*"))).latest
    # Small enough that the shared run_a and the synthetic run (without ../shared) both shrink.
    choice = ModelChoice("openai", "gpt-5", context_window=1200, max_output_tokens=500)
    plan = make_plan(attempt, choice, None, 500, PluginContext(name="log_analyzer"))
    assert plan.fits is False and plan.cuts, "the run had to shrink to fit"
    assert len(scans) == 1
