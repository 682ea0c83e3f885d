"""`logs list` over a team-sized log directory, as ratios to a floor script timed in the same run.

Usage: .venv/bin/python bench/logs_list.py [--runs 1000 10000] [--repeat 5] [--keep DIR]

Builds N MassGen run directories by copying a real MassGen 0.1.97 run (../shared) once, then
into each run: a copy of every file a listing opens (a hard-linked one is refused as one that
could lead out of the run) and hard links of the rest; status.json, which holds the question
and the times, is written for each run. Then times, interleaved, median of --repeat:
- the floor: a Python script that lists the log_* dirs and json-loads each run's status.json and
  metrics_summary.json, the two files a row's fields need most;
- `massgen-plugins logs list --json` over every run, cold (no row cache) and warm (a second
  listing of the unchanged directory);
- `--limit 20` against the floor script stopped after the newest 20 runs, and
  `python -c "import click"` against that floor (where any click CLI starts).
Targets (issue 19): cold <= 1.5x, warm <= 0.5x, --limit 20 <= 2x.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "massgen-logs" / "run_b_three_agents_long"

FLOOR = r"""
import json, os, sys
base, limit = sys.argv[1], int(sys.argv[2])
rows = []
for name in sorted((n for n in os.listdir(base) if n.startswith("log_")), reverse=True)[:limit]:
    turns = os.path.join(base, name)
    for turn in sorted(os.listdir(turns)):
        attempt_root = os.path.join(turns, turn)
        if not turn.startswith("turn_"):
            continue
        for attempt in sorted(os.listdir(attempt_root)):
            folder = os.path.join(attempt_root, attempt)
            row = {"name": name}
            for file in ("status.json", "metrics_summary.json"):
                try:
                    with open(os.path.join(folder, file), encoding="utf-8") as fh:
                        row[file] = json.load(fh)
                except (OSError, ValueError):
                    pass
            rows.append(row)
json.dump([{"name": r["name"]} for r in rows], sys.stdout)
"""


# What a listing opens; it only lists the folders that hold the rest.
OPENED = {"status.json", "metrics_summary.json", "execution_metadata.yaml", "events.jsonl",
          "massgen.log"}


def _place(src: str, dst: str) -> None:
    if os.path.basename(src) in OPENED:
        shutil.copyfile(src, dst)
    else:
        os.link(src, dst)


def build(target: Path, count: int) -> None:
    """`count` runs under target/ made from one real run (see the module's docstring)."""
    run = next(SOURCE.glob("log_*"))
    template = target / ".template"
    shutil.copytree(run, template)
    statuses = list(template.glob("turn_*/attempt_*/status.json"))
    stamp = time.mktime((2026, 1, 1, 0, 0, 0, 0, 0, -1))
    for i in range(count):
        when = time.strftime("%Y%m%d_%H%M%S", time.localtime(stamp + 60 * i))
        dest = target / f"log_{when}_{i % 1_000_000:06d}"
        shutil.copytree(template, dest, copy_function=_place)
        for status in statuses:
            data = json.loads(status.read_text(encoding="utf-8"))
            meta = data.setdefault("meta", {})
            meta["question"] = f"Question number {i}: {meta.get('question', '')}"
            out = dest / status.relative_to(template)
            out.unlink()
            out.write_text(json.dumps(data), encoding="utf-8")
    shutil.rmtree(template)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run of `cmd`, which must succeed."""
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    """Build the directories, time every variant interleaved, print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the directories here and keep them")
    args = parser.parse_args()
    if not SOURCE.is_dir():
        sys.exit(f"bench/logs_list.py: {SOURCE} is missing; it needs ../shared beside the clone")

    script = Path(sys.executable).parent / "massgen-plugins"
    ours = [str(script)] if script.exists() else [sys.executable, "-m", "massgen_plugins"]
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-logs-list-"))
    print(f"{'runs':>6} {'variant':<28} {'median s':>9} {'floor s':>8} {'ratio':>6} {'target':>7}")
    try:
        for count in args.runs:
            logs = work / f"runs_{count}"
            if not logs.is_dir():
                build(logs, count)
            cache = work / f"cache_{count}"
            env = {**os.environ, "XDG_CACHE_HOME": str(cache), "HOME": str(work)}
            floor_all = [sys.executable, "-c", FLOOR, str(logs), str(count)]
            floor_20 = [sys.executable, "-c", FLOOR, str(logs), "20"]
            listing = [*ours, "logs", "list", "--json", "--logs-dir", str(logs)]
            every = [*listing, "--limit", str(count)]
            newest = [*listing, "--limit", "20"]
            timed(floor_all, env)  # warm the OS cache for everyone
            click_only = [sys.executable, "-c", "import click"]
            samples: dict[str, list[float]] = {k: [] for k in (
                "floor", "floor20", "cold", "warm", "limit20", "click")}
            for _ in range(args.repeat):
                samples["floor"].append(timed(floor_all, env))
                shutil.rmtree(cache, ignore_errors=True)
                samples["cold"].append(timed(every, env))
                samples["warm"].append(timed(every, env))
                shutil.rmtree(cache, ignore_errors=True)
                samples["floor20"].append(timed(floor_20, env))
                samples["limit20"].append(timed(newest, env))
                samples["click"].append(timed(click_only, env))
            med = {k: statistics.median(v) for k, v in samples.items()}
            rows = [("--json, every run, cold", med["cold"], med["floor"], 1.5),
                    ("--json, every run, warm", med["warm"], med["floor"], 0.5),
                    ("--json --limit 20, cold", med["limit20"], med["floor20"], 2.0)]
            for label, value, floor, target in rows:
                ratio = value / floor
                verdict = "ok" if ratio <= target else "MISSED"
                print(f"{count:>6} {label:<28} {value:>9.3f} {floor:>8.3f} {ratio:>5.2f}x "
                      f"{'<=' + str(target) + 'x':>7} {verdict}")
            # The floor of any click CLI, for the --limit 20 target: importing click alone.
            label = "python -c 'import click'"
            print(f"{count:>6} {label:<28} {med['click']:>9.3f} "
                  f"{med['floor20']:>8.3f} {med['click'] / med['floor20']:>5.2f}x "
                  f"(--limit 20 is {med['limit20'] / med['click']:.2f}x it)")
        print(f"({args.repeat} runs each, interleaved; medians; each run a copy of "
              f"{SOURCE.name}; python: {sys.executable})")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
