"""MassGen's own Textual TUI through the bridge: recorded runs, tui_throttle on and off.

The real TextualApp of MassGen 0.1.97 runs headless (Textual's run_test) in four processes
(tui_harness.py; `import massgen` takes 15 s): one with the bridge and tui_throttle on, one
with tui_throttle switched off, which then also replays everything after putting back every
function the bridge wrapped (MassGen exactly as without us), and two with a sink plugin that
fails on purpose (tests/faulty_sink.py, a distribution on the harness's PYTHONPATH), alone or
next to MassGen under tui_throttle, a different fault for each run. Each replays the recorded runs
in ../shared/massgen-logs at once, a flood, through MassGen's own viewer feeder, plus a copy
of run_b whose text and thinking deltas are cut into 3- and 7-character pieces (what a fast
model streams: many pieces with a space at one end, which MassGen strips one by one) with a
burst of warning status lines after each restart.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from massgen_plugins.events.classes import MASSGEN_TUI_CLASSES, Classifier
from tests.conftest import SHARED, lay_plugin
from tests.faulty_sink import faulty_sink

RUNS = ("run_a_two_agents", "run_b_three_agents_long", "run_h_tools")
SPLIT = "run_b_split"
HARNESS = Path(__file__).with_name("tui_harness.py")
WARNINGS = ("Backend slow, retrying (1/3)", "Backend slow, retrying (2/3)", "Backend answered")
# Per fault mode: the faulty plugin's position, and each run's fault with the warning it makes
# (the deadlines are the defaults: 2 s for a sink's call or a held event, 3 s to build one).
FAULTS = {
    "faults": ("", {
        RUNS[0]: ("raise@40", "its TUI sink raised RuntimeError: faulty sink refuses event 40 in emit"),
        RUNS[1]: ("base@300", "its TUI sink raised KeyboardInterrupt: faulty sink at event 300 in emit"),
        RUNS[2]: ("block@40", "its TUI sink's emit did not return within 2 s"),
        SPLIT: ("hold@100", "its TUI sink held an event for more than 2 s")}),
    "faults_throttled": ("tryfirst", {
        RUNS[0]: ("block@15", "its TUI sink's emit did not return within 2 s"),
        RUNS[1]: ("raise@60", "its TUI sink raised RuntimeError: faulty sink refuses event 60 in emit"),
        RUNS[2]: ("base@15", "its TUI sink raised KeyboardInterrupt: faulty sink at event 15 in emit"),
        SPLIT: ("build-block", "hook wrap_event_sink did not return within 3 s")}),
}

pytestmark = pytest.mark.skipif(not (SHARED / "massgen-logs").is_dir(), reason="needs ../shared")


def split_copy(source: Path, into: Path) -> Path:
    """run_b with its deltas cut small and warning lines after each restart; its attempt dir."""
    shutil.copytree(source, into)
    attempt = next(into.glob("log_*/turn_*/attempt_*"))
    lines = []
    for line in (attempt / "events.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        data, kind = event["data"], event["event_type"]
        size = {"text": 7, "thinking": 3}.get(kind)
        content = data.get("content")
        if size and isinstance(content, str) and len(content) > size and not data.get("done"):
            lines += [json.dumps({**event, "data": {**data, "content": content[i:i + size]}})
                      for i in range(0, len(content), size)]
        else:
            lines.append(line)
        if kind == "agent_restart":
            lines += [json.dumps({**event, "event_type": "status",
                                  "data": {"message": m, "level": "warning"}}) for m in WARNINGS]
    (attempt / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return attempt


@pytest.fixture(scope="session")
def replays(real_massgen: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The harness's reports: "on", and "off" (with "without_bridge" in it), keyed by run."""
    root = tmp_path_factory.mktemp("massgen_tui")
    attempts = {}
    for run in RUNS:
        shutil.copytree(SHARED / "massgen-logs" / run, root / run)  # the viewer writes
        attempts[run] = next((root / run).glob("log_*/turn_*/attempt_*"))
    attempts[SPLIT] = split_copy(SHARED / "massgen-logs" / RUNS[1], root / SPLIT)
    procs = {}
    off = {"MASSGEN_DISABLE_PLUGINS": "tui_throttle"}
    for mode, extra, flags in (("on", {}, ["--scroll"]),
                               ("off", off, ["--scroll", "--without-bridge-too"]),
                               ("faults", off, []), ("faults_throttled", {}, [])):
        home = root / f"home-{mode}"
        home.mkdir()
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("MASSGEN")},
               "HOME": str(home), "XDG_CONFIG_HOME": str(home / "xdg"),
               "MASSGEN_LOG_BASE_DIR": str(home / "logs"), "LITELLM_LOCAL_MODEL_COST_MAP": "True",
               **extra}
        if mode in FAULTS:
            position, plan = FAULTS[mode]
            lay_plugin(home / "site", "faulty_sink", faulty_sink(position))
            env["PYTHONPATH"] = os.pathsep.join([str(home / "site"), env.get("PYTHONPATH", "")])
            config = home / "xdg" / "massgen-plugins" / "config.yaml"  # our own file
            config.parent.mkdir(parents=True)
            steps = ", ".join(plan[run][0] for run in attempts)
            config.write_text(f"plugins: {{faulty_sink: {{plan: [{steps}]}}}}\n", encoding="utf-8")
            flags = [*flags, "--log"]
        out = root / f"{mode}.json"
        procs[mode] = (out, subprocess.Popen(
            [sys.executable, str(HARNESS), str(out), *flags, *map(str, attempts.values())],
            cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    reports = {}
    for mode, (out, proc) in procs.items():
        # The process ends, stuck plugin threads or not (a generous limit, never reached).
        log, _ = proc.communicate(timeout=900)
        assert proc.returncode == 0, log[-4000:]
        report = json.loads(out.read_text(encoding="utf-8"))
        report["output"] = log
        if mode in FAULTS:
            report["massgen_log"] = Path(report["massgen_log"]).read_text(encoding="utf-8")
        names = {str(path): name for name, path in attempts.items()}
        report["runs"] = {names[k]: v for k, v in report["runs"].items()}
        if "without_bridge" in report:
            report["without_bridge"] = {names[k]: v for k, v in report["without_bridge"].items()}
        report["attempts"] = attempts
        reports[mode] = report
    return reports


def recorded(attempt: Path) -> list[dict[str, Any]]:
    """The run's events as MassGen wrote them."""
    lines = (attempt / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def routed(events: list[dict[str, Any]], agents: list[str]) -> list[dict[str, Any]]:
    """The events MassGen's app hands a panel's adapter: an agent's own, of a panel it has."""
    return [e for e in events if e["agent_id"] in agents]


def test_the_bridge_feeds_massgens_tui_through_tui_throttle(replays):
    for mode in ("on", "off"):
        seams = {s["name"]: s["status"] for s in replays[mode]["bridge"]["seams"]}
        assert seams["tui"] == "wrapped"
    assert "tui_throttle" in replays["on"]["bridge"]["plugins"]
    assert "tui_throttle" not in replays["off"]["bridge"]["plugins"]
    assert fault_lines(replays["on"]["output"]) == [], "no deadline taken for a fault"
    for run, report in replays["on"]["runs"].items():
        # Deltas were merged (fewer, larger events): the comparisons below are not trivial.
        assert len(report["received"]) < 0.8 * report["fed"], run


@pytest.mark.parametrize("run", [*RUNS, SPLIT])
def test_every_critical_event_reaches_massgens_adapters_in_order(replays, run):
    classify = Classifier(defaults=MASSGEN_TUI_CLASSES)
    on, without = replays["on"]["runs"][run], replays["off"]["without_bridge"][run]
    events = routed(recorded(replays["on"]["attempts"][run]), on["agents"])
    crit = [e for e in events if classify.of(_Ev(e)) == "critical"]
    assert len(on["critical"]) == len(crit) > 5
    assert [c.split(":")[:2] for c in on["critical"]] == [[e["agent_id"], e["event_type"]]
                                                         for e in crit]
    assert on["critical"] == without["critical"]


@pytest.mark.parametrize("run", ["run_b_three_agents_long", SPLIT])
def test_every_reasoning_block_is_closed(replays, run):
    on, without = replays["on"]["runs"][run], replays["off"]["without_bridge"][run]
    done = [e for e in recorded(replays["on"]["attempts"][run])
            if e["event_type"] == "thinking" and e["data"].get("done") is True]
    assert on["thinking_done"] == without["thinking_done"] == len(done) == 5
    assert on["closed"] == [True] * len(done), "the open reasoning card ends at each done"


@pytest.mark.parametrize("run", [*RUNS, SPLIT])
def test_status_lines_all_appear(replays, run):
    on, without = replays["on"]["runs"][run], replays["off"]["without_bridge"][run]
    events = routed(recorded(replays["on"]["attempts"][run]), on["agents"])
    status = [e["data"].get("message") for e in events if e["event_type"] == "status"]
    assert on["status"] == without["status"] == status, "none superseded, none dropped"
    if run == SPLIT:
        # Shown in the timelines as lines of their own (the oldest items are trimmed by
        # MassGen, which keeps the last 30 of each timeline).
        shown = [[i for i in items if i.startswith("Static: Backend")]
                 for items in on["content"].values()]
        assert shown == [[i for i in items if i.startswith("Static: Backend")]
                         for items in without["content"].values()]
        assert sum(map(len, shown)) >= len(WARNINGS) * 4


@pytest.mark.parametrize("run", [*RUNS, SPLIT])
def test_final_timelines_are_the_same_with_and_without_the_plugin(replays, run):
    on, without = replays["on"]["runs"][run], replays["off"]["without_bridge"][run]
    assert timeline(on) == timeline(without)
    assert timeline(replays["off"]["runs"][run]) == timeline(without)
    final = [i for items in on["content"].values() for i in items
             if i.startswith("FinalPresentationCard:")]
    assert len(final) == 1 and "FINAL ANSWER" in final[0]
    if run == SPLIT:
        # MassGen strips each piece on its own, so the cut pieces show other text than the
        # recorded deltas did (words glue where a cut fell beside a space): merged, they
        # must show that very text, not their concatenation.
        assert on["content"] != replays["on"]["runs"][RUNS[1]]["content"]


@pytest.mark.parametrize("run", [*RUNS, SPLIT])
def test_without_the_plugin_massgen_receives_exactly_its_own_events(replays, run):
    off, without = replays["off"]["runs"][run], replays["off"]["without_bridge"][run]
    assert off["received"] == without["received"], "the same fields, in the same order"
    assert off["same_objects"] and without["same_objects"], "the very objects the feeder read"
    assert off["fed"] == without["fed"] == len(recorded(replays["off"]["attempts"][run]))


def test_a_reader_who_scrolls_up_while_text_streams_is_not_pulled_down(replays):
    on, off = replays["on"]["scroll"], replays["off"]["scroll"]
    # Both scrolled up while MassGen's own auto-scroll was settling, as it is most of the
    # time while text streams, and the stream went on for 1.5 s.
    assert on["guarded"] and off["guarded"]
    assert on["scroll_mode"] and on["scroll_y"] <= on["max_scroll_y"] - 20, on
    assert on["new_content"] > 0, "the reader is told that more came in below"
    assert max(on["scrolls_per_frame"]) <= 1 and sum(on["scrolls_per_frame"]) > 5
    # Without the plugin MassGen took that scroll for its own and pulled the reader back.
    assert not off["scroll_mode"] and off["scroll_y"] >= off["max_scroll_y"] - 2, off


def test_full_collections_leave_massgens_objects_alone_only_while_a_chain_feeds_the_app(replays):
    for run, report in replays["on"]["runs"].items():
        assert report["frozen"] > 100_000, run  # MassGen's imports and the app, at least
        assert report["frozen_after"] == 0, "thawed when the app unmounts"
    for report in replays["off"]["runs"].values():
        assert report["frozen"] == report["frozen_after"] == 0, "MassGen as it is"


def timeline(report: dict[str, Any]) -> dict[str, list[str]]:
    """Each agent's final timeline, the final answer card cut to its header (winner, votes).

    What the card holds below its header depends on when it is read: MassGen alone fills it
    with the answer, or with its workspace preview while it is still evaluating.
    """
    def item(line: str) -> str:
        if line.startswith("FinalPresentationCard:"):
            return " | ".join(line.split(" | ")[:3])
        return line
    return {agent: [item(i) for i in items] for agent, items in report["content"].items()}


def fault_lines(text: str) -> list[str]:
    """The warning lines our bridge and host wrote about plugins."""
    return [line for line in text.splitlines() if "massgen-plugins: warning: plugin" in line]


def test_a_failing_sink_plugin_alone_costs_massgens_app_no_event_and_repeats_none(replays):
    faults, without = replays["faults"]["runs"], replays["off"]["without_bridge"]
    for run in (*RUNS, SPLIT):
        # Every field of every event, in MassGen's order, once: what MassGen alone receives.
        assert faults[run]["received"] == without[run]["received"], run
        assert faults[run]["fed"] == without[run]["fed"]
        assert timeline(faults[run]) == timeline(without[run]), run


def test_beside_tui_throttle_a_failing_sink_plugin_costs_massgens_app_nothing(replays):
    faults, without = replays["faults_throttled"]["runs"], replays["off"]["without_bridge"]
    for run in (*RUNS, SPLIT):
        for key in ("critical", "status", "thinking_done"):
            assert faults[run][key] == without[run][key], (run, key)
        assert timeline(faults[run]) == timeline(without[run]), run


@pytest.mark.parametrize("mode", list(FAULTS))
def test_each_fault_is_one_warning_naming_the_plugin_in_the_output_and_massgen_log(replays,
                                                                                   mode):
    report = replays[mode]
    expected = [says for _, says in FAULTS[mode][1].values()]
    for where in ("output", "massgen_log"):
        lines = fault_lines(report[where])
        assert len(lines) == len(expected), (where, lines)
        for line, says in zip(lines, expected):
            assert "plugin 'faulty_sink': " + says in line, (where, line)
            assert "directly" in line or "unwrapped" in line, line
    assert "Traceback" not in report["output"]


class _Ev:
    """A recorded event as Classifier.of reads one."""

    def __init__(self, event: dict[str, Any]) -> None:
        self.event_type, self.data = event["event_type"], event["data"]
