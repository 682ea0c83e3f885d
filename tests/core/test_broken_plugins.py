"""A broken or misbehaving plugin never takes the core or the other plugins down."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REAL_PLUGINS, no_traceback

GOOD = """
    import click
    from massgen_plugins import hookimpl

    @hookimpl
    def register_commands(cli):
        @click.command()
        def hello():
            "Say hello."
            click.echo("hello from good")
        cli.commands["logs"].add_command(hello)
"""

RAISES_IN_HOOK = """
    import click
    from massgen_plugins import hookimpl

    @hookimpl
    def register_commands(cli):
        cli.add_command(click.Command("half", help="Half registered."))
        raise RuntimeError("boom in hook")
"""


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("massgen-plugins: warning:")]


def test_plugin_whose_import_raises_breaks_neither_help_nor_others(make_plugin, cli):
    make_plugin("good", GOOD)
    make_plugin("broken", "raise ImportError('no module named missing_dep')")
    result = cli("--help")
    assert result.returncode == 0 and no_traceback(result)
    assert warnings(result.stderr) == [
        "massgen-plugins: warning: plugin 'broken': failed to import fake_broken: "
        "ImportError: no module named missing_dep"]
    assert cli("logs", "hello").stdout == "hello from good\n"
    listing = {p["name"]: p for p in json.loads(cli("plugins", "list", "--json").stdout)["plugins"]}
    assert listing["broken"]["enabled"] and not listing["broken"]["loaded"]
    assert "ImportError: no module named missing_dep" in listing["broken"]["errors"][0]
    assert all(listing[n]["loaded"] for n in REAL_PLUGINS)


def test_plugin_that_exits_while_importing_is_contained(make_plugin, cli):
    make_plugin("quitter", "import sys; sys.exit(4)")
    result = cli("plugins", "list")
    assert result.returncode == 0 and no_traceback(result)
    assert "plugin 'quitter': failed to import fake_quitter: SystemExit: 4" in result.stderr


def test_plugin_whose_hook_raises_is_undone_and_the_others_work(make_plugin, cli):
    make_plugin("good", GOOD)
    make_plugin("raiser", RAISES_IN_HOOK)
    result = cli("--help")
    assert result.returncode == 0 and no_traceback(result)
    assert "half" not in result.stdout, "a failed registration leaves no half-made commands"
    assert warnings(result.stderr) == [
        "massgen-plugins: warning: plugin 'raiser': hook register_commands raised RuntimeError: boom in hook"]
    assert "hello" in cli("logs", "--help").stdout


def test_plugin_cannot_replace_a_core_command(make_plugin, cli):
    make_plugin("hijack", """
        import click
        from massgen_plugins import hookimpl

        @hookimpl
        def register_commands(cli):
            cli.add_command(click.Command("config", callback=lambda: click.echo("hijacked")))
    """)
    result = cli("config", "path")
    assert "hijacked" not in result.stdout and "user" in result.stdout
    result = cli("--help")
    assert "plugin 'hijack': tried to replace the command 'massgen-plugins config'" in result.stderr


def test_strict_mode_turns_the_warning_into_a_one_line_error(make_plugin, cli):
    make_plugin("broken", "raise RuntimeError('bad plugin')")
    result = cli("plugins", "list", env={"MASSGEN_STRICT_PLUGINS": "1"})
    assert result.returncode == 3 and no_traceback(result)
    assert result.stderr.strip().splitlines() == [
        "massgen-plugins: error: plugin 'broken': failed to import fake_broken: RuntimeError: bad plugin "
        "(MASSGEN_STRICT_PLUGINS is set)"]


def test_a_hook_that_asks_for_an_argument_the_spec_lacks_is_refused(make_plugin, cli):
    make_plugin("wrongargs", """
        from massgen_plugins import hookimpl

        @hookimpl
        def register_commands(cli, not_an_arg):
            pass
    """)
    result = cli("plugins", "list", "--json")
    assert result.returncode == 0
    assert "plugin 'wrongargs': cannot register: PluginValidationError" in result.stderr


def test_a_misspelled_hook_is_reported(make_plugin, cli):
    make_plugin("typo", """
        from massgen_plugins import hookimpl

        @hookimpl
        def register_comands(cli):
            pass
    """)
    result = cli("plugins", "list", "--json")
    assert "implements unknown hook 'register_comands' (misspelled?)" in result.stderr


def test_secrets_in_a_plugin_error_are_masked(make_plugin, cli):
    key = "sk-test-abcdefghijklmnopqrstuvwxyz123456"
    make_plugin("leaky", f"raise RuntimeError('auth failed for {key}')")
    result = cli("plugins", "list", "--json", env={"OPENAI_API_KEY": key})
    assert key not in result.stderr + result.stdout
    assert "auth failed for ****3456" in result.stderr


@pytest.mark.parametrize("marker", ["wrapper=True", "hookwrapper=True"])
def test_a_pluggy_wrapper_is_refused_by_name_never_dropped_in_silence(make_plugin, cli, marker):
    make_plugin("wrapping", f"""
        from massgen_plugins import hookimpl

        @hookimpl({marker})
        def resolve_analysis_model(spec):
            return (yield)

        @hookimpl
        def plugin_settings():
            return {{}}
    """)
    result = cli("plugins", "list", "--json")
    assert result.returncode == 0, result.stderr
    (line,) = [x for x in result.stderr.splitlines() if "wrapping" in x]
    assert line == ("massgen-plugins: warning: plugin 'wrapping': implements hook "
                    "'resolve_analysis_model' as a pluggy wrapper (wrapper=True or "
                    "hookwrapper=True), which massgen-plugins does not run; implement it as a "
                    "plain hook")
    (row,) = [p for p in json.loads(result.stdout)["plugins"] if p["name"] == "wrapping"]
    assert row["hooks"] == ["plugin_settings"] and row["errors"]


# A plugin that hangs or leaves threads behind: every call has a deadline (deadlines)
# and runs on a daemon thread, so the command still ends, with its own exit status.

FAST = "deadlines: {import: 1, register_commands: 1}\n"


@pytest.fixture
def fast_deadlines(user_config):
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text(FAST)


def test_a_plugin_whose_import_hangs_is_named_and_the_command_goes_on(make_plugin, cli,
                                                                      fast_deadlines):
    make_plugin("good", GOOD)
    make_plugin("stuck", "import time\ntime.sleep(3600)\n")
    result = cli("logs", "hello")
    assert result.returncode == 0 and no_traceback(result)
    assert result.stdout == "hello from good\n"
    assert warnings(result.stderr) == [
        "massgen-plugins: warning: plugin 'stuck': import of fake_stuck did not finish within "
        "1 s; going on without it"]


def test_a_non_daemon_thread_started_at_import_does_not_hold_the_command(make_plugin, cli):
    make_plugin("spawner", """
        import threading, time
        threading.Thread(target=time.sleep, args=(3600,), daemon=False, name="forever").start()
    """)
    result = cli("plugins", "list", "--json")  # cli() fails the test after 120 s
    assert result.returncode == 0 and no_traceback(result)
    assert warnings(result.stderr) == [
        "massgen-plugins: warning: plugin 'spawner': started the non-daemon thread 'forever'; "
        "it runs as a daemon thread, so that it cannot keep the process alive"]
    listing = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    assert listing["spawner"]["loaded"]


@pytest.mark.parametrize("body, problem", [
    ("time.sleep(3600)", "did not return within 1 s; not asked again in this process"),
    ("raise KeyboardInterrupt", "raised KeyboardInterrupt"),
    ("raise SystemExit(5)", "raised SystemExit: 5"),
])
def test_a_hook_that_hangs_or_interrupts_is_the_plugins_failure(make_plugin, cli, fast_deadlines,
                                                                body, problem):
    make_plugin("good", GOOD)
    make_plugin("bad", f"""
        import time
        from massgen_plugins import hookimpl

        @hookimpl
        def register_commands(cli):
            {body}
    """)
    result = cli("logs", "hello")
    assert result.returncode == 0 and no_traceback(result)
    assert result.stdout == "hello from good\n"
    assert warnings(result.stderr) == [
        f"massgen-plugins: warning: plugin 'bad': hook register_commands {problem}"]


def test_a_deadline_of_zero_is_named_and_the_default_used(make_plugin, cli, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("deadlines: {import: 0}\n")
    result = cli("plugins", "list")
    assert result.returncode == 0
    assert warnings(result.stderr) == [
        f"massgen-plugins: warning: {user_config}: deadlines.import: expected more than "
        "0 seconds, got 0; using 30"]
    user_config.write_text("deadlines: {compress_context: soon}\n")
    result = cli("plugins", "list")
    assert result.returncode != 0 and no_traceback(result)
    assert "deadlines.compress_context: expected a number, got 'soon'" in result.stderr
