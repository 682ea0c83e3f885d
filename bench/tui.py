"""TUI cost under load: headless replays of synthetic streams, each in a fresh process.

Usage: .venv/bin/python bench/tui.py [--runs 3] [--streams paced300,paced1000,max100k]

Streams (4 agents, mostly token deltas, with tool calls, status, answers and votes):
- paced300 / paced1000: 300 and 1000 events per second for 10 seconds, at the recorded pace;
- max100k: 100,000 events with no pauses.
Each stream runs with plugins off (MASSGEN_LOAD_PLUGINS="") and with tui_throttle alone
on, interleaved, `--runs` times; the table shows medians and the ratios on/off. Frames are
counted, not just events: in Textual, drawing costs far more than applying events.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.synthetic_runs import event_line  # noqa: E402

AGENTS = ("agent_a", "agent_b", "agent_c", "agent_d")
STREAMS = {"paced300": (300, 10.0, False), "paced1000": (1000, 10.0, False),
           "max100k": (10_000, 10.0, True)}
MODES = {"off": "", "on": "tui_throttle"}


def write_stream(path: Path, rate: int, seconds: float) -> int:
    """A synthetic events.jsonl at `rate` events/s for `seconds`; returns the event count."""
    start = datetime(2026, 1, 1, 12, 0, 0)
    total = int(rate * seconds)
    with path.open("w") as fh:
        for n in range(total):
            ts = (start + timedelta(seconds=n / rate)).isoformat(timespec="microseconds")
            agent = AGENTS[n % len(AGENTS)]
            if n % 250 == 7:
                fh.write(event_line(ts, "tool_start", agent, 0, {"tool_name": "search",
                                                                 "args": {"q": n}}))
            elif n % 250 == 9:
                fh.write(event_line(ts, "tool_complete", agent, 0, {"tool_name": "search",
                                                                    "elapsed_seconds": 0.01}))
            elif n % 100 == 3:
                fh.write(event_line(ts, "status", agent, 0, {"message": f"step {n}"}))
            elif n % 37 == 5:
                fh.write(event_line(ts, "thinking", agent, 0, {"content": "hmm "}))
            elif n == total - 8:
                fh.write(event_line(ts, "answer_submitted", agent, 0,
                                    {"answer_label": "agent1.1", "content": "done"}))
            elif n > total - 5:
                fh.write(event_line(ts, "vote", agent, 1, {"target_id": "agent_a"}))
            else:
                fh.write(event_line(ts, "text", agent, 0, {"content": f"tok{n % 97} "}))
    return total


def run_once(events: Path, max_speed: bool, plugins: str, home: str,
             config: str | None = None) -> dict:
    """One headless replay in a fresh process; its stats."""
    stats = Path(home) / "stats.json"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_")},
           "MASSGEN_LOAD_PLUGINS": plugins, "HOME": home, "XDG_CONFIG_HOME": home}
    massgen = Path(sys.executable).parent / "massgen-plugins"
    cmd = [str(massgen), *(["--config", config] if config else []), "tui", "replay", str(events),
           "--headless", "--stats", str(stats)]
    cmd += ["--max-speed"] if max_speed else ["--speed", "1"]
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return json.loads(stats.read_text())


def main() -> None:
    """Generate, replay, print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--streams", default=",".join(STREAMS))
    parser.add_argument("--config", help="a massgen-plugins config file (e.g. throttle settings to try)")
    args = parser.parse_args()
    keys = [("cpu_s", "CPU s"), ("ui_cpu_s", "UI CPU s"), ("frames", "frames"),
            ("widget_refreshes", "refreshes"), ("stream_p99", "stream p99 ms"),
            ("text_p99", "text p99 ms"), ("thinking_p99", "thinking p99"),
            ("crit_p99", "crit p99 ms"), ("wall_s", "wall s")]
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.streams.split(","):
            rate, seconds, max_speed = STREAMS[name]
            events = Path(tmp) / f"{name}.jsonl"
            total = write_stream(events, rate if not max_speed else 10_000,
                                 seconds if not max_speed else 10.0)
            results: dict[str, list[dict]] = {mode: [] for mode in MODES}
            for _ in range(args.runs):
                for mode, plugins in MODES.items():
                    results[mode].append(run_once(events, max_speed, plugins, tmp, args.config))
            print(f"\n{name}: {total:,} events, {len(AGENTS)} agents, "
                  f"{'max speed' if max_speed else f'{rate}/s paced'}, median of {args.runs}")
            print(f"{'':<14}" + "".join(f"{m:>12}" for m in MODES) + f"{'on/off':>10}")
            med: dict[str, dict[str, float]] = {}
            for mode, runs in results.items():
                med[mode] = {}
                for key, _ in keys:
                    values = [_pick(r, key) for r in runs]
                    values = [v for v in values if v is not None]
                    med[mode][key] = statistics.median(values) if values else float("nan")
            for key, label in keys:
                off, on = med["off"][key], med["on"][key]
                ratio = on / off if off else float("nan")
                print(f"{label:<14}{off:>12.3f}{on:>12.3f}{ratio:>10.2f}")
            for mode, runs in results.items():
                crit = all(r["critical_in"] == r["critical_applied"] for r in runs)
                print(f"{mode}: critical in == applied in every run: {crit}; "
                      f"frames/s {med[mode]['frames'] / med[mode]['wall_s']:.1f}")
            same = {json.dumps(r["transcript_sha256"], sort_keys=True)
                    for runs in results.values() for r in runs}
            order = {r.get("critical_order_sha256") for runs in results.values() for r in runs}
            print(f"transcripts identical across modes and runs: {len(same) == 1}; "
                  f"critical order identical: {len(order) == 1}")


def _pick(stats: dict, key: str) -> float | None:
    if key == "stream_p99":
        return stats["latency_ms"]["streaming"]["p99"]
    if key == "crit_p99":
        return stats["latency_ms"]["critical"]["p99"]
    if key in ("text_p99", "thinking_p99"):
        return stats["latency_ms"]["by_type"].get(key.split("_")[0], {}).get("p99")
    return stats[key]


if __name__ == "__main__":
    main()
