"""MassGen's own config files: our switches never go there, and a file an old switch left is found and moved.

MassGen runs `.massgen/config.yaml` (here) or `~/.config/massgen/config.yaml` as its config
when no `--config` is given; a file there holding only `plugins:` makes `massgen "question"`
fail. Real MassGen runs with these files are in tests/massgen/test_switch_files.py.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import no_traceback

OLD_SWITCH = "plugins:\n  tui_throttle:\n    enabled: false\n"
MASSGEN_CONFIG = ("agents:\n  - id: a\n    backend: {type: openai, model: gpt-5}\n"
                  "plugins:\n  tui_throttle:\n    enabled: false\n")


def values(cli):
    result = cli("config", "show", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    return out["values"], out["sources"]


def warning(path, ours, here=""):
    return (f"massgen-plugins: warning: {path}: holds only massgen-plugins settings, but MassGen "
            f"runs this file as its config, so `massgen \"question\"` fails{here}; run "
            f"`massgen-plugins config migrate` to move them to {ours}")


def test_switches_write_only_our_own_files(cli, home, user_config, massgen_user_config):
    for args in (["disable", "tui_throttle"], ["enable", "log_analyzer"],
                 ["disable", "compact_openai", "--project"]):
        assert cli("plugins", *args).returncode == 0
    made = sorted(str(p.relative_to(home)) for p in home.rglob("*")
                  if p.is_file() and ".cache" not in p.parts and not p.name.endswith(".lock"))
    assert made == ["work/.massgen-plugins/config.yaml", "xdg/massgen-plugins/config.yaml"]
    assert not massgen_user_config.parent.exists() and not (home / "work" / ".massgen").exists()


@pytest.mark.parametrize("command", [["plugins", "list"], ["config", "show"], ["doctor"],
                                     ["plugins", "enable", "tui_throttle"]])
def test_a_massgen_file_holding_only_our_settings_is_one_warning(cli, home, user_config,
                                                                  massgen_user_config, command):
    massgen_user_config.parent.mkdir(parents=True)
    massgen_user_config.write_text(OLD_SWITCH)
    result = cli(*command)
    assert result.returncode == 0 and no_traceback(result), result.stderr
    assert result.stderr.splitlines() == [warning(massgen_user_config, user_config)]


def test_the_project_file_of_massgen_is_checked_too(cli, home):
    project = home / "work" / ".massgen" / "config.yaml"
    project.parent.mkdir()
    project.write_text("compression:\n  trigger_ratio: 0.7\n")
    result = cli("plugins", "list")
    ours = home / "work" / ".massgen-plugins" / "config.yaml"
    assert result.stderr.splitlines() == [warning(project, ours, " here")]
    assert "holds only massgen-plugins settings" in cli("config", "path").stdout
    # The commands that loaded the config say the same of it, from what they read.
    for command in (("plugins", "list", "--json"), ("config", "show", "--json")):
        files = json.loads(cli(*command).stdout)["files"]
        assert [f["breaks_massgen"] for f in files if f["path"] == str(project)] == [True]


@pytest.mark.parametrize("text", [MASSGEN_CONFIG, "", "# nothing yet\n", "ui:\n  theme: dark\n"])
def test_no_warning_for_a_massgen_config_or_a_file_without_our_keys(cli, massgen_user_config,
                                                                    text):
    massgen_user_config.parent.mkdir(parents=True)
    massgen_user_config.write_text(text)
    result = cli("plugins", "list")
    assert result.returncode == 0 and result.stderr == ""


def test_our_own_file_holding_only_our_settings_is_no_problem(cli, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text(OLD_SWITCH)
    assert cli("plugins", "list").stderr == ""


def test_migrate_moves_the_file_byte_for_byte_and_removes_it(cli, user_config,
                                                              massgen_user_config):
    text = ("# switched off by massgen-plugins\nplugins:\n  tui_throttle:\n    enabled: false"
            "   # too slow here\nproviders:\n  openai:\n    base_url: http://127.0.0.1:9/v1\n")
    massgen_user_config.parent.mkdir(parents=True)
    massgen_user_config.write_text(text)
    before, _ = values(cli)
    result = cli("config", "migrate")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.splitlines() == [
        f"moved {massgen_user_config} to {user_config}",
        f"removed {massgen_user_config}, so MassGen runs as if it had never been written"]
    assert user_config.read_text() == text
    assert not massgen_user_config.exists()
    after, sources = values(cli)
    assert after == before and sources["plugins.tui_throttle.enabled"] == str(user_config)
    assert cli("plugins", "list").stderr == ""
    again = cli("config", "migrate")
    assert again.stdout == ("Nothing to migrate: no file MassGen reads holds only "
                            "massgen-plugins settings.\n")


def test_migrate_merges_into_our_file_and_keeps_every_line(cli, user_config, massgen_user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("# mine\nplugins:\n  tui_throttle:\n    enabled: true  # keep on\n")
    old = "plugins:\n  tui_throttle:\n    enabled: false\n  log_analyzer:\n    enabled: false\n"
    massgen_user_config.parent.mkdir(parents=True)
    massgen_user_config.write_text(old)
    before, _ = values(cli)
    assert before["plugins"]["tui_throttle"]["enabled"] is True  # ours outranked MassGen's
    result = cli("config", "migrate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"merged {massgen_user_config} into {user_config}")
    assert values(cli)[0] == before
    merged = user_config.read_text()
    assert merged.startswith("# mine\nplugins:\n  tui_throttle:\n    enabled: true  # keep on\n")
    assert merged.endswith("".join(f"# {line}\n" for line in old.splitlines()))
    assert not massgen_user_config.exists()


def test_migrate_moves_the_project_file_into_our_project_file(cli, home, user_config):
    massgen_project = home / "work" / ".massgen" / "config.yaml"
    massgen_project.parent.mkdir()
    massgen_project.write_text(OLD_SWITCH)
    (massgen_project.parent / "massgen_logs").mkdir()  # MassGen's own folder stays
    result = cli("config", "migrate")
    ours = home / "work" / ".massgen-plugins" / "config.yaml"
    assert result.stdout.splitlines()[0] == f"moved {massgen_project} to {ours}"
    assert ours.read_text() == OLD_SWITCH and not massgen_project.exists()
    assert (massgen_project.parent / "massgen_logs").is_dir() and not user_config.exists()


def test_migrate_leaves_a_real_massgen_config_alone(cli, user_config, massgen_user_config):
    massgen_user_config.parent.mkdir(parents=True)
    massgen_user_config.write_text(MASSGEN_CONFIG)
    result = cli("config", "migrate")
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"{massgen_user_config}: a MassGen config that holds massgen-plugins settings too; left "
        "as it is (MassGen ignores them)",
        "Nothing to migrate: no file MassGen reads holds only massgen-plugins settings."]
    assert massgen_user_config.read_text() == MASSGEN_CONFIG and not user_config.exists()


def test_migrate_removes_a_link_and_leaves_what_it_points_to(cli, home, user_config,
                                                             massgen_user_config):
    dotfiles = home / "dotfiles" / "massgen.yaml"
    dotfiles.parent.mkdir()
    dotfiles.write_text(OLD_SWITCH)
    massgen_user_config.parent.mkdir(parents=True)
    massgen_user_config.symlink_to(dotfiles)
    result = cli("config", "migrate")
    assert result.stdout.splitlines()[1] == (
        f"removed the link {massgen_user_config} (the file it pointed to is left as it was)")
    assert not massgen_user_config.is_symlink() and dotfiles.read_text() == OLD_SWITCH
    assert user_config.read_text() == OLD_SWITCH


def test_migrate_changes_nothing_when_a_file_is_broken(cli, home, user_config,
                                                       massgen_user_config):
    massgen_user_config.parent.mkdir(parents=True)
    massgen_user_config.write_text(OLD_SWITCH)
    user_config.parent.mkdir(parents=True)
    user_config.write_text("plugins: [\n")
    result = cli("config", "migrate")
    assert result.returncode == 2 and no_traceback(result)
    assert str(user_config) in result.stderr and "invalid YAML" in result.stderr
    assert massgen_user_config.read_text() == OLD_SWITCH
    assert user_config.read_text() == "plugins: [\n"
