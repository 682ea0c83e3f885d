"""The command line: help lists enabled plugins' commands only, and stays free of heavy imports."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import massgen_plugins

HEAVY = ("openai", "anthropic", "google.genai", "textual")
COMMAND = """
    import click
    from massgen_plugins import hookimpl

    @hookimpl
    def register_commands(cli):
        @click.command()
        def shout():
            "Shout something."
        cli.commands["logs"].add_command(shout)
        cli.add_command(click.Command("top-level-thing", help="Plugin command."))
"""


def test_help_lists_commands_of_enabled_plugins_only(make_plugin, cli):
    make_plugin("loud", COMMAND)
    on = cli("--help")
    assert on.returncode == 0 and "top-level-thing" in on.stdout
    assert "shout" in cli("logs", "--help").stdout
    off = {"MASSGEN_DISABLE_PLUGINS": "loud"}
    assert "top-level-thing" not in cli("--help", env=off).stdout
    assert "shout" not in cli("logs", "--help", env=off).stdout
    missing = cli("logs", "shout", env=off)
    assert missing.returncode == 2 and "No such command 'shout'" in missing.stderr


def test_help_imports_no_sdk_and_no_textual(cli, tmp_path):
    result = cli("--help", prefix=[sys.executable, "-X", "importtime"])
    assert result.returncode == 0
    imported = {m.group(1) for m in re.finditer(r"\|\s+([\w.]+)\s*$", result.stderr, re.M)}
    assert "massgen_plugins.cli" in imported
    assert not [m for m in imported if m.split(".")[0] in HEAVY or m.startswith("google.genai")]
    # importtime does not log modules loaded by importlib.import_module (entry points), so ask
    # the process itself as well, with every plugin enabled and loaded.
    code = ("import sys; from massgen_plugins.cli import main\n"
            "try: main(['--help'])\nexcept SystemExit: pass\n"
            "print('LOADED', sorted(m for m in sys.modules if m.endswith('.plugin')))\n"
            f"print('HEAVY', sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}"
            " or m.startswith('google.genai')))")
    # A fresh cache folder: with the record of an earlier load, --help loads no plugin at all.
    fresh = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "fresh-cache")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=fresh).stdout
    lines = dict(line.split(" ", 1) for line in out.splitlines() if line.startswith(("LOADED", "HEAVY")))
    assert "massgen_tui_throttle.plugin" in lines["LOADED"]
    assert lines["HEAVY"] == "[]"


def test_version(cli):
    assert cli("--version").stdout == f"massgen-plugins, version {massgen_plugins.__version__}\n"


def test_no_distribution_of_ours_installs_a_script_named_massgen():
    # MassGen owns `massgen`: it runs `uv run massgen ...` for its own subagents and sub-runs.
    import importlib.metadata as md

    for name in ("massgen-plugins", "massgen-compact-openai", "massgen-log-analyzer",
                 "massgen-tui-throttle"):
        scripts = {ep.name for ep in md.distribution(name).entry_points
                   if ep.group == "console_scripts"}
        assert "massgen" not in scripts, name
    assert {ep.name for ep in md.distribution("massgen-plugins").entry_points
            if ep.group == "console_scripts"} == {"massgen-plugins"}


def test_installing_us_adds_nothing_to_other_pytest_sessions():
    # MassGen's own tests run in the environment we are installed into: our emulator fixture is
    # opt-in (pytest_plugins), never a pytest11 plugin loaded into every session.
    import importlib.metadata as md

    ours = [ep for ep in md.entry_points(group="pytest11") if ep.value.startswith("massgen_")]
    assert ours == []


@pytest.mark.parametrize("command,where", [("chat", "massgen --model"), ("tui", "massgen viewer")])
def test_a_retired_command_says_where_it_lives_in_massgen(cli, command, where):
    result = cli(command, "--help")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"massgen-plugins: error: `massgen-plugins {command}` was retired")
    assert where in line
