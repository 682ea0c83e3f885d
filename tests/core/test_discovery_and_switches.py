"""Plugins are found through installed distributions and switched on and off four ways."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest

import massgen_plugins
from tests.conftest import REAL_PLUGINS

COMBOS = list(itertools.product([True, False], repeat=3))


def listing(result: subprocess.CompletedProcess[str]) -> dict[str, dict]:
    assert result.returncode == 0, result.stderr
    return {p["name"]: p for p in json.loads(result.stdout)["plugins"]}


def test_real_plugins_are_discovered_from_their_installed_distributions(cli):
    plugins = listing(cli("plugins", "list", "--json"))
    for name in REAL_PLUGINS:
        row = plugins[name]
        assert row["distribution"] == "massgen-" + name.replace("_", "-")
        assert row["version"] == massgen_plugins.__version__
        assert row["enabled"] and row["loaded"] and row["errors"] == []
    names = [n for n in plugins if n in REAL_PLUGINS]
    assert names == sorted(names), "plugins are listed in a deterministic (sorted) order"


@pytest.mark.parametrize("combo", COMBOS, ids=lambda c: "".join("1" if x else "0" for x in c))
def test_switch_matrix_through_config(cli, user_config, combo):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("plugins:\n" + "".join(
        f"  {n}:\n    enabled: {str(on).lower()}\n" for n, on in zip(REAL_PLUGINS, combo)))
    plugins = listing(cli("plugins", "list", "--json"))
    for name, on in zip(REAL_PLUGINS, combo):
        assert plugins[name]["enabled"] is on
        assert plugins[name]["loaded"] is on
        assert plugins[name]["disabled_by"] == (None if on else str(user_config))


@pytest.mark.parametrize("combo", COMBOS, ids=lambda c: "".join("1" if x else "0" for x in c))
@pytest.mark.parametrize("var", ["MASSGEN_DISABLE_PLUGINS", "MASSGEN_LOAD_PLUGINS"])
def test_switch_matrix_through_env(cli, combo, var):
    wanted = [n for n, on in zip(REAL_PLUGINS, combo) if on == (var == "MASSGEN_LOAD_PLUGINS")]
    plugins = listing(cli("plugins", "list", "--json", env={var: ",".join(wanted)}))
    for name, on in zip(REAL_PLUGINS, combo):
        assert plugins[name]["enabled"] is on
        assert plugins[name]["disabled_by"] == (None if on else f"env {var}")


def test_env_wins_over_config_and_disable_wins_over_load(cli, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("plugins:\n  log_analyzer:\n    enabled: false\n")
    env = {"MASSGEN_LOAD_PLUGINS": "log_analyzer, tui-throttle",
           "MASSGEN_DISABLE_PLUGINS": "tui_throttle"}
    plugins = listing(cli("plugins", "list", "--json", env=env))
    assert plugins["log_analyzer"]["enabled"] is True
    assert plugins["tui_throttle"]["disabled_by"] == "env MASSGEN_DISABLE_PLUGINS"
    assert plugins["compact_openai"]["disabled_by"] == "env MASSGEN_LOAD_PLUGINS"


def test_load_plugins_naming_an_unknown_plugin_warns(cli):
    result = cli("plugins", "list", "--json", env={"MASSGEN_LOAD_PLUGINS": "nope"})
    assert "MASSGEN_LOAD_PLUGINS names 'nope', which is not installed" in result.stderr
    assert not any(p["enabled"] for p in listing(result).values())


def test_a_disabled_plugins_module_is_never_imported(home, make_plugin):
    make_plugin("loud", "raise SystemExit('imported although disabled')")
    code = ("import sys; from massgen_plugins.host import Host; h = Host.create();"
            "print(sorted(m for m in sys.modules if m.startswith(('massgen_log', 'massgen_tui',"
            " 'massgen_compact', 'fake_'))))")
    env_off = "loud,log_analyzer"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**__import__("os").environ, "MASSGEN_DISABLE_PLUGINS": env_off})
    assert out.returncode == 0, out.stderr
    loaded = eval(out.stdout)
    assert "fake_loud" not in loaded and not any(m.startswith("massgen_log") for m in loaded)
    assert "massgen_tui_throttle.plugin" in loaded


def test_a_distribution_seen_twice_on_the_path_loads_once(home, make_plugin, cli):
    hook = """
        from massgen_plugins import hookimpl
        import click
        @hookimpl
        def register_commands(cli):
            cli.add_command(click.Command("twice", callback=lambda: click.echo("hi")))
    """
    make_plugin("twice", hook)
    make_plugin("twice", hook, where=home / "site2")
    env = {"PYTHONPATH": f"{home / 'site'}:{home / 'site2'}"}
    result = cli("plugins", "list", "--json", env=env)
    assert [n for n in listing(result) if n == "twice"] == ["twice"]
    assert "warning" not in result.stderr
    assert cli("twice", env=env).stdout == "hi\n"


def test_two_distributions_claiming_one_name_keep_the_first_and_warn(home, make_plugin, cli):
    make_plugin("same", "", dist="first-dist")
    make_plugin("same", "", dist="second-dist", module="fake_same_2", where=home / "site2")
    env = {"PYTHONPATH": f"{home / 'site'}:{home / 'site2'}"}
    result = cli("plugins", "list", "--json", env=env)
    assert listing(result)["same"]["distribution"] == "first-dist"
    assert "claimed by first-dist and second-dist" in result.stderr
