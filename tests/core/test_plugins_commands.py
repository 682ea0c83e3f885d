"""`massgen-plugins plugins enable|disable` write the switch and keep the rest of the file as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import no_traceback

KEPT = """\
# My MassGen settings.
plugins:
    not_installed_here:   # kept as it is
        colour: blue   # keep this comment
    tui_throttle:
        enabled: true
"""


def enabled(cli, name, env=None):
    rows = json.loads(cli("plugins", "list", "--json", env=env).stdout)["plugins"]
    return next(r for r in rows if r["name"] == name)


def test_disable_then_enable_in_the_user_config(cli, user_config):
    result = cli("plugins", "disable", "tui_throttle")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"tui_throttle: disabled in {user_config}\n"
    assert user_config.read_text() == "plugins:\n  tui_throttle:\n    enabled: false\n"
    assert enabled(cli, "tui_throttle")["disabled_by"] == str(user_config)
    cli("plugins", "enable", "tui-throttle")
    assert enabled(cli, "tui_throttle")["enabled"] is True


def test_the_rest_of_the_file_is_kept_byte_for_byte(cli, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text(KEPT)
    assert cli("plugins", "disable", "tui_throttle").returncode == 0
    assert user_config.read_text() == KEPT.replace("enabled: true", "enabled: false")


def test_project_switch_and_a_note_when_something_else_wins(cli, user_config, home):
    result = cli("plugins", "disable", "log_analyzer", "--project")
    project = home / "work" / ".massgen-plugins" / "config.yaml"
    assert result.stdout == f"log_analyzer: disabled in {project}\n"
    assert not user_config.exists() and not (home / "work" / ".massgen").exists()
    result = cli("plugins", "enable", "log_analyzer")
    assert result.stdout.splitlines()[1] == (
        f"note: {project} says false for log_analyzer, and it wins")
    assert enabled(cli, "log_analyzer")["enabled"] is False
    result = cli("plugins", "enable", "log_analyzer", "--project",
                     env={"MASSGEN_DISABLE_PLUGINS": "log_analyzer"})
    assert "note: env MASSGEN_DISABLE_PLUGINS says false" in result.stdout


def test_massgens_project_config_outranks_the_user_switch_and_is_never_written(cli, user_config,
                                                                             home):
    massgen_project = home / "work" / ".massgen" / "config.yaml"
    massgen_project.parent.mkdir()
    text = "agents:\n  - id: a\n    backend: {type: openai, model: gpt-5}\nplugins:\n" \
           "  tui_throttle:\n    enabled: false\n"
    massgen_project.write_text(text)
    result = cli("plugins", "enable", "tui_throttle")
    assert result.stdout.splitlines() == [
        f"tui_throttle: enabled in {user_config}",
        f"note: {massgen_project} says false for tui_throttle, and it wins"]
    assert enabled(cli, "tui_throttle")["disabled_by"] == str(massgen_project)
    result = cli("plugins", "enable", "tui_throttle", "--project")
    assert result.stdout == (f"tui_throttle: enabled in "
                             f"{home / 'work' / '.massgen-plugins' / 'config.yaml'}\n")
    row = enabled(cli, "tui_throttle")
    assert row["enabled"] is True
    assert row["switched_by"] == str(home / "work" / ".massgen-plugins" / "config.yaml")
    assert massgen_project.read_text() == text


def test_unknown_name_is_refused_and_nothing_is_written(cli, user_config):
    result = cli("plugins", "disable", "tui_throtle")
    assert result.returncode == 2 and no_traceback(result)
    assert result.stderr == ("massgen-plugins: error: no installed plugin is named 'tui_throtle'; did you "
                             "mean 'tui_throttle'? installed: compact_openai, log_analyzer, "
                             "tui_throttle\n")
    assert not user_config.exists()


def test_a_broken_file_is_left_untouched(cli, user_config):
    user_config.parent.mkdir(parents=True)
    broken = "plugins:\n  tui_throttle: [\n"
    user_config.write_text(broken)
    result = cli("plugins", "disable", "tui_throttle")
    assert result.returncode == 2 and no_traceback(result)
    assert str(user_config) in result.stderr and "invalid YAML" in result.stderr
    assert user_config.read_text() == broken
    # No temporary file is left behind (the lock file is the writers' meeting point).
    assert [p.name for p in user_config.parent.iterdir() if not p.name.endswith(".lock")] == [
        "config.yaml"]


def test_a_symlinked_config_is_written_at_its_target(cli, user_config, home):
    dotfiles = home / "dotfiles" / "massgen.yaml"
    dotfiles.parent.mkdir()
    dotfiles.write_text(KEPT)
    user_config.parent.mkdir(parents=True)
    user_config.symlink_to(dotfiles)
    result = cli("plugins", "disable", "tui_throttle")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"tui_throttle: disabled in {dotfiles} (through the symlink "
                             f"{user_config})\n")
    assert user_config.is_symlink(), "the link is kept, not replaced by a copy"
    assert dotfiles.read_text() == KEPT.replace("enabled: true", "enabled: false")
    assert enabled(cli, "tui_throttle")["enabled"] is False


def test_concurrent_switches_are_all_kept(cli, user_config, make_plugin):
    import subprocess
    import sys

    names = [f"p{n}" for n in range(8)]
    for name in names:
        make_plugin(name, "")
    user_config.parent.mkdir(parents=True)
    user_config.write_text(KEPT)
    script = Path(sys.executable).parent / "massgen-plugins"
    procs = [subprocess.Popen([str(script), "plugins", "disable", name], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for name in names]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    data = YAML(typ="safe").load(user_config.read_text())
    assert {n: data["plugins"][n] for n in names} == {n: {"enabled": False} for n in names}
    assert data["plugins"]["not_installed_here"] == {"colour": "blue"}


def test_a_write_is_synced_before_it_replaces_the_file(user_config, monkeypatch):
    import os

    from massgen_plugins.switches import set_plugin_enabled

    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    set_plugin_enabled(user_config, "tui_throttle", False)
    assert calls[:2] == ["fsync", "replace"]

    def crash(a, b):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    before = user_config.read_text()
    with pytest.raises(OSError, match="No space left"):
        set_plugin_enabled(user_config, "tui_throttle", True)
    assert user_config.read_text() == before
    assert [p.name for p in user_config.parent.iterdir() if not p.name.endswith(".lock")] == [
        "config.yaml"]


@pytest.mark.parametrize("before, after", [
    # No plugins section: appended; MassGen's quoting and spacing untouched.
    ('agents:\n  - id: "a"\n    backend: {type: openai}\n',
     'agents:\n  - id: "a"\n    backend: {type: openai}\nplugins:\n  tui_throttle:\n'
     '    enabled: false\n'),
    # No newline at the end of the file, which may end a block scalar: the section goes first.
    ("# mine\nui:\n  prompt: |\n    line one", "# mine\nplugins:\n  tui_throttle:\n"
                                              "    enabled: false\nui:\n  prompt: |\n    line one"),
    # A plugins section without this plugin: inserted at the section's own indent.
    ("plugins:\n   log_analyzer:   # mine\n      default_model: x\nui: {}\n",
     "plugins:\n   tui_throttle:\n     enabled: false\n   log_analyzer:   # mine\n"
     "      default_model: x\nui: {}\n"),
    # The plugin's section without `enabled`: one line, aligned with its keys.
    ("plugins:\n  tui_throttle:\n      max_fps: 10   # tuned\n",
     "plugins:\n  tui_throttle:\n      enabled: false\n      max_fps: 10   # tuned\n"),
    # An existing value keeps its comment.
    ("plugins:\n  tui_throttle:\n    enabled: TRUE   # on for now\n",
     "plugins:\n  tui_throttle:\n    enabled: false   # on for now\n"),
])
def test_a_switch_changes_only_the_text_it_must(user_config, before, after):
    from massgen_plugins.switches import set_plugin_enabled

    user_config.parent.mkdir(parents=True)
    user_config.write_text(before)
    set_plugin_enabled(user_config, "tui_throttle", False)
    assert user_config.read_text() == after


def test_a_flow_style_plugins_section_is_rewritten_with_its_comments(user_config):
    from massgen_plugins.switches import set_plugin_enabled

    user_config.parent.mkdir(parents=True)
    user_config.write_text("# keep me\nplugins: {log_analyzer: {}}\n")
    set_plugin_enabled(user_config, "tui_throttle", False)
    data = YAML(typ="safe").load(user_config.read_text())
    assert data == {"plugins": {"log_analyzer": {}, "tui_throttle": {"enabled": False}}}
    assert user_config.read_text().startswith("# keep me\n")
