"""Running the real `massgen` CLI against the loopback emulator, for the tests in this folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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
TIME_ALLOWED = 400  # seconds for one run: past it the test fails, as a hung run
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
            env: dict[str, str] | None = None,
            interrupt_when: Callable[[], bool] | None = None,
            flags: tuple[str, ...] = ("--no-session-registry",)) -> MassgenRun:
        """One run; with `interrupt_when`, a Ctrl-C (SIGINT to its process group) once true.

        `flags` go before `--config`: `()` keeps the session in MassGen's registry (in the
        isolated home), so that a later run with `("--continue",)` continues it.
        """
        config = home / "work" / "run.yaml"
        config.write_text(f"agents:\n{agents_yaml}{HEAVY_OFF}{extra}", encoding="utf-8")
        full = {k: v for k, v in os.environ.items()
                if k.upper() not in LOOPBACK_ONLY and not k.startswith("MASSGEN")}
        full.update(LOOPBACK_ONLY, **(env or {}))
        out, err = home / "massgen.out", home / "massgen.err"
        with out.open("w") as stdout, err.open("w") as stderr:
            # A session of its own, as a terminal's foreground job: a Ctrl-C, or the kill at
            # the end of the time allowed, reaches every process it started.
            proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "massgen"), "--automation", *flags,
                 "--config", str(config), question],
                stdout=stdout, stderr=stderr, text=True, cwd=home / "work", env=full,
                start_new_session=True)
            try:
                limit = time.monotonic() + TIME_ALLOWED
                while interrupt_when is not None and proc.poll() is None:
                    if interrupt_when():
                        os.killpg(proc.pid, signal.SIGINT)
                        break
                    if time.monotonic() > limit:
                        break
                    time.sleep(0.1)
                proc.wait(timeout=max(1.0, limit - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                pytest.fail(f"massgen did not end within {TIME_ALLOWED} s:\n"
                            f"{err.read_text()[-3000:]}")
        stdout_text, stderr_text = out.read_text(), err.read_text()
        fields = dict(line.split(": ", 1) for line in stdout_text.splitlines() if ": " in line)
        return MassgenRun(proc.returncode, stdout_text, stderr_text, fields)

    return run
