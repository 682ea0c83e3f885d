"""The TUI tells the end of the story: outcome, end states, final answer, order, rounds, time."""

from __future__ import annotations

import asyncio

import pytest

from massgen_plugins.events.classes import Classifier
from massgen_plugins.events.jsonl import read_events
from massgen_plugins.logs.files import Warnings
from massgen_plugins.tui.app import FinalAnswer, MassgenApp
from massgen_plugins.tui.replay import replay_source
from massgen_plugins.tui.state import duration
from tests.conftest import SHARED
from tests.synthetic_runs import (
    run_five_agents,
    run_interrupted_in_coordination,
    run_interrupted_in_presentation,
    run_killed,
    run_restarted,
    run_timed_out,
    write_run,
)


def screen_text(app):
    """The screen as a terminal shows it, one line per row."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


def play(source, size=(80, 24), batch=5, keys=(), shuffle=False):
    """Replay `source` (a log dir) in the app the way the sink feeds it; what a user sees."""
    path, info = replay_source(source, None, Warnings())
    events = list(read_events(path, Warnings()))
    if shuffle:  # a max-speed replay delivers the agents' first events in any order
        events.sort(key=lambda e: (e.agent_id or "") != "agent_b")
    app = MassgenApp(Classifier(), info=info)
    seen = {}

    async def go():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            seen["focused_at_start"] = getattr(app.focused, "parent", None)
            for n in range(0, len(events), batch):
                app.apply(events[n:n + batch])
                await pilot.pause()
            app.finish(False)
            await pilot.pause(0.1)
            seen["screen"] = screen_text(app)
            seen["heads"] = {a: str(p.head.render()) for a, p in app.panels.items()}
            seen["order"] = [p.agent_id for p in app.query("AgentPanel")]
            seen["texts"] = {a: p.stream.text for a, p in app.panels.items()}
            for key in keys:
                await pilot.press(key)
                await pilot.pause(0.1)
            if isinstance(app.screen, FinalAnswer):
                seen["final"] = str(app.screen.query_one("Static").render())

    asyncio.run(go())
    seen["app"] = app
    return seen


def top_line(seen):
    return seen["screen"].splitlines()[0]


def votes_line(seen):
    return seen["screen"].splitlines()[-2]


def test_a_completed_run_ends_with_the_outcome_each_agents_end_state_and_the_winner(tmp_path):
    seen = play(write_run(tmp_path), keys=["f"])
    assert top_line(seen).startswith(" ✓ completed What is 2+2? (turn 1)")
    assert top_line(seen).rstrip().endswith("time 0:12")
    assert seen["heads"] == {"agent_a": "agent_a · r2\nwinner",
                             "agent_b": "agent_b · r1\nvoted agent_a"}
    assert votes_line(seen).startswith(" ★ winner agent_a │ tally agent_a 2")
    assert "streaming" not in seen["screen"] and "Agents working" not in seen["screen"]
    assert seen["final"] == "The answer is 4."


def test_five_agents_at_80x24_keep_the_winner_question_tally_and_time_in_view(tmp_path):
    seen = play(run_five_agents(tmp_path), size=(80, 24))
    assert votes_line(seen).startswith(" ★ winner agent_a │ tally agent_a 3, agent_b 2")
    assert top_line(seen).startswith(" ✓ completed Compare three strategies")
    assert "time 0:08" in top_line(seen)
    assert all(len(line) <= 80 for line in seen["screen"].splitlines())
    assert seen["order"] == ["agent_a", "agent_b", "agent_c", "agent_d", "agent_e"]
    assert seen["heads"]["agent_e"] == "agent_e · r2\nvoted agent_b"


def test_panels_follow_the_config_order_whatever_order_events_come_in(tmp_path):
    seen = play(run_five_agents(tmp_path), shuffle=True, batch=500)
    assert seen["order"] == ["agent_a", "agent_b", "agent_c", "agent_d", "agent_e"]


def test_the_first_panel_has_the_focus_from_the_start(tmp_path):
    seen = play(run_five_agents(tmp_path))
    assert seen["focused_at_start"] is seen["app"].panels["agent_a"]


def test_rounds_are_broken_apart_and_tool_times_rounded(tmp_path):
    texts = play(run_five_agents(tmp_path))["texts"]
    assert "nodes. \n[answer agent2.1]\n\n── round 1 ──\nComparing the answers" in texts["agent_b"]
    assert "\n── round 2 ──\nComparing again." in texts["agent_b"]
    assert "> search done in 9 ms" in texts["agent_c"]
    assert "0.0089" not in texts["agent_c"]
    assert "\n── final presentation ──\ncaching the write-through" in texts["agent_a"]
    assert (duration(0.008932352066040039), duration(1.25), duration(125)) == (
        "9 ms", "1.2 s", "2:05")


def test_a_timeout_is_shown_and_its_final_answer_is_there(tmp_path):
    seen = play(run_timed_out(tmp_path), keys=["f"])
    assert top_line(seen).startswith(" ⏱ timed out Timed out")
    assert votes_line(seen).startswith(" ★ winner agent_b")
    assert seen["heads"] == {"agent_a": "agent_a · r0\nanswered", "agent_b": "agent_b · r1\nwinner"}
    assert seen["final"].endswith("Agent b's answer: 4, selected at the time limit.")
    assert "(no final answer yet)" not in seen["final"]


def test_an_interrupted_presentation_says_so_and_shows_what_there_is(tmp_path):
    seen = play(run_interrupted_in_presentation(tmp_path), keys=["f"])
    assert top_line(seen).startswith(" ⏸ interrupted")
    assert seen["final"] == ("(⏸ interrupted: the final answer may be cut)\n\n"
                             "The answer is 4 because two and")


def test_interrupted_in_coordination_and_killed_runs(tmp_path):
    seen = play(run_interrupted_in_coordination(tmp_path), keys=["f"])
    assert top_line(seen).startswith(" ⏸ interrupted")
    assert set(seen["heads"].values()) == {"agent_a · r0\ninterrupted",
                                           "agent_b · r0\ninterrupted"}
    assert seen["final"] == "(no final answer: ⏸ interrupted)"
    seen = play(run_killed(tmp_path / "k"))
    assert top_line(seen).startswith(" … incomplete: the log stops")
    assert seen["heads"]["agent_b"] == "agent_b · r0\nstopped"


def test_a_failed_agent_is_shown_failed(tmp_path):
    from tests.synthetic_runs import run_agent_failed

    seen = play(run_agent_failed(tmp_path))
    assert seen["heads"]["agent_b"].endswith("\nfailed")


def test_post_evaluation_and_a_restart_are_read_and_shown(tmp_path):
    session = run_restarted(tmp_path)
    seen = play(session / "turn_1" / "attempt_1")
    assert top_line(seen).startswith(" ↻ restarted Restarted")
    assert "\n── post-evaluation ──\nThe answer lacks a proof.\n[post-evaluation done: agent_a]" \
        in seen["texts"]["agent_a"]
    latest = play(session)
    assert top_line(latest).startswith(" ✓ completed [turn_1/attempt_2] Restarted")
    assert latest["heads"]["agent_b"] == "agent_b · r3\nanswered"


def test_a_bare_events_file_without_its_run_still_ends_truthfully(tmp_path):
    session = run_interrupted_in_presentation(tmp_path)
    events = session / "turn_1" / "attempt_1" / "events.jsonl"
    alone = tmp_path / "events.jsonl"
    alone.write_bytes(events.read_bytes())
    app = MassgenApp(Classifier())

    async def go():
        async with app.run_test(size=(80, 24)) as pilot:
            app.apply(list(read_events(alone, Warnings())))
            app.finish(False)
            await pilot.pause()
            return screen_text(app)

    screen = asyncio.run(go())
    assert screen.splitlines()[0].startswith(" … incomplete: the log stops"), \
        "no answer_locked: the events alone cannot say the run completed"


@pytest.mark.skipif(not (SHARED / "massgen-logs").is_dir(), reason="needs ../shared")
def test_a_real_run_at_80x24(tmp_path):
    seen = play(next((SHARED / "massgen-logs" / "run_b_three_agents_long").glob("log_*")),
                batch=200)
    assert top_line(seen).startswith(" ✓ completed Compare three strategies for caching")
    assert votes_line(seen).startswith(" ★ winner agent_a │ tally agent_a 2, agent_b 1")
    assert seen["heads"] == {"agent_a": "agent_a · r5\nwinner",
                             "agent_b": "agent_b · r3\nvoted agent_a",
                             "agent_c": "agent_c · r3\nvoted agent_b"}
    assert "── round 2 ──" in seen["texts"]["agent_a"]
