"""`logs list` reads the commonest finished run through a short path: its rows must be the
general reader's, field for field, and anything unusual must go to the general reader."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from massgen_plugins.logs import quick
from massgen_plugins.logs.files import Warnings
from massgen_plugins.logs.locate import sessions
from massgen_plugins.logs.sessions import grouped, session_row
from tests.conftest import SHARED
from tests.synthetic_runs import write_every_kind, write_json, write_run

ATTEMPT = Path("turn_1") / "attempt_1"


def rows(base: Path, short: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[list[dict], list[str]]:
    """Every session's list row under `base`, with the short path on or off, and the warnings."""
    with monkeypatch.context() as m:
        if not short:
            m.setattr(quick, "quick_attempt", lambda _path: None)
        warn = Warnings()
        out = [session_row(sid, dirs, warn) for sid, dirs in grouped(base, warn)]
    return out, list(warn)


def quick_count(base: Path) -> int:
    """How many of `base`'s log dirs the short path takes."""
    return sum(quick.quick_attempt(p) is not None for p in sessions(base))


def test_every_kind_of_run_lists_the_same_rows_as_the_general_reader(tmp_path, monkeypatch):
    write_every_kind(tmp_path)
    fast, fast_warn = rows(tmp_path, True, monkeypatch)
    slow, slow_warn = rows(tmp_path, False, monkeypatch)
    assert fast == slow and fast_warn == slow_warn
    # What status.json calls completed takes it (a presentation cut short too: its missing
    # answer_locked makes it interrupted either way); killed, timed-out, failed, restarted,
    # and coordination-interrupted runs do not, nor a --continue turn's dir.
    taken = {p.name for p in sessions(tmp_path) if quick.quick_attempt(p) is not None}
    assert "log_20260101_120000_000000" in taken and len(taken) >= 4
    assert "log_20260103_120000_000000" in taken
    for kind in ("log_20260102", "log_20260104", "log_20260105", "log_20260106", "log_20260107"):
        assert not any(name.startswith(kind) for name in taken), kind
    assert "log_20260108_120500_000000" not in taken  # the --continue turn


@pytest.mark.skipif(not (SHARED / "massgen-logs").is_dir(), reason="needs ../shared")
@pytest.mark.parametrize("run", ["run_a_two_agents", "run_b_three_agents_long", "run_h_tools"])
def test_real_massgen_runs_list_the_same_rows_as_the_general_reader(tmp_path, monkeypatch, run):
    base = tmp_path / run
    shutil.copytree(SHARED / "massgen-logs" / run, base)
    assert quick_count(base) == 1
    assert rows(base, True, monkeypatch) == rows(base, False, monkeypatch)


def _changed(tmp_path: Path, change) -> Path:
    base = tmp_path / "logs"
    session = write_run(base)
    change(session, session / ATTEMPT)
    return base


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    write_json(path, data)


CHANGES = {
    "report in the attempt": lambda s, a: (a / "ANALYSIS_REPORT.md").write_text("# r\n"),
    "report in the session": lambda s, a: (s / "ANALYSIS_REPORT.md").write_text("# r\n"),
    "report is a link": lambda s, a: os.symlink(a / "status.json", s / "ANALYSIS_REPORT.md"),
    "report is a folder": lambda s, a: (s / "turn_1" / "ANALYSIS_REPORT.md").mkdir(),
    "final is a link": lambda s, a: (shutil.rmtree(s / "turn_1" / "final"),
                                     os.symlink(a, s / "turn_1" / "final")),
    "no turn-level final": lambda s, a: shutil.rmtree(s / "turn_1" / "final"),
    "no metrics": lambda s, a: (a / "metrics_summary.json").unlink(),
    "status is a link": lambda s, a: ((a / "status.json").rename(s / "elsewhere.json"),
                                      os.symlink(s / "elsewhere.json", a / "status.json")),
    "a second attempt": lambda s, a: shutil.copytree(a, s / "turn_1" / "attempt_2"),
    "a failure_stage": lambda s, a: (a / "execution_metadata.yaml").write_text(
        "query: Q\ncli_args:\n  failure_stage: execution_error\n  failure_error: boom\n"),
    "no question in status": lambda s, a: _edit(a / "status.json",
                                                lambda d: d["meta"].pop("question")),
    "elapsed is text": lambda s, a: _edit(a / "status.json",
                                          lambda d: d["meta"].update(elapsed_seconds="soon")),
    "no elapsed": lambda s, a: _edit(a / "status.json", lambda d: d["meta"].pop("elapsed_seconds")),
    "a NaN cost": lambda s, a: (a / "status.json").write_text(
        (a / "status.json").read_text().replace('"total_estimated_cost": ',
                                                '"total_estimated_cost": NaN, "x": ')),
    "winner is a path": lambda s, a: _edit(a / "status.json",
                                           lambda d: d["results"].update(winner="../x")),
    "no winner": lambda s, a: _edit(a / "status.json", lambda d: d["results"].pop("winner")),
    "still going": lambda s, a: _edit(a / "status.json",
                                      lambda d: d.update(finish_reason="in_progress")),
    "no presentation event": lambda s, a: (a / "events.jsonl").write_text(
        "".join(line + "\n" for line in (a / "events.jsonl").read_text().splitlines()
                if "final_presentation_start" not in line)),
    "no answer_locked": lambda s, a: (a / "events.jsonl").write_text(
        "".join(line + "\n" for line in (a / "events.jsonl").read_text().splitlines()
                if "answer_locked" not in line)),
    "an agent's output is a FIFO": lambda s, a: (
        (a / "agent_outputs" / "agent_a.txt").unlink(missing_ok=True),
        (a / "agent_outputs").mkdir(exist_ok=True),
        os.mkfifo(a / "agent_outputs" / "agent_a.txt")),
    "an agent errored": lambda s, a: _edit(a / "status.json", lambda d: d["agents"]["agent_b"]
                                           .update(status="error", error={"type": "x"})),
    "one agent unpriced": lambda s, a: _edit(a / "status.json", lambda d: d["agents"]["agent_b"]
                                             ["token_usage"].update(estimated_cost=0)),
    "zero cost with tokens": lambda s, a: _edit(a / "status.json", lambda d: d["costs"].update(
        total_estimated_cost=0)),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_an_unusual_run_lists_as_the_general_reader_reads_it(tmp_path, monkeypatch, change):
    base = _changed(tmp_path, CHANGES[change])
    assert rows(base, True, monkeypatch) == rows(base, False, monkeypatch)


def test_the_short_path_gives_way_to_the_general_reader_when_anything_is_unusual(tmp_path):
    plain = _changed(tmp_path / "plain", lambda s, a: None)
    assert quick_count(plain) == 1
    for change in ("report is a link", "final is a link", "status is a link", "a second attempt",
                   "a failure_stage", "no question in status", "elapsed is text", "no elapsed",
                   "a NaN cost", "winner is a path", "no winner", "still going",
                   "no presentation event"):
        assert quick_count(_changed(tmp_path / change, CHANGES[change])) == 0, change
