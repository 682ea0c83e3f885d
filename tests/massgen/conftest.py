"""Running the real `massgen` CLI against the loopback emulator, for the tests in this folder."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

# MassGen fetches litellm's price list from the internet: every proxy points at a closed
# loopback port (only the emulator is exempt) and litellm reads its packaged map. No api_key:
# in the configs (0.1.97 crashes on it): the key comes from the environment.
LOOPBACK_ONLY = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
                 "ALL_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost",
                 "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                 "OPENAI_API_KEY": "sk-test-massgen-plugins-0000"}
HEAVY_OFF = """\
orchestrator:
  max_new_answers_per_agent: 2
  coordination:
    enable_subagents: false
    enable_changedoc: false
    persona_generator: {enabled: false}
timeout_settings:
  orchestrator_timeout_seconds: 180
"""


@attrs.frozen
class MassgenRun:
    """What one `massgen --automation` run printed, and where it logged."""

    returncode: int
    stdout: str
    stderr: str
    fields: dict[str, str]

    @property
    def attempt(self) -> Path:
        """The run's turn_1/attempt_1 directory."""
        return Path(self.fields["LOG_DIR"]) / "turn_1" / "attempt_1"


@pytest.fixture
def run_massgen(real_massgen: Path, home: Path) -> Callable[..., MassgenRun]:
    """Run `massgen --automation --config CFG QUESTION` in the isolated home; agents as YAML."""

    def run(agents_yaml: str, question: str = "What is 2+2?", extra: str = "",
            env: dict[str, str] | None = None) -> MassgenRun:
        config = home / "work" / "run.yaml"
        config.write_text(f"agents:\n{agents_yaml}{HEAVY_OFF}{extra}", encoding="utf-8")
        full = {k: v for k, v in os.environ.items()
                if k.upper() not in LOOPBACK_ONLY and not k.startswith("MASSGEN")}
        full.update(LOOPBACK_ONLY, **(env or {}))
        done = subprocess.run(
            [str(Path(sys.executable).parent / "massgen"), "--automation", "--no-session-registry",
             "--config", str(config), question],
            capture_output=True, text=True, timeout=400, cwd=home / "work", env=full)
        fields = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
        return MassgenRun(done.returncode, done.stdout, done.stderr, fields)

    return run
