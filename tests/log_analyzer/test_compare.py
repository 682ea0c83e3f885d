"""`logs analyze --compare`: one run, several models, with the real SDKs against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SHARED, no_traceback
from tests.log_analyzer.conftest import (
    MODELS,
    BreakingServer,
    analyze_on_a_terminal,
    copy_run,
    turn_dir,
)

SONNET, MINI, FLASH = MODELS["anthropic"], MODELS["openai"], MODELS["google"]
REPLIES = {
    "anthropic": "## Summary\nagent_a won, two votes to none.\n\n## Recommendations\n- Fewer rounds.",
    "openai": "# Analysis\n\n## 1. Summary\nAgent A won after one restart.\n\n## 2. Errors\nNone.",
    "google": "# Summary\nA clear win for agent_a.\n\n# Recommendations\nKeep the config.",
}


def script(emulator, *providers):
    for provider in providers:
        emulator.reply(REPLIES[provider], provider=provider, output_tokens=40)


def compare(cli, logs, env, *args, columns=None, cwd=None):
    full = {**env, **({"COLUMNS": str(columns)} if columns else {})}
    return cli("logs", "analyze", "--logs-dir", str(logs), *args, env=full, cwd=cwd)


def name(spec):
    provider, model = spec.split("/")
    return f"ANALYSIS_REPORT.{provider}_{model}.md"


def figures(stdout):
    """The figures table: each row's cells by its first (the model, or Total)."""
    lines = stdout.splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith("Model ") and "Cost" in x)
    rows = {}
    for line in lines[at + 2:]:
        cells = line.split()
        rows[cells[0]] = cells
        if cells[0] == "Total":
            return rows
    raise AssertionError("no Total row")


def sent(emulator, provider):
    """The requests a provider got, as count or generate."""
    return [_kind(r) for r in emulator.of(provider)]


def _kind(request):
    path = request.path.lower()
    return "count" if "count" in path or path.endswith("/input_tokens") else "generate"


def test_two_models_write_their_reports_beside_each_other(cli, massgen_emulator, logs, env):
    script(massgen_emulator, "anthropic", "google")
    result = compare(cli, logs, env, "--compare", f"sonnet,{FLASH}", "--yes", columns=120)
    assert result.returncode == 0 and no_traceback(result), result.stderr
    turn = turn_dir(logs)
    for spec, provider in ((SONNET, "anthropic"), (FLASH, "google")):
        text = (turn / name(spec)).read_text()
        assert text.startswith(f"# MassGen run analysis\n\n- Model: {spec.split('/')[1]}\n")
        assert text.endswith(REPLIES[provider] + "\n") and "- Cost: $" in text
        # The exact count proves the key before anything is paid for; then the one paid call.
        assert sent(massgen_emulator, provider) == ["count", "generate"]
    assert not (turn / "ANALYSIS_REPORT.md").exists()
    out = result.stdout
    # The plans come first, then the reports, then the figures.
    assert out.index("Model      anthropic/claude-sonnet-4-6  (from --compare (alias 'sonnet'))") \
        < out.index("Model      google/gemini-2.5-flash  (from --compare)") < out.index("Total ")
    row = figures(out)[SONNET]
    assert row[1].startswith("$") and row[-1] == name(SONNET) and row[-2] == "s"
    comparison = (turn / "ANALYSIS_COMPARISON.md").read_text()
    assert f"[{name(SONNET)}]({name(SONNET)})" in comparison
    assert "## Summary\n\n### anthropic/claude-sonnet-4-6\n\n> agent_a won, two votes to none." \
        in comparison
    assert "### google/gemini-2.5-flash\n\n> A clear win for agent_a." in comparison
    assert f"Wrote {turn / 'ANALYSIS_COMPARISON.md'}" in out
    # Compared is not analyzed: only ANALYSIS_REPORT.md marks a run so, here and in MassGen.
    listed = json.loads(cli("logs", "list", "--logs-dir", str(logs), "--json").stdout)
    assert listed["runs"][0]["analyzed"] is False


def test_three_models_as_json(cli, massgen_emulator, logs, env):
    script(massgen_emulator, "anthropic", "openai", "google")
    result = compare(cli, logs, env, "--compare", f"{SONNET},{MINI},{FLASH}", "--yes", "--json")
    assert result.returncode == 0 and no_traceback(result), result.stderr
    data = json.loads(result.stdout)
    assert [p["model"] for p in data["plans"]] == [SONNET, MINI, FLASH]
    assert all(p["count_exact"] and p["source"] == "--compare" for p in data["plans"])
    assert [Path(p["report"]).name for p in data["plans"]] == [name(SONNET), name(MINI), name(FLASH)]
    total = data["total_cost_usd"]
    assert total["unpriced"] == [] and total["prices"].startswith("genai-prices")
    assert total["low"] == pytest.approx(sum(p["cost_usd"]["low"] for p in data["plans"]))
    assert total["high"] == pytest.approx(sum(p["cost_usd"]["high"] for p in data["plans"]))
    results = {r["model"]: r for r in data["results"]}
    for spec in (SONNET, MINI, FLASH):
        r = results[spec]
        assert r["status"] == "written" and r["error"] is None and r["kept"] is None
        assert r["output_tokens"] == 40 and r["input_tokens"] > 1000
        assert r["cost_usd"] > 0 and r["seconds"] >= 0
        assert Path(r["report"]).read_text().endswith(
            REPLIES[spec.split("/")[0]] + "\n")
    assert data["spent_usd"] == {"total": pytest.approx(sum(r["cost_usd"] for r in results.values())),
                                 "unknown": []}
    assert Path(data["comparison"]).name == "ANALYSIS_COMPARISON.md"
    assert data["analysis_report"] is None


@pytest.mark.parametrize("columns, specs, side_by_side", [
    (160, f"{SONNET},{MINI},{FLASH}", True),
    (80, f"{SONNET},{MINI},{FLASH}", False),
    (80, f"{SONNET},{FLASH}", True),
])
def test_reports_side_by_side_where_they_fit(cli, massgen_emulator, logs, env, columns, specs,
                                             side_by_side):
    script(massgen_emulator, "anthropic", "openai", "google")
    result = compare(cli, logs, env, "--compare", specs, "--yes", columns=columns)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    shown = lines[lines.index(next(x for x in lines if x.startswith("Summary "))):
                  lines.index(next(x for x in lines if x.startswith("Reports in ")))]
    assert max(len(x) for x in shown) <= columns, "nothing wider than the terminal"
    models = specs.split(",")
    if side_by_side:
        heads = next(x for x in lines if x.startswith(models[0]) and models[-1] in x)
        assert all(m in heads for m in models)
        summary = lines[lines.index(next(x for x in lines if x.startswith("Summary "))) + 1]
        assert summary.startswith("agent_a won, two votes to none.")
        assert "A clear win for agent_a." in summary
    else:
        for model in models:
            assert model in lines, "each model on its own line, its text under it"
        at = lines.index(next(x for x in lines if x.startswith("Summary ")))
        assert lines[at + 1:at + 7] == [
            SONNET, "  agent_a won, two votes to none.", MINI, "  Agent A won after one restart.",
            FLASH, "  A clear win for agent_a."]
        at = lines.index(next(x for x in lines if x.startswith("Errors ")))
        assert lines[at + 1:at + 4] == [MINI, "  None.",
                                        f"(no such section from {SONNET}, {FLASH})"]
    # The figures: the report names beside them where they fit, else listed below.
    assert all(name(m) in result.stdout for m in models)


def test_one_model_failing_keeps_its_paid_text_and_the_others_are_written(
        cli, massgen_emulator, logs, env, home):
    script(massgen_emulator, "anthropic", "google")
    server = BreakingServer()  # openai: some text, then the connection drops
    try:
        result = compare(cli, logs, {**env, "OPENAI_BASE_URL": server.url}, "--compare",
                         f"{SONNET},openai/gpt-5,{FLASH}", "--yes", "--json", cwd=home / "work")
    finally:
        server.close()
    assert result.returncode == 1 and no_traceback(result), result.stderr
    data = json.loads(result.stdout)
    results = {r["model"]: r for r in data["results"]}
    failed = results["openai/gpt-5"]
    assert failed["status"] == "failed" and failed["report"] is None
    assert failed["cost_usd"] is None and failed["output_tokens"] is None
    kept = Path(failed["kept"])
    assert kept.parent == home / "work" and kept.name.startswith("ANALYSIS_REPORT.openai_gpt-5.")
    assert "## Summary\nThe paid part ****" in kept.read_text(), "kept, secrets masked"
    assert "the 61 characters received are saved in" in failed["error"]
    for spec in (SONNET, FLASH):
        assert results[spec]["status"] == "written"
        assert Path(results[spec]["report"]).is_file()
    assert not (turn_dir(logs) / name("openai/gpt-5")).exists()
    assert data["spent_usd"]["unknown"] == ["openai/gpt-5"]
    comparison = (turn_dir(logs) / "ANALYSIS_COMPARISON.md").read_text()
    assert "| openai/gpt-5 | unknown | unknown | unknown |" in comparison
    assert f"failed: the reply is kept in {kept}" in comparison
    errors = [x for x in result.stderr.splitlines() if "error" in x]
    assert len(errors) == 1 and errors[0].startswith("massgen-plugins: error: openai/gpt-5: ")


def test_a_refused_key_stops_the_comparison_before_anything_is_paid(cli, massgen_emulator,
                                                                    logs, env):
    result = compare(cli, logs, {**env, "GOOGLE_API_KEY": "bad-key"}, "--compare",
                     f"{SONNET},{FLASH}", "--yes")
    assert result.returncode == 2 and no_traceback(result)
    assert result.stderr.splitlines()[-1].startswith(
        "massgen-plugins: error: google/gemini-2.5-flash: the token count at ")
    assert all(kind == "count" for p in ("anthropic", "google") for kind in sent(massgen_emulator, p))
    assert not list(turn_dir(logs).glob("ANALYSIS_*"))


def test_a_model_without_prices_is_unknown_never_zero(cli, massgen_emulator, logs, env,
                                                      user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text('model_catalog: {"openai/llama3.1": {context_window: 131072}}\n')
    specs = f"openai/llama3.1,{SONNET}"
    plan = compare(cli, logs, env, "--compare", specs, "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert "Cost       unknown: no price data for this model" in plan.stdout
    assert "Total      unknown: no price data for openai/llama3.1; the others $" in plan.stdout
    dear = compare(cli, logs, env, "--compare", specs, "--max-cost", "100", "--yes")
    assert dear.returncode == 2 and dear.stderr.splitlines()[-1] == (
        "massgen-plugins: error: no price data for openai/llama3.1, so the comparison cannot "
        "be held to --max-cost $100.0000; drop that model or the limit")
    assert massgen_emulator.requests == []
    massgen_emulator.reply("## Summary\nllama's view", provider="openai")
    script(massgen_emulator, "anthropic")
    result = compare(cli, logs, env, "--compare", specs, "--yes", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["plans"][0]["cost_usd"] is None
    assert data["total_cost_usd"]["unpriced"] == ["openai/llama3.1"]
    llama, sonnet = data["results"]
    assert llama["cost_usd"] is None and llama["output_tokens"] is not None
    assert sonnet["cost_usd"] > 0
    assert data["spent_usd"] == {"total": sonnet["cost_usd"], "unknown": ["openai/llama3.1"]}
    human = compare(cli, logs, env, "--compare", specs, "--yes", "--force")
    rows = figures(human.stdout)
    assert rows["openai/llama3.1"][1] == "unknown" and rows[SONNET][1].startswith("$")
    assert rows["Total"][1:4] == [rows[SONNET][1], "+", "unknown"]


def test_a_dry_run_sends_nothing_and_needs_no_key(cli, massgen_emulator, logs, env):
    no_google = {**env, "GOOGLE_API_KEY": ""}
    result = compare(cli, logs, no_google, "--compare", f"{SONNET},{MINI},{FLASH}", "--dry-run")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    out = result.stdout
    assert out.count("Key        ") == 3 and "Key        missing: no API key for google" in out
    assert out.rstrip().endswith("Dry run: nothing was sent (token counts are estimates; "
                                 "--count-tokens counts).")
    assert massgen_emulator.requests == []
    assert not list(turn_dir(logs).glob("ANALYSIS_*"))
    # What sends needs every key, and says which before anything is sent.
    real = compare(cli, logs, no_google, "--compare", f"{SONNET},{FLASH}", "--yes")
    assert real.returncode == 2 and real.stderr.splitlines()[-1].startswith(
        "massgen-plugins: error: no API key for google")
    assert massgen_emulator.requests == []


def test_max_cost_is_the_total_and_refuses_before_anything_is_sent(cli, massgen_emulator,
                                                                   logs, env):
    plans = json.loads(compare(cli, logs, env, "--compare", f"opus,{SONNET}", "--dry-run",
                               "--json").stdout)["plans"]
    highs = [p["cost_usd"]["high"] for p in plans]
    limit = f"{max(highs) * 1.2:.4f}"  # above each model alone, below the two together
    assert max(highs) * 1.2 < sum(highs)
    result = compare(cli, logs, env, "--compare", f"opus,{SONNET}", "--max-cost", limit, "--yes")
    assert result.returncode == 2 and no_traceback(result)
    assert result.stderr.splitlines()[-1].startswith(
        "massgen-plugins: error: the 2 analyses may cost up to $")
    assert f"in all, above --max-cost ${float(limit):.4f}" in result.stderr
    assert massgen_emulator.requests == []
    assert not list(turn_dir(logs).glob("ANALYSIS_*"))
    ok = compare(cli, logs, env, "--compare", f"opus,{SONNET}", "--max-cost",
                 f"{sum(highs) * 2:.4f}", "--dry-run")
    assert ok.returncode == 0, ok.stderr


def test_the_runs_report_is_untouched_unless_asked(cli, massgen_emulator, logs, env):
    report = turn_dir(logs) / "ANALYSIS_REPORT.md"
    report.write_text("my notes")
    script(massgen_emulator, "anthropic", "google")
    done = compare(cli, logs, env, "--compare", f"{SONNET},{FLASH}", "--yes", "--force")
    assert done.returncode == 0, done.stderr
    assert report.read_text() == "my notes", "--force is for the comparison's own files"
    assert "ANALYSIS_REPORT.md is left as it is (--report-from MODEL writes it)" in done.stdout
    # Asked, it is still no overwrite without --force; said before anything is sent.
    before = len(massgen_emulator.requests)
    asked = compare(cli, logs, env, "--compare", f"{SONNET},{FLASH}", "--report-from", "sonnet",
                    "--yes")
    assert asked.returncode == 2 and asked.stderr.splitlines()[-1].startswith(
        "massgen-plugins: error: ANALYSIS_REPORT.anthropic_claude-sonnet-4-6.md, "
        "ANALYSIS_REPORT.google_gemini-2.5-flash.md, ANALYSIS_COMPARISON.md, "
        "ANALYSIS_REPORT.md already exist in ")
    assert len(massgen_emulator.requests) == before and report.read_text() == "my notes"
    script(massgen_emulator, "anthropic", "google")
    forced = compare(cli, logs, env, "--compare", f"{SONNET},{FLASH}", "--report-from", "sonnet",
                     "--yes", "--force")
    assert forced.returncode == 0, forced.stderr
    assert report.read_text() == (turn_dir(logs) / name(SONNET)).read_text()
    assert f"Wrote {report} (the report of {SONNET})" in forced.stdout


def test_report_from_marks_the_run_analyzed(cli, massgen_emulator, logs, env):
    script(massgen_emulator, "anthropic", "google")
    result = compare(cli, logs, env, "--compare", f"{SONNET},{FLASH}", "--report-from", FLASH,
                     "--yes", "--json")
    assert result.returncode == 0, result.stderr
    report = turn_dir(logs) / "ANALYSIS_REPORT.md"
    assert json.loads(result.stdout)["analysis_report"] == str(report)
    assert report.read_text().endswith(REPLIES["google"] + "\n")
    assert "- ANALYSIS_REPORT.md: the report of google/gemini-2.5-flash" in (
        turn_dir(logs) / "ANALYSIS_COMPARISON.md").read_text()
    listed = json.loads(cli("logs", "list", "--logs-dir", str(logs), "--json").stdout)
    assert listed["runs"][0]["analyzed"] is True


def test_its_own_files_need_force_to_be_replaced(cli, massgen_emulator, logs, env):
    script(massgen_emulator, "anthropic", "google")
    assert compare(cli, logs, env, "--compare", f"{SONNET},{FLASH}", "--yes").returncode == 0
    before = len(massgen_emulator.requests)
    again = compare(cli, logs, env, "--compare", f"{SONNET},{FLASH}", "--yes")
    assert again.returncode == 2 and "already exist in" in again.stderr
    assert again.stderr.strip().endswith("; pass --force to overwrite")
    assert len(massgen_emulator.requests) == before, "refused before anything is sent"
    massgen_emulator.reply("## Summary\nsecond opinion", provider="anthropic")
    massgen_emulator.reply("## Summary\nsecond look", provider="google")
    forced = compare(cli, logs, env, "--compare", f"{SONNET},{FLASH}", "--yes", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (turn_dir(logs) / name(SONNET)).read_text().endswith("second opinion\n")
    assert "> second look" in (turn_dir(logs) / "ANALYSIS_COMPARISON.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["--model", "sonnet", "--compare", "gpt-5,flash"],
     "--model and --compare do not go together: --compare names every model; add the --model "
     "one to it"),
    (["--mode", "self", "--compare", "gpt-5,flash"],
     "--compare runs --mode report only: MassGen's self-analysis writes ANALYSIS_REPORT.md "
     "itself, so several would overwrite each other; drop --mode self, or run it once per "
     "model with --model"),
    (["--compare", "sonnet"],
     "--compare sonnet: name two models or more, as in --compare sonnet,gpt-5-mini; for one "
     "model use --model"),
    (["--compare", "sonnet,anthropic/claude-sonnet-4-6,flash"],
     "--compare names anthropic/claude-sonnet-4-6 (sonnet, anthropic/claude-sonnet-4-6) more "
     "than once; name each model once"),
    (["--report-from", "sonnet"],
     "--report-from goes with --compare (it picks the compared model whose report becomes "
     "ANALYSIS_REPORT.md); drop it"),
    (["--compare", "sonnet,flash", "--report-from", "gpt-5"],
     "--report-from gpt-5 is openai/gpt-5, which --compare does not name; choose one of "
     "anthropic/claude-sonnet-4-6, google/gemini-2.5-flash"),
    (["--compare", "sonnet,gtp-5"], "cannot tell the provider of 'gtp-5' (did you mean 'gpt-5'"),
])
def test_what_does_not_go_with_compare_is_one_line(cli, massgen_emulator, logs, env, args,
                                                   message):
    result = compare(cli, logs, env, *args, "--yes")
    assert result.returncode == 2 and no_traceback(result)
    (line,) = result.stderr.splitlines()
    assert line.startswith("massgen-plugins: error: " + message)
    assert massgen_emulator.requests == []


def test_ctrl_c_keeps_what_each_model_had_received(logs, env, home):
    # openai streams some text, then stalls; anthropic never sends a first token.
    from massgen_plugins.testing.emulator import Emulator

    server = BreakingServer(stall=True)
    with Emulator() as slow:
        slow.fail("timeout", "anthropic", delay=30.0)
        try:
            code, err = analyze_on_a_terminal(
                ["--logs-dir", str(logs), "--compare", f"openai/gpt-5,{SONNET}", "--yes"],
                {**env, "OPENAI_BASE_URL": server.url,
                 "ANTHROPIC_BASE_URL": slow.base_url("anthropic")}, home / "work", True)
        finally:
            server.close()
    assert code == 1 and "Traceback" not in err, err
    errors = [x[x.index("massgen-plugins: error"):] for x in err.splitlines() if "error:" in x]
    assert len(errors) == 2, errors
    gpt = next(x for x in errors if "openai/gpt-5:" in x)
    assert "interrupted; no report was written; the 61 characters received are saved in " in gpt
    kept = Path(gpt.split("saved in ", 1)[1].strip())
    assert kept.parent == home / "work" and "## Summary\nThe paid part" in kept.read_text()
    sonnet = next(x for x in errors if f"{SONNET}:" in x)
    assert "interrupted" in sonnet and "saved" not in sonnet
    assert not list(turn_dir(logs).glob("ANALYSIS_REPORT*")), "no report, whole or partial"


def test_on_a_shared_run_with_three_agents(cli, massgen_emulator, home, env):
    source = SHARED / "massgen-logs" / "run_b_three_agents_long"
    if not source.is_dir():
        pytest.skip("needs ../shared/massgen-logs")
    logs = home / "logs"
    copy_run(next(source.glob("log_*")), logs)
    script(massgen_emulator, "anthropic", "openai")
    result = compare(cli, logs, env, "--compare", f"{SONNET},{MINI}", "--yes", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert all(p["fits"] for p in data["plans"])
    assert [r["status"] for r in data["results"]] == ["written", "written"]
    body = json.dumps(massgen_emulator.of("anthropic")[-1].body)
    assert "agent_c" in body, "the three agents' run is what was sent"


@pytest.mark.parametrize("models", [[SONNET], [SONNET, MINI]])
def test_max_cost_holds_once_counted_exactly(cli, massgen_emulator, logs, env, models):
    # The emulator counts the request's JSON, a little more than the plan's estimate: a limit
    # between the two passes the plan and stops the run after the free count, unpaid.
    which = ["--model", models[0]] if len(models) == 1 else ["--compare", ",".join(models)]

    def high(*extra):
        data = json.loads(compare(cli, logs, env, *which, "--dry-run", "--json", *extra).stdout)
        return data["total_cost_usd"]["high"] if "plans" in data else data["cost_usd"]["high"]

    estimated, exact = high(), high("--count-tokens")
    assert estimated < exact, "the emulator's count is above the estimate"
    limit = f"{(estimated + exact) / 2:.6f}"
    before = len(massgen_emulator.requests)
    result = compare(cli, logs, env, *which, "--max-cost", limit, "--yes")
    assert result.returncode == 2 and no_traceback(result), result.stderr
    line = result.stderr.splitlines()[-1]
    assert line.startswith("massgen-plugins: error: counted exactly, the ")
    assert {_kind(r) for r in massgen_emulator.requests[before:]} == {"count"}
    assert not list(turn_dir(logs).glob("ANALYSIS_*"))
