"""What the bridge's start-up hook costs every Python process: `python -c pass` with and without.

Usage: .venv/bin/python bench/bridge_startup.py [--runs N]

Two throwaway virtual environments of this interpreter, identical but for the hook: one has
`massgen_plugins_bridge.pth` and `_massgen_plugins_bridge.py` in its site-packages, the other
not. Runs of `python -c pass` alternate between them; the script prints the median of each and
the difference, and the hook's own import time from `-X importtime` (a steadier figure, as a
process start varies by more than the hook costs). Bytecode is written for both, as an
installer that compiles (pip) leaves it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

AUTOLOAD = Path(__file__).resolve().parents[1] / "massgen_plugins" / "bridge" / "autoload"
FILES = ("massgen_plugins_bridge.pth", "_massgen_plugins_bridge.py")


def make_env(root: Path, with_hook: bool) -> Path:
    """A bare venv; with the hook's two files copied into its site-packages if asked."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    python = root / "bin" / "python"
    site = Path(subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        text=True).strip())
    if with_hook:
        for name in FILES:
            shutil.copy(AUTOLOAD / name, site / name)
    return python


def timed(python: Path, env: dict[str, str]) -> float:
    """Wall seconds of one `python -c pass`."""
    start = time.perf_counter()
    subprocess.run([python, "-c", "pass"], env=env, check=True)
    return time.perf_counter() - start


def hook_import_us(python: Path, env: dict[str, str], runs: int) -> float:
    """Median microseconds `-X importtime` gives the hook module (self and children)."""
    values = []
    for _ in range(runs):
        err = subprocess.run([python, "-X", "importtime", "-c", "pass"], env=env, text=True,
                             capture_output=True, check=True).stderr
        match = re.search(r"\|\s*(\d+)\s*\|\s*_massgen_plugins_bridge\s*$", err, re.M)
        values.append(float(match.group(1)) if match else 0.0)
    return statistics.median(values)


def main() -> None:
    """Print the medians, their difference, and the hook's own import time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",
                                                            "PYTHONPATH", "MASSGEN_PLUGINS_BRIDGE")}
    with tempfile.TemporaryDirectory() as tmp:
        without = make_env(Path(tmp) / "without", with_hook=False)
        with_hook = make_env(Path(tmp) / "with", with_hook=True)
        for python in (without, with_hook):  # write bytecode, warm the OS caches
            for _ in range(3):
                timed(python, env)
        samples: dict[str, list[float]] = {"without": [], "with": []}
        for _ in range(args.runs):
            samples["without"].append(timed(without, env))
            samples["with"].append(timed(with_hook, env))
        own = hook_import_us(with_hook, env, runs=max(20, args.runs // 10))
    base, hooked = (statistics.median(samples[k]) * 1000 for k in ("without", "with"))
    print(f"python -c pass, median of {args.runs} interleaved runs ({sys.executable}):")
    print(f"  without the hook  {base:8.2f} ms")
    print(f"  with the hook     {hooked:8.2f} ms   ({hooked / base:.3f}x, {hooked - base:+.2f} ms)")
    print(f"  the hook module's own import (-X importtime, median): {own / 1000:.3f} ms")


if __name__ == "__main__":
    main()
