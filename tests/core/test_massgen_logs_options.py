"""Which `massgen logs analyze` command line is ours, which is MassGen's, and how a refusal reads.

The parser here has the options MassGen 0.1.97 gives `massgen logs analyze` (the real one is
driven in tests/massgen/test_logs_cli.py); the bridge adds our analyze command's options to it
exactly as it does inside MassGen.
"""

from __future__ import annotations

import argparse

import pytest

from massgen_plugins.cli import massgen_logs as logs_cli


@pytest.fixture
def parse():
    from massgen_log_analyzer.commands import analyze

    parser = argparse.ArgumentParser(prog=logs_cli.PROG)
    sub = parser.add_subparsers(dest="logs_command")
    theirs = sub.add_parser("analyze")
    theirs.add_argument("--log-dir", type=str)
    theirs.add_argument("--mode", choices=["prompt", "self"], default="prompt")
    theirs.add_argument("--config", type=str)
    theirs.add_argument("--ui", choices=["automation", "rich_terminal", "webui"],
                        default="rich_terminal")
    theirs.add_argument("--turn", "-t", type=int)
    theirs.add_argument("--force", "-f", action="store_true")
    logs_cli._mirror(analyze, theirs, skip={"log_dir", "logs_dir"})
    return lambda *argv: parser.parse_args(["analyze", "--log-dir", "RUN", *argv])


def dispatch(namespace):
    """What runs: our argv, MassGen's mode as MassGen receives it, or the refusal."""
    seen = []
    result = logs_cli._dispatch(lambda ns: seen.append(ns.mode) or 0, None, (namespace,), {})
    return seen[0] if seen else result


@pytest.mark.parametrize("argv, ours", [
    # --model without --mode: our default mode, report.
    (["--model", "openai/gpt-5", "--dry-run"],
     ["--mode", "report", "--model", "openai/gpt-5", "--dry-run"]),
    (["--json", "--max-cost", "0.5"], ["--mode", "report", "--max-cost", "0.5", "--json"]),
    (["--mode", "report"], ["--mode", "report"]),
    (["--mode", "self", "--model", "gemini", "--yes", "-t", "2"],
     ["--mode", "self", "--turn", "2", "--ui", "rich_terminal", "--model", "gemini", "--yes"]),
    (["--mode", "self", "--dry-run", "-f"],
     ["--mode", "self", "--force", "--ui", "rich_terminal", "--dry-run"]),
    # --compare without --mode: our report, MassGen's -t and -f kept.
    (["--compare", "sonnet,gpt-5", "--report-from", "sonnet", "-t", "1", "-f"],
     ["--mode", "report", "--turn", "1", "--force", "--compare", "sonnet,gpt-5",
      "--report-from", "sonnet"]),
])
def test_our_options_run_our_command(parse, argv, ours):
    assert logs_cli.ours(parse(*argv)) == ["logs", "analyze", "RUN", *ours]


@pytest.mark.parametrize("argv, mode", [([], "prompt"), (["--mode", "prompt"], "prompt"),
                                        (["--mode", "self", "--config", "c.yaml"], "self")])
def test_without_our_options_massgen_gets_its_own_namespace(parse, argv, mode):
    namespace = parse(*argv)
    assert logs_cli.ours(namespace) is None
    assert dispatch(namespace) == mode


@pytest.mark.parametrize("argv, line", [
    (["--mode", "prompt", "--model", "x", "--yes"],
     "--model, --yes apply to --mode report and --mode self, not to MassGen's own --mode prompt; "
     "drop them, or choose one of those modes"),
    (["--mode", "prompt", "--json", "--count-tokens"],
     "--count-tokens, --json apply to --mode report and --mode self, not to MassGen's own "
     "--mode prompt; drop them, or choose one of those modes"),
    (["--model", "x", "--config", "c.yaml"],
     "--config (MassGen's own analysis config) does not go with --model; drop one of them"),
    (["--mode", "report", "--config", "c.yaml"],
     "--config (MassGen's own analysis config) does not go with --mode report; drop one of them"),
])
def test_a_refusal_names_only_options_the_user_typed(parse, argv, line, capsys):
    assert dispatch(parse(*argv)) == 2
    assert capsys.readouterr().err == f"massgen-plugins: error: {line}\n"
