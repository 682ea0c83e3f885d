"""What a user feels in MassGen's own TUI: key presses and streamed text, tui_throttle on and off.

Usage: .venv-massgen/bin/python bench/massgen_tui_latency.py [--runs 1] [--sizes 80x24]
       [--throttle intervals.text=50 ...]   (`make bench-tui-latency ARGS=...` runs it in a
       network namespace with only the loopback interface up; needs tmux)

The real `massgen viewer LOG_DIR --replay-speed 1` runs in a real terminal: a private tmux
server (`new-session -d -x W -y H`, no status line), one fresh process per replay, tui_throttle
off (MASSGEN_DISABLE_PLUGINS=tui_throttle) and on (its defaults, or the `--throttle` settings
written to the replay's own massgen-plugins config), alternately. Two recordings, both written
by MassGen 0.1.97 (bench/massgen_tui.py says how): the flood (recorded here first, about 8,000
events) and ../shared's run_b (1,836 events in 39 s, a normal run), each at its recorded
pace. In a copy of each, every EVERY-th streamed delta (text, thinking) carries a
marker instead of its text (QZ and four letters, unique).

While the replay streams, and then on the idle app, this script presses the key of the next
agent (MassGen: digit N shows agent N) every 400 to 800 ms, each once the answer to the last
one is on the screen, and times it from outside:

- key, outside: from just before `send-keys` until a `capture-pane -e` of the bottom row shows
  the next agent's label in bold on MassGen's execution status line (the focused agent's is
  bold, the others dim). Both go through one tmux control-mode client (no process per poll);
  the row is read every POLL_MS, so the figure is late by up to one poll and one capture's
  round trip (their medians are printed). On the idle app (the replay over) it is the floor:
  tmux, the terminal, Textual and MassGen's own panel switch with nothing else to do.

bench/massgen_tui_probe.py (MASSGEN_TUI_PROBE_KEYS=1) measures inside the same process:

- key, inside: from the key event Textual made on its input thread to the end of the first
  frame drawn after MassGen switched the panel; outside minus inside is the terminal's and the
  measuring's share;
- event to screen: from a marker's entry into MassGen (the bridge's entry point,
  `_handle_event_from_emitter`, before any plugin) to the end of the first frame drawn after
  MassGen applied it (for text cards, after the card's own debounced redraw), counted for
  markers away from key presses (a panel switch holds the UI thread, and text waits behind
  it; "all drawn" in the detail counts every marker); "applied" stops at the end of MassGen's
  timeline adapter's work instead; "found in a frame's bytes" is the focused agent's markers
  seen in what the frame wrote (a marker split by styling is not found: a lower bound on n);
- UI CPU (the app thread), process CPU (every thread) and frames, from the replay's start
  until it has settled.

Figures are pooled over the runs (p50/p99 of every press); "spread" is the range of the
per-run p50s and of UI CPU. The load average is recorded before each replay.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import random
import re
import select
import shutil
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from massgen_tui import SHARED_RUN_B, SITECUSTOMIZE, copy_run, events_in, massgen_env, record_flood

BENCH = Path(__file__).resolve().parent
EVERY = {"flood": 10, "normal": 3}  # one streamed delta in EVERY carries a marker
SPEED = 1.0  # both runs at their recorded pace
POLL_MS = 5.0
GAP_S = (0.4, 0.8)  # between a key's answer and the next press
IDLE_PRESSES = 20
ANSWER_TIMEOUT_S = 5.0
REPLY_TIMEOUT_S = 20.0
# Set once the session exists (tmux 3.3a's server dies spawning the first pane when a config
# file sets window-size first): the viewer takes seconds to start, the pane is sized by then.
OPTIONS = ("status off", "window-size manual", "remain-on-exit on")


class Terminal:
    """A private tmux server running one command at a fixed size, read through control mode."""

    def __init__(self, socket: Path, size: tuple[int, int], command: list[str],
                 env: dict[str, str]) -> None:
        """Start the server with `command` in its only pane, and a control-mode client."""
        self.base = ["tmux", "-u", "-S", str(socket), "-f", os.devnull]
        self.env = env
        self._buffer = b""
        options = [arg for option in OPTIONS for arg in (";", "set", "-g", *option.split())]
        subprocess.run([*self.base, "new-session", "-d", "-s", "bench", "-x", str(size[0]),
                        "-y", str(size[1]), *command, *options], env=env, check=True)
        self.ctl = subprocess.Popen([*self.base, "-C", "attach-session", "-t", "bench"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        # A line sent before the client has attached is sometimes lost (the pane's output
        # then flows and no reply ever comes): wait until the attach is done.
        self._wait_for("%session-changed")
        token = f"sync-{os.getpid()}"
        self._send(f"refresh-client -f no-output ; display-message -p {token}")
        self._wait_for(token)

    def _wait_for(self, wanted: str) -> None:
        """Read the control client's lines up to `wanted` (a line's start)."""
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while not (self._line(deadline - time.monotonic()) or "").startswith(wanted):
            if time.monotonic() > deadline:
                raise RuntimeError(f"tmux's control client: no {wanted!r} line in "
                                   f"{REPLY_TIMEOUT_S:g} s")

    def cmd(self, command: str) -> str:
        """Run one tmux command through the control client; its output."""
        self._send(command)
        return self._reply()

    def _send(self, command: str) -> None:
        assert self.ctl.stdin is not None
        self.ctl.stdin.write(command.encode() + b"\n")
        self.ctl.stdin.flush()

    def _reply(self) -> str:
        """The next command's output block (notifications between blocks are skipped)."""
        out: list[str] = []
        inside = False
        while True:
            text = self._line(REPLY_TIMEOUT_S)
            if text is None:
                raise RuntimeError(f"tmux did not answer within {REPLY_TIMEOUT_S:g} s")
            if text.startswith("%begin"):
                inside = True
            elif inside and text.startswith(("%end", "%error")):
                return "\n".join(out)
            elif inside:
                out.append(text)

    def _line(self, timeout: float) -> str | None:
        """The control client's next line; None when none came within `timeout` seconds."""
        assert self.ctl.stdout is not None
        fd = self.ctl.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError("tmux's control client ended")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def cpu(self) -> float:
        """CPU seconds the tmux server has used (it parses every frame the app writes)."""
        pid = self.cmd("display-message -p '#{pid}'").strip()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def dead(self) -> bool:
        """Whether the pane's command has ended."""
        return self.cmd("display-message -p -t bench '#{pane_dead}'").strip() == "1"

    def screen(self) -> str:
        """The whole pane, for an error message."""
        return self.cmd("capture-pane -p -t bench")

    def close(self) -> None:
        """End the control client and the server (and so the viewer, if still there)."""
        try:
            if self.ctl.stdin is not None:
                self.ctl.stdin.close()
            self.ctl.wait(timeout=5)
        except Exception:  # the server goes next anyway
            self.ctl.kill()
        subprocess.run([*self.base, "kill-server"], env=self.env, capture_output=True)


def mark(attempt: Path, every: int) -> int:
    """Put a unique marker into every `every`-th streamed delta of the recording; how many."""
    path = attempt / "events.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    seen = marked = 0
    for i, line in enumerate(lines):
        if '"text"' not in line and '"thinking"' not in line:
            continue
        event = json.loads(line)
        content = (event.get("data") or {}).get("content")
        if event.get("event_type") not in ("text", "thinking") or not isinstance(content, str):
            continue
        core = content.strip()
        if len(core) < 4:
            continue
        seen += 1
        if seen % every:
            continue
        n, letters = marked, ""
        for _ in range(4):
            n, r = divmod(n, 26)
            letters += string.ascii_uppercase[r]
        lead = content[:len(content) - len(content.lstrip())]
        trail = content[len(content.rstrip()):]
        event["data"]["content"] = f"{lead}QZ{letters}{trail}"
        lines[i] = json.dumps(event) + "\n"
        marked += 1
    path.write_text("".join(lines), encoding="utf-8")
    return marked


def bold_runs(row: str) -> list[str]:
    """The runs of bold letters and digits in a row captured with its styles (`capture-pane -e`)."""
    runs, run, bold = [], "", False
    for match in _STYLED.finditer(row):
        if match.group(1) is not None:
            codes = re.split("[;:]", match.group(1))
            i = 0
            while i < len(codes):
                code = codes[i]
                if code in ("", "0", "22"):
                    bold = False
                elif code == "1":
                    bold = True
                elif code in ("38", "48", "58"):  # a color: 5;N or 2;R;G;B follows
                    i += 2 if codes[i + 1:i + 2] == ["5"] else 4
                i += 1
            continue
        char = match.group(2)
        if bold and char.isalnum():
            run += char
        elif run:
            runs.append(run)
            run = ""
    return [*runs, run] if run else runs


_STYLED = re.compile(r"\x1b\[([0-9;:]*)m|(.)", re.S)


class Presser:
    """Presses the next agent's digit and times, from outside, until the screen shows the answer.

    The answer: MassGen's execution status line (the bottom row, one label per agent) shows
    the next agent's label in bold, the others dim. Nothing but the focused agent changes
    which label is bold (its pulses and checks are not letters).
    """

    def __init__(self, term: Terminal, poll: float) -> None:
        """Find the status line and its labels, in order, on the screen."""
        self.term, self.poll = term, poll
        rows = term.cmd("capture-pane -p -t bench").split("\n")
        self.row = next((i for i in range(len(rows) - 1, -1, -1)
                         if "╭" in rows[i] and "╮" in rows[i]), None)
        if self.row is None:
            raise SystemExit("MassGen's status line is not on the screen:\n" + "\n".join(rows))
        line = rows[self.row]
        self.labels = re.findall(r"[^\W_]+", line[line.index("╭"):line.index("╮")])
        self.rtts: list[float] = []
        self.timeouts = 0
        self.last_timeout = ""  # the screen when a press was last not answered

    def focused(self) -> str | None:
        """The label the status line shows in bold, if exactly one."""
        runs = [r for r in bold_runs(self.term.cmd(
            f"capture-pane -p -e -t bench -S {self.row} -E {self.row}")) if r in self.labels]
        return runs[0] if len(runs) == 1 else None

    def press(self) -> float | None:
        """One press; ms until the answer was seen, None when it never came."""
        deadline = time.monotonic() + ANSWER_TIMEOUT_S
        while (before := self.focused()) is None:
            if time.monotonic() > deadline:  # covered (a toast?): no press this time
                self.timeouts += 1
                self.last_timeout = self.term.screen()
                return None
            time.sleep(0.05)
        index = (self.labels.index(before) + 1) % len(self.labels)
        expected = self.labels[index]
        sent = time.monotonic()
        self.term.cmd(f"send-keys -t bench {index + 1}")
        while True:
            asked = time.monotonic()
            now = self.focused()
            seen = time.monotonic()
            self.rtts.append((seen - asked) * 1000)
            if now == expected:
                return (seen - sent) * 1000
            if seen - sent > ANSWER_TIMEOUT_S:
                self.timeouts += 1
                self.last_timeout = self.term.cmd("capture-pane -p -e -t bench")
                return None
            time.sleep(self.poll)


def phase(out: Path) -> str:
    """What the probe says: '' (starting), 'started', 'settled'."""
    try:
        return (out.parent / (out.name + ".phase")).read_text(encoding="utf-8")
    except OSError:
        return ""


def replay(attempt: Path, size: tuple[int, int], plugin: bool, work: Path, site: Path,
           poll: float, throttle: str) -> dict[str, Any]:
    """One viewer in tmux, pressed during its stream and idle; the probe's figures and ours."""
    if throttle:  # the user's own massgen-plugins config, as `--throttle` says
        config = work / ".config" / "massgen-plugins" / "config.yaml"
        config.parent.mkdir(parents=True)
        config.write_text(throttle, encoding="utf-8")
    out = work / "probe.json"
    env = {**massgen_env(work), "PYTHONPATH": str(site), "MASSGEN_TUI_PROBE_OUT": str(out),
           "MASSGEN_TUI_PROBE_KEYS": "1", "PYTHONPYCACHEPREFIX": str(work.parent / "pycache")}
    for name in ("PYTHONDONTWRITEBYTECODE", "TMUX", "TMUX_PANE", "COLUMNS", "LINES",
                 "TEXTUAL_DRIVER"):
        env.pop(name, None)
    if not plugin:
        env["MASSGEN_DISABLE_PLUGINS"] = "tui_throttle"
    load = os.getloadavg()[0]
    command = ["env", f"--chdir={work}", str(Path(sys.executable).parent / "massgen"), "viewer",
               str(attempt), "--replay-speed", str(SPEED)]
    term = Terminal(work / "tmux.sock", size, command, env)
    try:
        deadline = time.monotonic() + 300
        while phase(out) != "started":
            if term.dead() or time.monotonic() > deadline:
                raise SystemExit(f"the viewer did not start:\n{term.screen()}")
            time.sleep(0.2)
        presser = Presser(term, poll)
        outside: dict[str, list[float]] = {"stream": [], "idle": []}
        cpu, tmux_cpu = time.process_time(), term.cpu()
        while phase(out) == "started":
            if (ms := presser.press()) is not None:
                outside["stream"].append(ms)
            time.sleep(random.uniform(*GAP_S))
        poller_cpu, tmux_cpu = time.process_time() - cpu, term.cpu() - tmux_cpu
        for _ in range(IDLE_PRESSES):
            if (ms := presser.press()) is not None:
                outside["idle"].append(ms)
            time.sleep(random.uniform(*GAP_S))
        (out.parent / (out.name + ".stop")).touch()
        deadline = time.monotonic() + 60
        while not out.exists():
            if time.monotonic() > deadline:
                raise SystemExit(f"the viewer wrote nothing:\n{term.screen()}")
            time.sleep(0.1)
        time.sleep(0.1)  # the file is written in one go, then the app exits
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    finally:
        term.close()
    if presser.last_timeout:
        (work / "unanswered.txt").write_text(presser.last_timeout, encoding="utf-8")
    result.update(outside_ms=outside, rtt_ms=statistics.median(presser.rtts),
                  timeouts=presser.timeouts, load1=load, poller_cpu_s=poller_cpu,
                  tmux_cpu_s=tmux_cpu)
    result.update(derive(result))
    return result


def derive(result: dict[str, Any]) -> dict[str, Any]:
    """The probe's raw times as latencies in ms: keys, and markers away from key presses.

    A marker is quiet when no key press was being answered (from the key's making to the frame
    that answered it) between its entry and the frame after it was applied: a panel switch
    holds the UI thread, and text waits behind it.
    """
    keys = result["keys"]
    spans = [(made, drawn) for phase, made, _, drawn in keys if phase == "stream"]
    d: dict[str, Any] = {
        "keys_ms": {phase: [(drawn - made) * 1000 for p, made, _, drawn in keys if p == phase]
                    for phase in ("stream", "idle")},
        "keys_queued_ms": [(switched - made) * 1000
                           for p, made, switched, _ in keys if p == "stream"],
    }
    quiet: dict[str, list[float]] = {"screen": [], "applied": [], "routed": [], "shown": []}
    every: list[float] = []
    same = later = 0
    for entered, routed, applied, framed, shown, *_ in result["markers"]:
        if framed is None:
            continue
        every.append((framed - entered) * 1000)
        if any(made <= framed and entered <= drawn for made, drawn in spans):
            continue
        quiet["screen"].append((framed - entered) * 1000)
        quiet["applied"].append((applied - entered) * 1000)
        if routed is not None:
            quiet["routed"].append((routed - entered) * 1000)
        if shown is not None:
            quiet["shown"].append((shown - entered) * 1000)
            if shown <= framed:
                same += 1
            else:
                later += 1
    d.update({f"{k}_ms": v for k, v in quiet.items()})
    d["screen_all_ms"] = every
    d["markers_n"] = {"entered": len(result["markers"]), "framed": len(every),
                      "quiet": len(quiet["screen"]), "shown_same_frame": same,
                      "shown_later": later}
    return d


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank), 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One mode's replays pooled: percentiles of every press and marker, medians of the rest."""
    def pooled(get: Any) -> list[float]:
        return [v for r in results for v in get(r)]

    def spread(get: Any) -> tuple[float, float]:
        each = [pct(get(r), 0.5) for r in results if get(r)]
        return (min(each), max(each)) if each else (0.0, 0.0)

    s: dict[str, Any] = {}
    for name, get in (("key_out", lambda r: r["outside_ms"]["stream"]),
                      ("key_in", lambda r: r["keys_ms"]["stream"]),
                      ("idle_out", lambda r: r["outside_ms"]["idle"]),
                      ("idle_in", lambda r: r["keys_ms"]["idle"]),
                      ("queued", lambda r: r["keys_queued_ms"]),
                      ("screen", lambda r: r["screen_ms"]),
                      ("screen_all", lambda r: r["screen_all_ms"]),
                      ("shown", lambda r: r["shown_ms"]),
                      ("applied", lambda r: r["applied_ms"]),
                      ("routed", lambda r: r["routed_ms"])):
        values = pooled(get)
        s[name] = {"n": len(values), "p50": pct(values, 0.5), "p99": pct(values, 0.99),
                   "spread_p50": spread(get)}
    for key in ("ui_cpu_s", "process_cpu_s", "frames", "wall_s", "rtt_ms", "load1",
                "poller_cpu_s", "tmux_cpu_s"):
        values = [float(r[key]) for r in results]
        s[key] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    s["timeouts"] = sum(r["timeouts"] for r in results)
    s["markers"] = {k: sum(r["markers_n"][k] for r in results) for k in results[0]["markers_n"]}
    s["runs"] = len(results)
    return s


def pair(s: dict[str, Any], name: str) -> str:
    """p50 / p99 of one pooled figure."""
    return f"{s[name]['p50']:.0f} / {s[name]['p99']:.0f}"


def report(table: dict[tuple[str, str], dict[str, dict[str, Any]]], poll: float) -> None:
    """The table of docs/tui-latency.md, then the detail."""
    print(f"\nms, p50 / p99 pooled over every press or marker. Key: outside by tmux (poll "
          f"{poll:g} ms), inside by the probe; idle: after the replay. Event to screen: a "
          "marker's entry into MassGen to the first frame after MassGen applied it, away from "
          "key presses. UI CPU and frames: medians per replay.")
    print("| run | size | throttle | key outside | key inside | idle key outside / inside "
          "| event to screen | UI CPU s | process CPU s | frames |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (name, size), modes in table.items():
        for mode in ("off", "on"):
            s = modes[mode]
            print(f"| {name} | {size} | {mode} | {pair(s, 'key_out')} | {pair(s, 'key_in')} | "
                  f"{s['idle_out']['p50']:.0f} / {s['idle_in']['p50']:.0f} | "
                  f"{pair(s, 'screen')} | {s['ui_cpu_s']['median']:.2f} | "
                  f"{s['process_cpu_s']['median']:.2f} | {s['frames']['median']:.0f} |")
    print("\nthe aims: key latency on/off at most 0.5; event to screen p99 on at most 100 ms")
    for (name, size), modes in table.items():
        off, on = modes["off"], modes["on"]

        def ratio(a: float, b: float) -> str:
            return f"{a / b:.2f}" if b else "-"

        print(f"  {name} {size}: key on/off outside p50 "
              f"{ratio(on['key_out']['p50'], off['key_out']['p50'])}, p99 "
              f"{ratio(on['key_out']['p99'], off['key_out']['p99'])}; inside p50 "
              f"{ratio(on['key_in']['p50'], off['key_in']['p50'])}, p99 "
              f"{ratio(on['key_in']['p99'], off['key_in']['p99'])}; event to screen p99 on "
              f"{on['screen']['p99']:.0f} ms; UI CPU on/off "
              f"{ratio(on['ui_cpu_s']['median'], off['ui_cpu_s']['median'])}")
    print("\ndetail (spread: the range of the per-replay p50s)")
    for (name, size), modes in table.items():
        for mode in ("off", "on"):
            s, m = modes[mode], modes[mode]["markers"]
            print(f"  {name} {size} {mode}: {s['runs']} replays, load "
                  f"{s['load1']['min']:.1f}-{s['load1']['max']:.1f}, wall "
                  f"{s['wall_s']['median']:.1f} s, UI CPU {s['ui_cpu_s']['min']:.2f}-"
                  f"{s['ui_cpu_s']['max']:.2f} s\n"
                  f"    keys: {s['key_out']['n']} presses ({s['timeouts']} unanswered), spread "
                  f"outside {fmt(s['key_out']['spread_p50'])}, inside "
                  f"{fmt(s['key_in']['spread_p50'])}; key to MassGen's switch "
                  f"{pair(s, 'queued')}; capture round trip {s['rtt_ms']['median']:.2f} ms; "
                  f"CPU while pressing: poller {s['poller_cpu_s']['median']:.2f} s, tmux "
                  f"{s['tmux_cpu_s']['median']:.2f} s\n"
                  f"    markers: {m['entered']} entered, {m['framed']} drawn, {m['quiet']} away "
                  f"from keys (spread {fmt(s['screen']['spread_p50'])}); all drawn "
                  f"{pair(s, 'screen_all')}; entry to the UI thread {pair(s, 'routed')}, to "
                  f"applied {pair(s, 'applied')}; the focused agent's found in a frame's bytes "
                  f"{pair(s, 'shown')} ({m['shown_same_frame']} in the first frame after "
                  f"being applied, {m['shown_later']} later)")


def fmt(pair: tuple[float, float]) -> str:
    """A range of ms."""
    return f"{pair[0]:.0f}-{pair[1]:.0f}"


def throttle_config(pairs: list[str]) -> str:
    """`--throttle KEY=VALUE` as a massgen-plugins config file's text ('' for none)."""
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or number is None or not key:
            raise SystemExit(f"--throttle {pair}: expected KEY=NUMBER, e.g. max_fps=30")
        *parents, last = key.split(".")
        node = settings
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = number
    if not settings:
        return ""
    print(f"tui_throttle settings: {json.dumps(settings)}")
    return json.dumps({"plugins": {"tui_throttle": settings}}) + "\n"  # YAML reads JSON


def main() -> None:
    """Record, mark, replay in tmux on and off alternately, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="replays per cell and mode")
    parser.add_argument("--sizes", default="80x24", help="terminal sizes, e.g. 80x24,200x60")
    parser.add_argument("--throttle", action="append", default=[], metavar="KEY=VALUE",
                        help="a tui_throttle setting for the replays with it, e.g. max_fps=30 "
                             "or intervals.text=20 (ms), repeatable")
    parser.add_argument("--only", choices=("flood", "normal"), help="replay one run only")
    parser.add_argument("--poll-ms", type=float, default=POLL_MS)
    parser.add_argument("--keep", type=Path, help="keep the work files here (default: a temp dir)")
    parser.add_argument("--flood", type=Path,
                        help="replay this recorded flood (an attempt dir) instead of recording one")
    parser.add_argument("--json", type=Path, help="write every replay's figures here")
    args = parser.parse_args()
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 PID`: where a stuck bench waits
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is needed (the TUI runs in a real terminal): install tmux")
    try:
        sizes = [(int(w), int(h)) for w, h in (s.split("x") for s in args.sizes.split(","))]
    except ValueError:
        raise SystemExit(f"--sizes {args.sizes}: expected WIDTHxHEIGHT[,...], e.g. 80x24") from None
    throttle = throttle_config(args.throttle)
    tmp = tempfile.TemporaryDirectory() if args.keep is None else None
    root = args.keep or Path(tmp.name)  # type: ignore[union-attr]
    root.mkdir(parents=True, exist_ok=True)
    site = root / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE.format(bench=str(BENCH)))
    runs: dict[str, Path] = {}
    if args.only in (None, "flood"):
        if args.flood is not None:
            runs["flood"] = copy_run(args.flood.parents[2], root / "flood")
        else:
            runs["flood"] = record_flood(root / "record")
    if args.only in (None, "normal"):
        if SHARED_RUN_B.is_dir():
            runs["normal"] = copy_run(SHARED_RUN_B, root / "normal")
        else:
            print(f"skipping the normal run: {SHARED_RUN_B} is not there")
    for name, attempt in runs.items():
        print(f"{name}: {events_in(attempt):,} events, {mark(attempt, EVERY[name])} markers, "
              f"replayed at {SPEED:g}x", flush=True)
    results: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    started = time.monotonic()
    for n in range(args.runs):
        for name, attempt in runs.items():
            for size in sizes:
                cell = results.setdefault((name, f"{size[0]}x{size[1]}"), {"off": [], "on": []})
                # Alternate which mode goes first, so neither always runs on a warmer machine.
                for mode in (("off", "on") if n % 2 == 0 else ("on", "off")):
                    work = root / f"{name}-{size[0]}x{size[1]}-{mode}-{n}"
                    work.mkdir()
                    cell[mode].append(replay(attempt, size, mode == "on", work, site,
                                             args.poll_ms / 1000, throttle))
                    print(".", end="", flush=True)
    print(f" {time.monotonic() - started:.0f} s")
    if args.json is not None:
        args.json.write_text(json.dumps({f"{k[0]} {k[1]}": v for k, v in results.items()}))
    report({k: {m: summary(rs) for m, rs in v.items()} for k, v in results.items()},
           args.poll_ms)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
