"""Log reading at scale: scan throughput and peak memory on a large synthetic run.

Usage: .venv/bin/python bench/logs.py [--size-mb 1024] [--keep DIR]

Writes a MassGen-shaped run whose events.jsonl is about --size-mb, then measures, in this run:
- a raw read of the file (the floor: bytes off the disk, nothing parsed);
- the full event scan (every line parsed) and the timeline scan (critical events only);
- `read_session` (what `massgen-plugins logs summary` does) on the huge run against a small run;
and prints throughputs (medians of 5 runs; the full scan runs once), ratios against the raw
read, and peak Python memory against file size.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from massgen_plugins.logs.context import TIMELINE_TYPES
from massgen_plugins.logs.events_file import read_events
from massgen_plugins.logs.files import Warnings
from massgen_plugins.logs.reader import read_session
from tests.synthetic_runs import write_run

LINE_BYTES = 130  # about one text delta line


def measure(fn, repeat: int = 1):
    """(seconds, peak traced bytes, result): the median of `repeat` untraced runs, then one
    run under tracemalloc."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    # tracemalloc slows allocation-heavy code many times over, so memory gets its own pass.
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak, result


def raw_read(path: Path) -> int:
    """Bytes read in 1 MiB chunks, parsing nothing."""
    total = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            total += len(chunk)
    return total


def main() -> None:
    """Generate the run, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--keep", type=Path, help="write the run here and keep it")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="massgen-bench-"))
    try:
        started = time.perf_counter()
        agents = ("agent_a", "agent_b", "agent_c")
        huge = write_run(base, "log_20260101_000000_000000", agents=agents,
                         stream_events=args.size_mb * 1024 * 1024 // LINE_BYTES)
        small = write_run(base, "log_20260101_000001_000000", agents=agents, stream_events=100)
        events = huge / "turn_1" / "attempt_1" / "events.jsonl"
        size = events.stat().st_size
        print(f"generated {size / 1e6:,.0f} MB of events in {time.perf_counter() - started:.1f} s")

        # Medians of 5 where a run is short: one pass of the timeline scan here ranged from
        # 520 to 830 MB/s from run to run. The full scan (about a minute a pass) runs once.
        raw_s, raw_peak, _ = measure(lambda: raw_read(events), repeat=5)
        full_s, full_peak, n = measure(lambda: sum(1 for _ in read_events(events, Warnings())))
        crit_s, crit_peak, c = measure(
            lambda: sum(1 for _ in read_events(events, Warnings(), TIMELINE_TYPES)), repeat=5)
        big_s, big_peak, _ = measure(lambda: read_session(huge), repeat=5)
        small_s, _, _ = measure(lambda: read_session(small), repeat=5)

        mb = size / 1e6
        print(f"{'measure':<40} {'MB/s':>9} {'x raw read':>11} {'peak MB':>9} {'peak/file':>10}")
        for name, secs, peak in (("raw read (floor)", raw_s, raw_peak),
                                 (f"full event scan ({n:,} events)", full_s, full_peak),
                                 (f"timeline scan ({c:,} critical)", crit_s, crit_peak)):
            print(f"{name:<40} {mb / secs:>9.0f} {raw_s / secs:>11.2f} {peak / 1e6:>9.1f} "
                  f"{peak / size:>10.5f}")
        scan = mb / crit_s
        print(f"timeline scan {scan:.0f} MB/s, target >= 700 (issue 19): "
              f"{'ok' if scan >= 700 else 'MISSED'}")
        print(f"read_session (summary) huge vs small run: {big_s * 1000:.1f} ms vs "
              f"{small_s * 1000:.1f} ms = x{big_s / small_s:.2f}; peak {big_peak / 1e6:.1f} MB")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
