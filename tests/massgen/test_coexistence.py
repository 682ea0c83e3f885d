"""Beside the real MassGen 0.1.97: both commands work, its pins hold, its config files stay its own.

Our switches never write MassGen's config files: tests/massgen/test_switch_files.py runs MassGen
after them.

These run in the environment `make test` builds with the real `massgen==0.1.97` from the
package index plus our four distributions (`.venv-massgen`).
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import no_traceback

OURS = ("massgen-plugins", "massgen-compact-openai", "massgen-log-analyzer", "massgen-tui-throttle")
PLUGINS = {"compact_openai", "log_analyzer", "tui_throttle"}


def run(*cmd: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")}
    env.update(HOME=str(home / "home"), XDG_CONFIG_HOME=str(home / "xdg"))
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=home / "work",
                          timeout=timeout)


def test_massgen_is_massgens_and_massgen_plugins_is_ours(real_massgen, home):
    bindir = Path(sys.executable).parent
    script = (bindir / "massgen").read_text()
    assert "from massgen.cli import cli_main" in script, "bin/massgen must be MassGen's own"
    theirs = run(str(bindir / "massgen"), "--help", home=home)
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stdout.startswith("usage: massgen") and "--automation" in theirs.stdout
    ours = run(str(bindir / "massgen-plugins"), "--help", home=home)
    assert ours.returncode == 0 and ours.stdout.startswith("Usage: massgen-plugins")
    for name in OURS:
        scripts = {ep.name for ep in md.distribution(name).entry_points
                   if ep.group == "console_scripts"}
        assert "massgen" not in scripts, f"{name} must not install a script named massgen"


def test_massgens_pins_are_kept(real_massgen):
    pins = [Requirement(r) for r in md.requires("massgen") or []]
    pins = [r for r in pins if r.marker is None and any(s.operator == "==" for s in r.specifier)]
    assert {r.name for r in pins} >= {"openai", "rich"}
    for req in pins:
        assert req.specifier.contains(md.version(req.name)), f"{req} broken: {md.version(req.name)}"
    assert md.version("openai") == "2.2.0" and md.version("rich") == "14.1.0"


def example_configs(package: Path) -> list[Path]:
    return sorted((package / "configs").rglob("*.y*ml"))


def test_every_massgen_example_config_leaves_our_host_working(real_massgen, home, monkeypatch,
                                                             massgen_user_config):
    from massgen_plugins.config import Config
    from massgen_plugins.host import Host

    configs = example_configs(real_massgen)
    assert len(configs) > 200, "MassGen 0.1.97 ships a few hundred example configs"
    massgen_user_config.parent.mkdir(parents=True)
    reported: list[str] = []
    for config in configs:
        massgen_user_config.write_bytes(config.read_bytes())
        host = Host(Config.load(environ={}), environ={}, echo=reported.append)
        assert {r.name for r in host.records if r.loaded} == PLUGINS, config
    assert reported == []


@pytest.mark.parametrize("command", [["--help"], ["plugins", "list", "--json"],
                                     ["config", "show", "--json"], ["config", "path"],
                                     ["logs", "models", "--json"]])
def test_our_commands_with_a_massgen_config_in_each_file(real_massgen, home, massgen_user_config,
                                                        command):
    configs = example_configs(real_massgen)
    sample = [configs[0], configs[len(configs) // 2], configs[-1]]
    project = home / "work" / ".massgen" / "config.yaml"
    project.parent.mkdir(parents=True)
    massgen_user_config.parent.mkdir(parents=True)
    script = str(Path(sys.executable).parent / "massgen-plugins")
    for user, proj in zip(sample, reversed(sample)):
        massgen_user_config.write_bytes(user.read_bytes())
        project.write_bytes(proj.read_bytes())
        result = run(script, *command, home=home)
        assert result.returncode == 0 and result.stderr == "" and no_traceback(result), (
            user, proj, result.stderr)
        if command == ["plugins", "list", "--json"]:
            rows = json.loads(result.stdout)["plugins"]
            assert {r["name"] for r in rows if r["enabled"] and r["loaded"]} == PLUGINS


def test_a_switch_changes_only_its_own_lines_in_files_shaped_like_massgens(real_massgen,
                                                                           user_config):
    # Our file is the user's too: MassGen's few hundred configs are a corpus of the YAML
    # people write (indents, flow style, block scalars, comments).
    import yaml

    from massgen_plugins.switches import set_plugin_enabled

    user_config.parent.mkdir(parents=True)
    for config in example_configs(real_massgen):
        text = config.read_text(encoding="utf-8")
        user_config.write_text(text, encoding="utf-8")
        before = yaml.safe_load(text)
        set_plugin_enabled(user_config, "tui_throttle", False)
        written = user_config.read_text(encoding="utf-8")
        # Three lines, at the file's own top-level indent, and nothing else.
        added = re.compile(r"^( *)plugins:\n\1  tui_throttle:\n\1    enabled: false\n", re.M)
        assert added.sub("", written, count=1) == text, f"{config}: only the switch is added"
        after = yaml.safe_load(written)
        assert after.pop("plugins") == {"tui_throttle": {"enabled": False}}, config
        assert after == before, f"{config}: the other settings changed"
