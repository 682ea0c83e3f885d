"""Compaction before the overflow vs after it: refused requests and wall time per MassGen run.

Usage: .venv-massgen/bin/python bench/massgen_proactive.py [--runs N]   (after `make test-massgen`)

Real `massgen --automation` runs (MassGen 0.1.97, bridge and compact_openai installed) against
the loopback emulator playing every agent. The two Responses agents (gpt-4o, gpt-4o-mini) call
a local tool first with a long text, so the request MassGen chains after it is past the
20,000-token window the emulator enforces (and the run config's `model_catalog` tells the
bridge); the Chat Completions agent stays small. With the trigger (`compression.proactive`,
the default), the bridge compacts those requests before they go out; without it, the API
refuses them and MassGen's reactive path has compact_openai compact them. Runs alternate
between the modes. The script prints, per run: exit, winner, requests the emulator refused as
too long, compactions, requests sent and wall time; then the medians and their ratio.
Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from massgen_compaction import ENV  # its neighbour in bench/: loopback only, a test key

from massgen_plugins.testing import Emulator
from massgen_plugins.testing.massgen_driver import BACKGROUND_TOOLS, AgentSettings, MassgenDriver

WINDOW = 20_000
LONG = 80_000  # characters of the first reply: its chained request comes to ~22,700 tokens
CONFIG = """\
agents:
  - id: agent_a
    backend: {{type: openai, model: gpt-4o, base_url: {url}}}
  - id: agent_b
    backend: {{type: openai, model: gpt-4o-mini, base_url: {url}}}
  - id: agent_c
    backend: {{type: chatcompletion, model: gpt-4.1-mini, base_url: {url}}}
orchestrator:
  max_new_answers_per_agent: 2
  coordination: {{enable_subagents: false, enable_changedoc: false,
                  persona_generator: {{enabled: false}}}}
timeout_settings: {{orchestrator_timeout_seconds: 180}}
plugins:
  compact_openai: {{allow_compatible: true}}
model_catalog:
  openai/gpt-4o: {{context_window: {window}}}
  openai/gpt-4o-mini: {{context_window: {window}}}
compression: {{proactive: {proactive}}}
"""


def run(proactive: bool, work: Path) -> dict[str, object]:
    """One massgen run: what the emulator refused and how long the run took."""
    work.mkdir()
    with Emulator() as emu:
        long_first = AgentSettings(first_tool=BACKGROUND_TOOLS, first_text=LONG)
        emu.responder = MassgenDriver({"gpt-4o": long_first, "gpt-4o-mini": long_first})
        emu.windows.update({"gpt-4o": WINDOW, "gpt-4o-mini": WINDOW})
        config = work / "run.yaml"
        config.write_text(CONFIG.format(url=emu.base_url("openai"), window=WINDOW,
                                        proactive=str(proactive).lower()))
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("MASSGEN")}, **ENV,
               "HOME": str(work)}
        started = time.monotonic()
        done = subprocess.run([str(Path(sys.executable).parent / "massgen"), "--automation",
                               "--no-session-registry", "--config", str(config),
                               "What is 2+2?"], cwd=work, env=env, capture_output=True,
                              text=True, timeout=600)
        wall = time.monotonic() - started
        sent, refused = list(emu.requests), list(emu.refused)
    fields = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    return {"exit": done.returncode, "winner": fields.get("WINNER", "-"),
            "refused": len(refused), "compact": sum(r.path.endswith("/compact") for r in sent),
            "requests": len(sent), "wall": wall}


def main() -> None:
    """Run both modes `--runs` times each, alternating, and print each run and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per mode (default 3)")
    runs = parser.parse_args().runs
    results: dict[bool, list[dict[str, object]]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(runs):
            for proactive in (True, False):
                results[proactive].append(
                    run(proactive, Path(tmp) / f"{'on' if proactive else 'off'}{n}"))
    print(f"MassGen 0.1.97, 3 agents (2 past a {WINDOW:,}-token window), compact_openai on; "
          f"{runs} run(s) per mode")
    print(f"  {'mode':<9}{'run':>4}{'exit':>6}{'winner':>9}{'refused':>9}{'compact':>9}"
          f"{'requests':>10}{'wall s':>9}")
    for proactive, label in ((True, "trigger"), (False, "reactive")):
        for n, r in enumerate(results[proactive], 1):
            print(f"  {label:<9}{n:>4}{r['exit']!s:>6}{r['winner']!s:>9}{r['refused']!s:>9}"
                  f"{r['compact']!s:>9}{r['requests']!s:>10}{r['wall']:>9.1f}")

    def median(proactive: bool, key: str) -> float:
        return statistics.median(float(r[key]) for r in results[proactive])  # type: ignore[arg-type]

    on, off = median(True, "wall"), median(False, "wall")
    print(f"  median refused: trigger {median(True, 'refused'):g}, reactive "
          f"{median(False, 'refused'):g}")
    print(f"  median wall: trigger {on:.1f} s, reactive {off:.1f} s; trigger/reactive "
          f"{on / off:.2f}x")


if __name__ == "__main__":
    main()
