"""`massgen plugins enable|disable` write the switch and keep the rest of the file as it was."""

from __future__ import annotations

import json

from tests.conftest import no_traceback

KEPT = """\
# My MassGen settings.
plugins:
    not_installed_here:   # kept as it is
        colour: blue   # keep this comment
    tui_throttle:
        enabled: true
"""


def enabled(massgen, name, env=None):
    rows = json.loads(massgen("plugins", "list", "--json", env=env).stdout)["plugins"]
    return next(r for r in rows if r["name"] == name)


def test_disable_then_enable_in_the_user_config(massgen, user_config):
    result = massgen("plugins", "disable", "tui_throttle")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"tui_throttle: disabled in {user_config}\n"
    assert user_config.read_text() == "plugins:\n  tui_throttle:\n    enabled: false\n"
    assert enabled(massgen, "tui_throttle")["disabled_by"] == str(user_config)
    massgen("plugins", "enable", "tui-throttle")
    assert enabled(massgen, "tui_throttle")["enabled"] is True


def test_the_rest_of_the_file_is_kept_byte_for_byte(massgen, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text(KEPT)
    assert massgen("plugins", "disable", "tui_throttle").returncode == 0
    assert user_config.read_text() == KEPT.replace("enabled: true", "enabled: false")


def test_project_switch_and_a_note_when_something_else_wins(massgen, user_config, home):
    result = massgen("plugins", "disable", "log_analyzer", "--project")
    project = home / "work" / ".massgen" / "config.yaml"
    assert result.stdout == f"log_analyzer: disabled in {project}\n"
    assert not user_config.exists()
    result = massgen("plugins", "enable", "log_analyzer")
    assert result.stdout.splitlines()[1] == (
        f"note: {project} says false for log_analyzer, and it wins")
    assert enabled(massgen, "log_analyzer")["enabled"] is False
    result = massgen("plugins", "enable", "log_analyzer", "--project",
                     env={"MASSGEN_DISABLE_PLUGINS": "log_analyzer"})
    assert "note: env MASSGEN_DISABLE_PLUGINS says false" in result.stdout


def test_unknown_name_is_refused_and_nothing_is_written(massgen, user_config):
    result = massgen("plugins", "disable", "tui_throtle")
    assert result.returncode == 2 and no_traceback(result)
    assert result.stderr == ("massgen: error: no installed plugin is named 'tui_throtle'; did you "
                             "mean 'tui_throttle'? installed: compact_openai, log_analyzer, "
                             "tui_throttle\n")
    assert not user_config.exists()


def test_a_broken_file_is_left_untouched(massgen, user_config):
    user_config.parent.mkdir(parents=True)
    broken = "plugins:\n  tui_throttle: [\n"
    user_config.write_text(broken)
    result = massgen("plugins", "disable", "tui_throttle")
    assert result.returncode == 2 and no_traceback(result)
    assert str(user_config) in result.stderr and "invalid YAML" in result.stderr
    assert user_config.read_text() == broken
    assert [p.name for p in user_config.parent.iterdir()] == ["config.yaml"]
