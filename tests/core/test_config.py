"""Config files layer user < project < --config < env; bad config is one line and exit 2."""

from __future__ import annotations

import json

import pytest

from tests.conftest import no_traceback

SCHEMA_PLUGIN = """
    from massgen_plugins import hookimpl, Setting

    @hookimpl
    def plugin_settings():
        return {"interval": Setting(float, default=0.25, env="FAKE_INTERVAL"),
                "mode": Setting(str, default="fast", choices=("fast", "slow"))}
"""


def show(massgen, *args, env=None):
    result = massgen(*args, "config", "show", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_precedence_and_sources(massgen, make_plugin, user_config, home):
    make_plugin("knobs", SCHEMA_PLUGIN)
    user_config.parent.mkdir(parents=True)
    user_config.write_text("plugins:\n  knobs:\n    interval: 1.0\n    mode: slow\n")
    project = home / "work" / ".massgen" / "config.yaml"
    project.parent.mkdir()
    project.write_text("plugins:\n  knobs:\n    interval: 2.0\n")
    explicit = home / "explicit.yaml"
    explicit.write_text("plugins:\n  tui_throttle:\n    enabled: false\n")

    out = show(massgen, "--config", str(explicit))
    assert out["values"]["plugins"]["knobs"] == {"interval": 2.0, "mode": "slow"}
    assert out["sources"]["plugins.knobs.interval"] == str(project)
    assert out["sources"]["plugins.knobs.mode"] == str(user_config)
    assert out["sources"]["plugins.tui_throttle.enabled"] == str(explicit)
    assert [f["role"] for f in out["files"]] == ["user", "project", "--config"]

    out = show(massgen, env={"FAKE_INTERVAL": "3.5"})
    assert out["values"]["plugins"]["knobs"]["interval"] == 3.5
    assert out["sources"]["plugins.knobs.interval"] == "env FAKE_INTERVAL"


def test_defaults_are_shown_with_their_source(massgen, make_plugin):
    make_plugin("knobs", SCHEMA_PLUGIN)
    out = show(massgen)
    assert out["values"]["plugins"]["knobs"] == {"interval": 0.25, "mode": "fast"}
    assert out["sources"]["plugins.knobs.mode"] == "default"
    human = massgen("config", "show")
    assert "plugins.knobs.interval" in human.stdout and "default" in human.stdout


def test_config_path_lists_the_files_even_when_one_is_broken(massgen, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("plugins: [\n")
    result = massgen("config", "path")
    assert result.returncode == 0
    assert f"user      {user_config}  (exists)" in result.stdout
    assert "project" in result.stdout and "(missing)" in result.stdout


@pytest.mark.parametrize("text, expected", [
    ("plugins:\n  tui_throttle: {enabled: true\n",
     "{cfg}:3:1: invalid YAML (expected ',' or '}}', but got '<stream end>'); fix the syntax there"),
    ("plugns:\n  x: 1\n",
     "{cfg}:1: plugns: unknown key (did you mean 'plugins'?); known keys: compression, "
     "models, plugins, providers, tui"),
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
def test_bad_config_is_one_line_and_exit_2(massgen, make_plugin, user_config, text, expected,
                                           command):
    make_plugin("knobs", SCHEMA_PLUGIN)
    user_config.parent.mkdir(parents=True)
    user_config.write_text(text)
    result = massgen(*command)
    assert result.returncode == 2 and no_traceback(result)
    assert result.stderr.splitlines() == ["massgen: error: " + expected.format(cfg=user_config)]


def test_missing_config_file_and_bad_env_value(massgen, make_plugin, home):
    make_plugin("knobs", SCHEMA_PLUGIN)
    result = massgen("--config", str(home / "nope.yaml"), "config", "show")
    assert result.returncode == 2
    assert result.stderr == (f"massgen: error: {home / 'nope.yaml'}: config file not found; "
                             "check the path given to --config\n")
    result = massgen("config", "show", env={"FAKE_INTERVAL": "fast"})
    assert result.returncode == 2 and no_traceback(result)
    assert result.stderr == ("massgen: error: environment variable FAKE_INTERVAL: expected a "
                             "number, got 'fast'; fix or unset it\n")


def test_settings_of_a_plugin_that_is_not_installed_are_noted(massgen, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("plugins:\n  tui_throtle:\n    enabled: false\n")
    result = massgen("plugins", "list")
    assert result.returncode == 0
    assert "note: config has settings for 'tui_throtle', which is not installed" in result.stdout


def test_secret_values_are_masked_in_config_show(massgen, make_plugin, user_config):
    make_plugin("keyed", """
        from massgen_plugins import hookimpl, Setting

        @hookimpl
        def plugin_settings():
            return {"api_key": Setting(str)}
    """)
    user_config.parent.mkdir(parents=True)
    user_config.write_text("plugins:\n  keyed:\n    api_key: sk-secret-0123456789abcdef\n")
    for args in (["config", "show"], ["config", "show", "--json"]):
        result = massgen(*args)
        assert "sk-secret-0123456789abcdef" not in result.stdout
        assert "****cdef" in result.stdout
