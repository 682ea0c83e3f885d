"""Start-up cost of our CLI, `massgen-plugins`, as ratios against `python -c pass` measured in this run.

Usage: .venv/bin/python bench/startup.py [--runs N]

Measures `massgen-plugins --help` and `massgen-plugins plugins list`, with every installed plugin enabled and
with none (MASSGEN_LOAD_PLUGINS=""), interleaving the variants so drift hits all of them alike.
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

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "massgen_logs"


def timed(cmd: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run of `cmd`."""
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    """Print a table of median wall times and their ratio to a bare interpreter start."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    script = Path(sys.executable).parent / "massgen-plugins"
    massgen = [str(script)] if script.exists() else [sys.executable, "-m", "massgen_plugins"]
    with tempfile.TemporaryDirectory() as home:
        # An empty config home, so the user's own files do not colour the numbers.
        base = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")}
        base.update(HOME=home, XDG_CONFIG_HOME=home)
        none = {**base, "MASSGEN_LOAD_PLUGINS": ""}
        # The floor a click CLI cannot go below: the interpreter plus click itself.
        click_floor = [sys.executable, "-c", "import click"]
        summary_of = [*massgen, "logs", "summary", "--logs-dir", str(EXAMPLE)]
        variants = {
            "python -c pass": ([sys.executable, "-c", "pass"], base),
            "python -c 'import click'": (click_floor, base),
            "massgen-plugins --help (all plugins)": ([*massgen, "--help"], base),
            "massgen-plugins --help (no plugins)": ([*massgen, "--help"], none),
            "massgen-plugins plugins list (all plugins)": ([*massgen, "plugins", "list"], base),
            "massgen-plugins plugins list (no plugins)": ([*massgen, "plugins", "list"], none),
            "massgen-plugins logs summary (example run)": (summary_of, base),
        }
        for cmd, env in variants.values():  # warm the OS caches and .pyc files
            timed(cmd, env)
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.runs):
            for name, (cmd, env) in variants.items():
                samples[name].append(timed(cmd, env))

    baseline = statistics.median(samples["python -c pass"])
    floor = statistics.median(samples["python -c 'import click'"])
    print(f"{'command':<44} {'median ms':>10} {'x pass':>7} {'x import click':>15}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<44} {median * 1000:>10.1f} {median / baseline:>7.2f} "
              f"{median / floor:>15.2f}")
    bytecode = "not written (PYTHONDONTWRITEBYTECODE)" if os.environ.get(
        "PYTHONDONTWRITEBYTECODE") else "written"
    print(f"(bytecode {bytecode}; make setup compiles it for every installed package)")
    print(f"({args.runs} runs each, interleaved; python: {sys.executable})")


if __name__ == "__main__":
    main()
