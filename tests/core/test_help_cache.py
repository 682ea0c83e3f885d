"""Help pages list plugin commands from a record of the last load, and that record stays true."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import no_traceback

COMMANDS = """
    import click
    from massgen_plugins import hookimpl

    @hookimpl
    def register_commands(cli):
        @click.command()
        @click.option("--volume", default=3, help="How loud.")
        def shout(volume):
            "{help}"
            click.echo("SHOUT" * volume)
        cli.commands["logs"].add_command(shout)
"""


def commands(help_text: str = "Shout something.") -> str:
    return COMMANDS.replace("{help}", help_text)


def in_process_help(args: list[str]) -> tuple[str, list[str]]:
    """A help page drawn in a fresh process, and which of pluggy, attrs and plugins it imported."""
    code = ("import sys; from massgen_plugins.cli import main\n"
            f"try: main({args!r})\nexcept SystemExit: pass\n"
            "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pluggy', 'attrs', 'attr', 'fake_loud')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60).stdout
    page, _, loaded = out.rpartition("LOADED ")
    return page, json.loads(loaded.replace("'", '"'))


def cache_file(home: Path) -> Path:
    return home / "home" / ".cache" / "massgen-plugins" / "commands.json"


def test_after_one_load_help_lists_plugin_commands_without_loading_plugins(make_plugin, cli, home):
    make_plugin("loud", commands())
    first = cli("logs", "--help")
    assert "shout" in first.stdout and cache_file(home).is_file()
    page, loaded = in_process_help(["logs", "--help"])
    assert "shout" in page and "Shout something." in page
    assert loaded == []
    page, loaded = in_process_help(["--help"])
    assert "logs" in page and loaded == []


def test_a_recorded_command_still_runs_and_shows_its_own_help(make_plugin, cli):
    make_plugin("loud", commands())
    cli("--help")
    ran = cli("logs", "shout", "--volume", "2")
    assert ran.returncode == 0 and ran.stdout == "SHOUTSHOUT\n"
    own = cli("logs", "shout", "--help")
    assert own.returncode == 0 and "--volume" in own.stdout and "How loud." in own.stdout


def test_switching_a_plugin_off_in_config_or_environment_shows_at_once(make_plugin, cli):
    make_plugin("loud", commands())
    assert "shout" in cli("logs", "--help").stdout
    assert cli("plugins", "disable", "loud").returncode == 0
    assert "shout" not in cli("logs", "--help").stdout
    assert cli("plugins", "enable", "loud").returncode == 0
    assert "shout" in cli("logs", "--help").stdout
    off = cli("logs", "--help", env={"MASSGEN_DISABLE_PLUGINS": "loud"})
    assert "shout" not in off.stdout
    assert "shout" in cli("logs", "--help").stdout


def test_installing_or_upgrading_a_plugin_shows_at_once(make_plugin, cli, home):
    assert "shout" not in cli("logs", "--help").stdout
    site = make_plugin("loud", commands())
    assert "Shout something." in cli("logs", "--help").stdout
    # An upgrade: new code and a new metadata folder, as an installer lays them down.
    shutil.rmtree(site / "fake_loud-1.0.dist-info")
    make_plugin("loud", commands("Shout it louder."), version="2.0")
    assert "Shout it louder." in cli("logs", "--help").stdout


def test_a_broken_plugin_warns_on_every_help_page(make_plugin, cli):
    make_plugin("loud", commands())
    make_plugin("broken", "raise RuntimeError('no import for you')\n")
    for _ in range(2):
        result = cli("logs", "--help")
        assert result.returncode == 0 and "shout" in result.stdout
        assert "plugin 'broken'" in result.stderr and "no import for you" in result.stderr


def test_an_unreadable_record_is_ignored_and_replaced(make_plugin, cli, home):
    make_plugin("loud", commands())
    cli("--help")
    for garbage in ("{not json", json.dumps({"records": ["a list"]}), json.dumps([1, 2])):
        cache_file(home).write_text(garbage, encoding="utf-8")
        result = cli("logs", "--help")
        assert result.returncode == 0 and "shout" in result.stdout and no_traceback(result)
    assert isinstance(json.loads(cache_file(home).read_text(encoding="utf-8"))["records"], dict)


def test_an_unwritable_cache_folder_costs_nothing_but_speed(make_plugin, cli, home):
    make_plugin("loud", commands())
    blocked = home / "not-a-folder"
    blocked.write_text("a file where the cache folder would go", encoding="utf-8")
    result = cli("logs", "--help", env={"XDG_CACHE_HOME": str(blocked)})
    assert result.returncode == 0 and "shout" in result.stdout and result.stderr == ""
    assert blocked.read_text(encoding="utf-8").startswith("a file")


def test_two_setups_in_turn_keep_their_own_records(make_plugin, cli, home):
    make_plugin("loud", commands())
    off = {"MASSGEN_LOAD_PLUGINS": ""}
    cli("--help")
    cli("--help", env=off)
    records = json.loads(cache_file(home).read_text(encoding="utf-8"))["records"]
    assert len(records) == 2
    shouts = sorted(["logs", "shout"] in [c["path"] for c in kept] for kept in records.values())
    assert shouts == [False, True]
