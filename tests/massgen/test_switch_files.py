"""The real MassGen after our switches: `massgen "question"` finds its own config, or none, as before.

A plain `massgen` (no --config) runs `.massgen/config.yaml` here or `~/.config/massgen/config.yaml`.
`massgen-plugins plugins enable|disable` (user and --project) must change neither, create
neither, and leave MassGen doing exactly what it did. Each `massgen` process imports all of
MassGen (about 20 s), so each case runs it once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from massgen_plugins.testing.massgen_driver import MassgenDriver
from tests.massgen.conftest import HEAVY_OFF, LOOPBACK_ONLY

BIN = Path(sys.executable).parent
SWITCHES = [["disable", "tui_throttle"], ["disable", "log_analyzer", "--project"],
            ["enable", "compact_openai"], ["enable", "tui_throttle", "--project"]]


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k.upper() not in LOOPBACK_ONLY and not k.startswith("MASSGEN")}
    return {**env, **LOOPBACK_ONLY, **(extra or {})}


def switch_everything(home: Path) -> None:
    for args in SWITCHES:
        done = subprocess.run([str(BIN / "massgen-plugins"), "plugins", *args], capture_output=True,
                              text=True, cwd=home / "work", env=environment(), timeout=120)
        assert done.returncode == 0 and done.stderr == "", done.stderr


def plain_massgen(home: Path, question: str = "What is 2+2?") -> subprocess.CompletedProcess[str]:
    """`massgen --automation QUESTION` with no --config, as a user types it."""
    return subprocess.run([str(BIN / "massgen"), "--automation", "--no-session-registry",
                           question], capture_output=True, text=True, cwd=home / "work",
                          env=environment(), timeout=400, stdin=subprocess.DEVNULL)


def test_a_working_global_config_still_runs_after_every_switch(real_massgen, home,
                                                              massgen_user_config,
                                                              massgen_emulator):
    massgen_emulator.responder = MassgenDriver()
    text = (f"agents:\n  - id: agent_a\n    backend: {{type: openai, model: gpt-4o, base_url: "
            f"{massgen_emulator.base_url('openai')}}}\n{HEAVY_OFF}")
    massgen_user_config.parent.mkdir(parents=True)
    massgen_user_config.write_text(text)
    switch_everything(home)
    assert massgen_user_config.read_text() == text
    assert not (home / "work" / ".massgen").exists(), "nothing MassGen reads here is created"
    done = plain_massgen(home)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    fields = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    assert fields["WINNER"] == "agent_a" and fields["ANSWER_PREVIEW"].startswith("EMU-FINAL")
    assert "Traceback" not in done.stderr
    assert massgen_user_config.read_text() == text


def test_an_empty_home_with_only_our_switches_is_massgen_without_config(real_massgen, home,
                                                                        massgen_user_config):
    switch_everything(home)
    assert not massgen_user_config.parent.exists()
    done = plain_massgen(home)
    # What MassGen 0.1.97 does with no config at all in automation mode.
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "No default configuration found." in done.stdout + done.stderr
    assert "Config must have" not in done.stdout + done.stderr
