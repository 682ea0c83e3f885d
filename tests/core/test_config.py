"""Config files layer user < project < --config < env; bad config is one line and exit 2."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT, no_traceback

EXAMPLE_LOGS = ROOT / "examples" / "massgen_logs"

SCHEMA_PLUGIN = """
    from massgen_plugins import hookimpl, Setting

    @hookimpl
    def plugin_settings():
        return {"interval": Setting(float, default=0.25, env="FAKE_INTERVAL"),
                "mode": Setting(str, default="fast", choices=("fast", "slow"))}
"""


def show(cli, *args, env=None):
    result = cli(*args, "config", "show", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_precedence_and_sources(cli, make_plugin, user_config, massgen_user_config, home):
    make_plugin("knobs", SCHEMA_PLUGIN)
    files = {
        massgen_user_config: "agents: []\nplugins:\n  knobs:\n    interval: 0.5\n    mode: slow\n",
        user_config: "plugins:\n  knobs:\n    interval: 1.0\n",
        home / "work" / ".massgen" / "config.yaml":
            "agents: []\ncompression:\n  target_ratio: 0.3\nplugins:\n  knobs:\n    interval: 2.0\n",
        home / "work" / ".massgen-plugins" / "config.yaml": "plugins:\n  knobs:\n    interval: 3.0\n",
        home / "explicit.yaml": "plugins:\n  tui_throttle:\n    enabled: false\n",
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    massgen_project, project, explicit = list(files)[2:]

    out = show(cli, "--config", str(explicit))
    assert out["values"]["plugins"]["knobs"] == {"interval": 3.0, "mode": "slow"}
    assert out["sources"]["plugins.knobs.interval"] == str(project)
    assert out["sources"]["plugins.knobs.mode"] == str(massgen_user_config)
    assert out["sources"]["compression.target_ratio"] == str(massgen_project)
    assert out["sources"]["plugins.tui_throttle.enabled"] == str(explicit)
    assert [(f["role"], f["path"], f["massgen_reads"]) for f in out["files"]] == [
        ("massgen-user", str(massgen_user_config), True), ("user", str(user_config), False),
        ("massgen-project", str(massgen_project), True), ("project", str(project), False),
        ("--config", str(explicit), False)]

    project.unlink()  # the project's own file outranks MassGen's project file, and so on down
    assert show(cli)["sources"]["plugins.knobs.interval"] == str(massgen_project)
    massgen_project.unlink()
    assert show(cli)["sources"]["plugins.knobs.interval"] == str(user_config)
    user_config.unlink()
    assert show(cli)["sources"]["plugins.knobs.interval"] == str(massgen_user_config)

    out = show(cli, env={"FAKE_INTERVAL": "3.5"})
    assert out["values"]["plugins"]["knobs"]["interval"] == 3.5
    assert out["sources"]["plugins.knobs.interval"] == "env FAKE_INTERVAL"


def test_massgens_file_is_read_where_massgen_finds_it_not_under_xdg(cli, make_plugin, home):
    make_plugin("knobs", SCHEMA_PLUGIN)
    # MassGen looks in Path.home() / ".config/massgen", whatever XDG_CONFIG_HOME says.
    decoy = home / "xdg" / "massgen" / "config.yaml"
    decoy.parent.mkdir(parents=True)
    decoy.write_text("agents: []\nplugins:\n  knobs:\n    mode: slow\n")
    assert show(cli)["values"]["plugins"]["knobs"]["mode"] == "fast"


def test_defaults_are_shown_with_their_source(cli, make_plugin):
    make_plugin("knobs", SCHEMA_PLUGIN)
    out = show(cli)
    assert out["values"]["plugins"]["knobs"] == {"interval": 0.25, "mode": "fast"}
    assert out["sources"]["plugins.knobs.mode"] == "default"
    human = cli("config", "show")
    assert "plugins.knobs.interval" in human.stdout and "default" in human.stdout


def test_config_path_lists_the_files_even_when_one_is_broken(cli, user_config,
                                                             massgen_user_config, home):
    for path in (user_config, massgen_user_config):
        path.parent.mkdir(parents=True)
        path.write_text("plugins: [\n")
    result = cli("config", "path", env={"COLUMNS": "1000"})  # one line per file
    assert result.returncode == 0 and result.stderr == ""
    work = home / "work"
    assert result.stdout.splitlines() == [
        f"massgen-user    {massgen_user_config}  (exists; MassGen's default run config: read, "
        "never written)",
        f"user            {user_config}  (exists; plugins enable|disable write here)",
        f"massgen-project {work / '.massgen' / 'config.yaml'}  (missing; MassGen's default run "
        "config: read, never written)",
        f"project         {work / '.massgen-plugins' / 'config.yaml'}  (missing; plugins "
        "enable|disable --project write here)",
        "then environment variables (MASSGEN_*), which win over every file"]


@pytest.mark.parametrize("text, expected", [
    ("plugins:\n  tui_throttle: {enabled: true\n",
     "{cfg}:3:1: invalid YAML (expected ',' or '}}', but got '<stream end>'); fix the syntax there"),
    ("compression:\n  trigger: 0.5\n",
     "{cfg}:2: compression.trigger: unknown key (did you mean 'trigger_ratio'?); known keys: "
     "proactive, target_ratio, trigger_ratio"),
    ("plugins:\n  tui_throttle:\n    enabled: yes\n",
     "{cfg}:3: plugins.tui_throttle.enabled: expected true or false, got 'yes'"),
    ("plugins: on\n",
     "{cfg}:1: plugins: expected a mapping of plugin names to their settings, got 'on'"),
    ("- a\n- b\n",
     "{cfg}: expected a mapping of settings at the top, got a list"),
    ("plugins:\n  knobs:\n    interval: soon\n",
     "{cfg}:3: plugins.knobs.interval: expected a number, got 'soon'"),
    ("plugins:\n  knobs:\n    mode: medium\n",
     "{cfg}:3: plugins.knobs.mode: expected one of fast, slow, got 'medium'"),
    ("plugins:\n  knobs:\n    intervall: 1\n",
     "{cfg}:3: plugins.knobs.intervall: unknown key (did you mean 'interval'?); "
     "known keys: enabled, interval, mode"),
])
@pytest.mark.parametrize("command", [["--help"], ["plugins", "list"], ["config", "show"]])
def test_bad_config_is_one_line_and_exit_2(cli, make_plugin, user_config, text, expected,
                                           command):
    make_plugin("knobs", SCHEMA_PLUGIN)
    user_config.parent.mkdir(parents=True)
    user_config.write_text(text)
    result = cli(*command)
    assert result.returncode == 2 and no_traceback(result)
    assert result.stderr.splitlines() == ["massgen-plugins: error: " + expected.format(cfg=user_config)]


def test_missing_config_file_and_bad_env_value(cli, make_plugin, home):
    make_plugin("knobs", SCHEMA_PLUGIN)
    result = cli("--config", str(home / "nope.yaml"), "config", "show")
    assert result.returncode == 2
    assert result.stderr == (f"massgen-plugins: error: {home / 'nope.yaml'}: config file not found; "
                             "check the path given to --config\n")
    result = cli("config", "show", env={"FAKE_INTERVAL": "fast"})
    assert result.returncode == 2 and no_traceback(result)
    assert result.stderr == ("massgen-plugins: error: environment variable FAKE_INTERVAL: expected a "
                             "number, got 'fast'; fix or unset it\n")


def test_settings_of_a_plugin_that_is_not_installed_are_noted(cli, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("plugins:\n  tui_throtle:\n    enabled: false\n")
    result = cli("plugins", "list")
    assert result.returncode == 0
    assert "note: config has settings for 'tui_throtle', which is not installed" in result.stdout


def test_secret_values_are_masked_in_config_show(cli, make_plugin, user_config):
    make_plugin("keyed", """
        from massgen_plugins import hookimpl, Setting

        @hookimpl
        def plugin_settings():
            return {"api_key": Setting(str)}
    """)
    user_config.parent.mkdir(parents=True)
    user_config.write_text("plugins:\n  keyed:\n    api_key: sk-secret-0123456789abcdef\n")
    for args in (["config", "show"], ["config", "show", "--json"]):
        result = cli(*args)
        assert "sk-secret-0123456789abcdef" not in result.stdout
        assert "****cdef" in result.stdout


# A MassGen run config, as MassGen users keep one in ~/.config/massgen/config.yaml (MassGen's
# default run config). Everything here is MassGen's; `plugins:` is ours, and valid for MassGen.
MASSGEN_ONLY = """\
agents:
  - id: researcher
    backend:
      type: openai
      model: gpt-5-mini
      api_key: sk-proj-this-is-massgens-own-key-0000
    system_message: |
      You research. Keep it short.
  - id: critic
    backend: {type: claude, model: claude-sonnet-4-6}
orchestrator:
  snapshot_storage: snapshots
  agent_temporary_workspace: temp_workspaces
timeout_settings:
  orchestrator_timeout_seconds: 600
ui:
  display_type: textual_terminal
  logging_enabled: true
"""
MASSGEN_RUN_CONFIG = MASSGEN_ONLY + "plugins:\n  tui_throttle:\n    enabled: false\n"


@pytest.mark.parametrize("command", [["--help"], ["plugins", "list", "--json"],
                                     ["config", "show", "--json"], ["config", "path"],
                                     ["logs", "list", "--json", "--logs-dir", str(EXAMPLE_LOGS)]])
def test_a_massgen_run_config_in_the_user_file_is_left_to_massgen(cli, user_config, command):
    user_config.parent.mkdir(parents=True)
    user_config.write_text(MASSGEN_RUN_CONFIG)
    result = cli(*command)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and no_traceback(result)
    if command == ["config", "show", "--json"]:
        values = json.loads(result.stdout)["values"]
        assert set(values) == {"plugins"}, "MassGen's keys are not ours to show"
        assert values["plugins"]["tui_throttle"] == {"enabled": False}
        assert "sk-proj-this-is-massgens-own-key-0000" not in result.stdout
    if command == ["plugins", "list", "--json"]:
        rows = {r["name"]: r for r in json.loads(result.stdout)["plugins"]}
        assert rows["tui_throttle"]["enabled"] is False
        assert rows["tui_throttle"]["disabled_by"] == str(user_config)


@pytest.mark.parametrize("typo, near", [("plugin", "plugins"), ("pluigns", "plugins"),
                                        ("provider", "providers"), ("compresion", "compression")])
def test_a_near_miss_of_our_keys_is_one_warning_and_the_command_runs(cli, user_config, typo, near):
    user_config.parent.mkdir(parents=True)
    user_config.write_text(MASSGEN_ONLY + f"{typo}:\n  tui_throttle:\n    enabled: false\n")
    line = len(MASSGEN_ONLY.splitlines()) + 1
    result = cli("plugins", "list", "--json")
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        f"massgen-plugins: warning: {user_config}:{line}: {typo}: not a massgen-plugins key, so "
        f"it is left to MassGen (did you mean '{near}'?)"]
    rows = {r["name"]: r for r in json.loads(result.stdout)["plugins"]}
    assert rows["tui_throttle"]["enabled"] is True, "a misspelt section switches nothing"
