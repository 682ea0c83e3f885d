"""Readers keep in the run: no symlink or file-given name leads out, no FIFO blocks, no read is endless."""

from __future__ import annotations

import json
import os
import tracemalloc

import pytest

from massgen_plugins.logs.context import build_context
from massgen_plugins.logs.files import Warnings
from massgen_plugins.logs.reader import read_session
from tests.conftest import no_traceback
from tests.synthetic_runs import write_run

OUTSIDE_TEXT = "OUTSIDE-THE-RUN shadow:$6$hash"


@pytest.fixture
def run(home):
    return write_run(home / "logs", stream_events=5)


@pytest.fixture
def outside(home):
    folder = home / "elsewhere"
    (folder / "final" / "x").mkdir(parents=True)
    for name in ("shadow", "secret.txt", "answer.txt", "final/x/answer.txt"):
        (folder / name).write_text(OUTSIDE_TEXT)
    return folder


def attempt(run):
    return run / "turn_1" / "attempt_1"


def everything(cli, run):
    """What summary (human and JSON) and the analysis plan show, and their warnings."""
    results = [cli("logs", "summary", str(run)), cli("logs", "summary", str(run), "--json"),
               cli("logs", "analyze", str(run), "--dry-run", "--json", "--model",
                   "openai/gpt-5", env={"OPENAI_API_KEY": "k-test-000000",
                                        "OPENAI_BASE_URL": "http://127.0.0.1:9"})]
    for result in results:
        assert result.returncode == 0 and no_traceback(result), result.stderr
    ctx = build_context(read_session(run).latest, 10**9).text
    return "".join(r.stdout for r in results) + ctx, "".join(r.stderr for r in results)


def test_a_symlink_out_of_the_run_is_skipped_with_a_warning(cli, run, outside):
    a = attempt(run)
    answer = next((a / "agent_a").glob("*/answer.txt"))
    answer.unlink()
    answer.symlink_to(outside / "shadow")
    (a / "agent_outputs" / "agent_b.txt").unlink()
    (a / "agent_outputs" / "agent_b.txt").symlink_to(outside / "secret.txt")
    (a / "agent_c").symlink_to(outside, target_is_directory=True)
    shown, warnings = everything(cli, run)
    assert OUTSIDE_TEXT not in shown
    assert f"{answer}: leads outside the run (to {outside / 'shadow'}); skipped" in warnings
    assert "agent_b.txt: leads outside the run" in warnings and "agent_c: leads outside" in warnings


def test_a_winner_that_is_a_path_is_not_followed(cli, run, outside):
    status = attempt(run) / "status.json"
    data = json.loads(status.read_text())
    data["results"]["winner"] = "../../../../elsewhere/final/x/../.."
    status.write_text(json.dumps(data))
    shown, warnings = everything(cli, run)
    assert OUTSIDE_TEXT not in shown
    assert "is not an agent id; its final answer is not read" in warnings


def test_an_agent_id_that_is_an_absolute_path_reads_nothing(cli, run, outside):
    status = attempt(run) / "status.json"
    data = json.loads(status.read_text())
    data["agents"][str(outside / "secret")] = {"status": "voted"}
    data["agents"]["../../../elsewhere/secret"] = {"status": "voted"}
    status.write_text(json.dumps(data))
    shown, _ = everything(cli, run)
    assert OUTSIDE_TEXT not in shown


@pytest.mark.parametrize("name", ["status.json", "metrics_summary.json", "events.jsonl", "massgen.log",
                                  "execution_metadata.yaml", "snapshot_mappings.json"])
def test_a_fifo_in_place_of_a_run_file_is_skipped_without_blocking(cli, run, name):
    path = attempt(run) / name
    path.unlink()
    os.mkfifo(path)
    _, warnings = everything(cli, run)
    assert f"{path}: is a FIFO, not a regular file; skipped" in warnings


def test_a_fifo_given_as_the_log_dir_is_refused_without_blocking(cli, home):
    fifo = home / "log_fifo"
    os.mkfifo(fifo)
    result = cli("logs", "summary", str(fifo))
    assert result.returncode == 2 and result.stderr == (
        f"massgen-plugins: error: {fifo}: no such log directory; give a log_* session dir, a "
        "turn_N or an attempt_N dir\n")


def test_an_endless_massgen_log_line_costs_no_memory(run):
    log = attempt(run) / "massgen.log"
    with log.open("r+b") as fh:
        fh.truncate(512 * 1024 * 1024)  # sparse: no disk, and not one newline
        fh.seek(0, 2)
        fh.write(b"\n12:00:00 | ERROR    | after the endless line\n")
    tracemalloc.start()
    try:
        session = read_session(run, Warnings())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert session.latest.errors == ("massgen.log: after the endless line",)
    assert peak < 16 * 1024 * 1024


def test_a_hard_link_out_of_the_run_is_not_read_printed_or_sent(cli, run, outside):
    a = attempt(run)
    answer = next((a / "agent_a").glob("*/answer.txt"))
    for inside in (answer, a / "agent_outputs" / "agent_b.txt", a / "final" / "agent_a" / "answer.txt"):
        inside.unlink()
        os.link(outside / "secret.txt", inside)
    shown, warnings = everything(cli, run)
    assert OUTSIDE_TEXT not in shown
    assert f"{answer}: is a hard link, which could lead out of the run; skipped" in warnings


def test_a_hard_linked_status_json_is_not_listed(cli, run, outside):
    status = attempt(run) / "status.json"
    text = status.read_text().replace("What is 2+2?", OUTSIDE_TEXT)
    (outside / "status.json").write_text(text)
    status.unlink()
    os.link(outside / "status.json", status)
    result = cli("logs", "list", "--json", "--logs-dir", str(run.parent))
    assert result.returncode == 0 and no_traceback(result), result.stderr
    assert OUTSIDE_TEXT not in result.stdout
    assert f"{status}: is a hard link, which could lead out of the run; skipped" in result.stderr


def _swap_for_a_link_on_open(monkeypatch, folder, replacement, name):
    """Replace `folder` by a link to `replacement` the moment a file called `name` is opened:
    after any check a reader makes first, before the open itself."""
    real_open = os.open
    swapped = []

    def racing_open(path, *args, **kwargs):
        if not swapped and os.path.basename(os.fspath(path)) == name:
            folder.rename(folder.with_name(folder.name + ".moved"))
            folder.symlink_to(replacement, target_is_directory=True)
            swapped.append(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", racing_open)
    return swapped


def test_a_turn_swapped_for_a_link_between_check_and_open_is_not_followed(run, home, monkeypatch):
    import shutil

    decoy = home / "decoy_turn"
    shutil.copytree(run / "turn_1", decoy)
    for answer in decoy.rglob("answer.txt"):
        answer.write_text(OUTSIDE_TEXT)
    swapped = _swap_for_a_link_on_open(monkeypatch, run / "turn_1", decoy, "answer.txt")
    warn = Warnings()
    session = read_session(run, warn)
    assert swapped, "the reader never opened an answer.txt"
    assert OUTSIDE_TEXT not in repr(session)
