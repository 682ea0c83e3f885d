"""MassGen's own TUI replaying real MassGen runs in `massgen viewer`, tui_throttle on and off.

Usage: .venv-massgen/bin/python bench/massgen_tui.py [--runs 3] [--sizes 80x24,200x60]
       (`make bench` runs it in a network namespace with only the loopback interface up)

Two recorded runs, both written by MassGen 0.1.97 itself:
- flood: recorded here first (about 30 s): a real `massgen --automation` run against the
  loopback emulator, whose three agents stream long reasoning and text in deltas of about 8
  characters (MassgenDriver's flood settings): about 10,000 events in 10 s (9,000 of them
  thinking deltas), over 2,000 events/s at the peaks;
- normal: ../shared/massgen-logs/run_b_three_agents_long (1,836 events in 39 s), copied first
  (the viewer writes).
Each is replayed by the real `massgen viewer LOG_DIR --replay-speed X` (the flood at 1×, the
normal run at 4×), headless (Textual's headless driver, the terminal size from COLUMNS and
LINES), with tui_throttle off (MASSGEN_DISABLE_PLUGINS=tui_throttle) and on, alternately,
`--runs` times per run and size, each in a fresh process. bench/massgen_tui_probe.py, loaded
through a sitecustomize on PYTHONPATH, measures inside the viewer: UI-thread CPU, frames drawn,
event-to-screen latency (entry into MassGen's TUI until its timeline adapter has applied the
event) for streaming and critical events, and each agent's timeline at the end. The table
shows medians and the on/off ratios; "same" says whether every agent's final timeline and the
order of critical events were identical in every run, on and off.
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

from massgen_plugins.testing import Emulator
from massgen_plugins.testing.massgen_driver import AgentSettings, MassgenDriver

BENCH = Path(__file__).resolve().parent
SHARED_RUN_B = BENCH.parent.parent / "shared" / "massgen-logs" / "run_b_three_agents_long"
FLOOD_AGENTS = """\
agents:
  - id: agent_a
    backend: {{type: chatcompletion, model: flood-a, base_url: {url}}}
  - id: agent_b
    backend: {{type: chatcompletion, model: flood-b, base_url: {url}}}
  - id: agent_c
    backend: {{type: chatcompletion, model: flood-c, base_url: {url}}}
orchestrator:
  max_new_answers_per_agent: 1
  coordination: {{enable_subagents: false, enable_changedoc: false,
                  persona_generator: {{enabled: false}}}}
timeout_settings: {{orchestrator_timeout_seconds: 180}}
"""
# Only the loopback emulator is reachable; litellm reads its packaged price map.
ENV = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
       "ALL_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost",
       "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENAI_API_KEY": "sk-bench-0000"}
FLOOD = AgentSettings(reasoning=8000, text=2000, delta=8)
SPEEDS = {"flood": 1.0, "normal": 4.0}
SITECUSTOMIZE = """\
import importlib.machinery, importlib.util, os, sys
_here = os.path.dirname(os.path.abspath(__file__))
_rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
_spec = importlib.machinery.PathFinder.find_spec("sitecustomize", _rest)
if _spec is not None and _spec.loader is not None:  # chain to the next one, if any
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
sys.path.insert(0, {bench!r})
import massgen_tui_probe
massgen_tui_probe.install()
"""


def massgen_env(home: Path) -> dict[str, str]:
    """The environment of a MassGen process here: isolated home, loopback only."""
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith("MASSGEN") and k.upper() not in ENV}
    return {**keep, **ENV, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "MASSGEN_LOG_BASE_DIR": str(home / "massgen_logs")}


def record_flood(work: Path, settings: AgentSettings = FLOOD) -> Path:
    """Record a token flood with the real `massgen`; its attempt directory."""
    work.mkdir(parents=True, exist_ok=True)
    with Emulator() as emu:
        emu.responder = MassgenDriver(dict.fromkeys(("flood-a", "flood-b", "flood-c"), settings))
        config = work / "run.yaml"
        config.write_text(FLOOD_AGENTS.format(url=emu.base_url("openai")), encoding="utf-8")
        done = subprocess.run(
            [str(Path(sys.executable).parent / "massgen"), "--automation",
             "--no-session-registry", "--config", str(config), "Compare three caching strategies."],
            cwd=work, env=massgen_env(work), capture_output=True, text=True, timeout=600)
    fields = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    if done.returncode != 0 or "LOG_DIR" not in fields:
        raise SystemExit(f"recording the flood failed ({done.returncode}):\n"
                         f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return work / fields["LOG_DIR"] / "turn_1" / "attempt_1"


def copy_run(source: Path, into: Path) -> Path:
    """A writable copy of a recorded run; its attempt directory."""
    shutil.copytree(source, into)
    return next(into.glob("log_*/turn_*/attempt_*"))


def replay(attempt: Path, speed: float, size: tuple[int, int], plugin: bool, work: Path,
           site: Path) -> dict:
    """One `massgen viewer` replay, headless, in a fresh process; what the probe measured."""
    out = work / "probe.json"
    out.unlink(missing_ok=True)
    env = {**massgen_env(work), "PYTHONPATH": str(site),
           "TEXTUAL_DRIVER": "textual.drivers.headless_driver:HeadlessDriver",
           "COLUMNS": str(size[0]), "LINES": str(size[1]), "MASSGEN_TUI_PROBE_OUT": str(out),
           # Compiled modules cached outside the environment: later starts import faster.
           "PYTHONPYCACHEPREFIX": str(work.parent / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not plugin:
        env["MASSGEN_DISABLE_PLUGINS"] = "tui_throttle"
    done = subprocess.run([str(Path(sys.executable).parent / "massgen"), "viewer", str(attempt),
                           "--replay-speed", str(speed)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=900)
    if not out.exists():
        raise SystemExit(f"the viewer measured nothing ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def events_in(attempt: Path) -> int:
    """How many events the run recorded."""
    with (attempt / "events.jsonl").open(encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


METRICS = (("ui_cpu_s", "UI CPU s"), ("events_cpu_s", "applying s"), ("draw_cpu_s", "drawing s"),
           ("frames", "frames"), ("stream_p99", "stream p99 ms"), ("crit_p99", "critical p99 ms"),
           ("wall_s", "wall s"))


def pick(result: dict, key: str) -> float:
    """One figure of a probe result."""
    if key == "stream_p99":
        return result["latency_ms"].get("streaming", {}).get("p99", 0.0)
    if key == "crit_p99":
        return result["latency_ms"].get("critical", {}).get("p99", 0.0)
    return float(result[key])


def main() -> None:
    """Record, replay on and off alternately, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="80x24,200x60")
    parser.add_argument("--only", choices=("flood", "normal"), help="replay one run only")
    parser.add_argument("--keep", type=Path, help="keep the work files here (default: a temp dir)")
    parser.add_argument("--flood", type=Path,
                        help="replay this recorded flood (an attempt dir kept by --keep) instead "
                             "of recording one: the same events for two benches")
    args = parser.parse_args()
    sizes = [tuple(int(n) for n in s.split("x")) for s in args.sizes.split(",")]
    tmp = tempfile.TemporaryDirectory() if args.keep is None else None
    root = args.keep or Path(tmp.name)
    root.mkdir(parents=True, exist_ok=True)
    site = root / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE.format(bench=str(BENCH)))
    runs: dict[str, Path] = {}
    if args.only in (None, "flood") and args.flood is not None:
        runs["flood"] = copy_run(args.flood.parents[2], root / "flood")
    elif args.only in (None, "flood"):
        started = time.monotonic()
        runs["flood"] = record_flood(root / "record")
        print(f"recorded the flood in {time.monotonic() - started:.0f} s: "
              f"{events_in(runs['flood']):,} events", flush=True)
    if args.only in (None, "normal"):
        if SHARED_RUN_B.is_dir():
            runs["normal"] = copy_run(SHARED_RUN_B, root / "normal")
        else:
            print(f"skipping the normal run: {SHARED_RUN_B} is not there")
    rows = []
    for name, attempt in runs.items():
        for size in sizes:
            results: dict[str, list[dict]] = {"off": [], "on": []}
            for n in range(args.runs):
                # Alternate which mode goes first, so neither always runs on a warmer machine.
                for mode in (("off", "on") if n % 2 == 0 else ("on", "off")):
                    work = root / f"{name}-{size[0]}x{size[1]}-{mode}-{n}"
                    work.mkdir()
                    results[mode].append(replay(attempt, SPEEDS[name], size, mode == "on",
                                                work, site))
                    print(".", end="", flush=True)
            rows.append((name, size, results))
    print()
    report(rows, runs)
    if tmp is not None:
        tmp.cleanup()


def report(rows: list, runs: dict[str, Path]) -> None:
    """Medians off and on with ratios, then one summary line per run and size."""
    for name, attempt in runs.items():
        print(f"{name}: {events_in(attempt):,} events, replayed at {SPEEDS[name]:g}x")
    summary = []
    for name, size, results in rows:
        n = len(results["off"])
        print(f"\n{name} at {size[0]}x{size[1]}, median of {n} (off = MASSGEN_DISABLE_PLUGINS="
              "tui_throttle)")
        print(f"  {'':<16}{'off':>10}{'on':>10}{'on/off':>8}")
        med = {mode: {k: statistics.median(pick(r, k) for r in rs) for k, _ in METRICS}
               for mode, rs in results.items()}
        for key, label in METRICS:
            off, on = med["off"][key], med["on"][key]
            ratio = f"{on / off:.2f}" if off else "-"
            print(f"  {label:<16}{off:>10.2f}{on:>10.2f}{ratio:>8}")
        everything = [r for rs in results.values() for r in rs]
        same = len({json.dumps(r["content"], sort_keys=True) for r in everything}) == 1
        order = len({json.dumps(r["critical"]) for r in everything}) == 1
        pauses = {mode: max((p[1] for r in rs for p in r["gc_full_pauses"]), default=0.0)
                  for mode, rs in results.items()}
        print(f"  same final timelines in all {len(everything)} replays: {same}; same critical "
              f"order: {order} ({len(everything[0]['critical'])} critical events)")
        print(f"  longest full garbage collection: off {pauses['off']:.0f} ms, "
              f"on {pauses['on']:.0f} ms")
        summary.append((name, size, med, same and order))
    print("\n| run | size | UI CPU on/off | frames on/off | stream p99 off / on | "
          "critical p99 off / on | final timelines |")
    print("|---|---|---|---|---|---|---|")
    for name, size, med, same in summary:
        off, on = med["off"], med["on"]
        print(f"| {name} | {size[0]}x{size[1]} | {on['ui_cpu_s'] / off['ui_cpu_s']:.2f}x "
              f"({off['ui_cpu_s']:.2f} / {on['ui_cpu_s']:.2f} s) | "
              f"{on['frames'] / off['frames']:.2f}x | {off['stream_p99']:.0f} / "
              f"{on['stream_p99']:.0f} ms | {off['crit_p99']:.0f} / {on['crit_p99']:.0f} ms | "
              f"{'identical' if same else 'DIFFERENT'} |")


if __name__ == "__main__":
    main()
