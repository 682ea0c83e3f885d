"""A cold listing of many runs is read by worker processes: what it prints, warns and remembers
is exactly what the same listing read in one process gives, and a worker that dies loses
nothing."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from massgen_plugins.logs import read_ahead
from massgen_plugins.logs.files import Warnings
from massgen_plugins.logs.locate import session_names
from massgen_plugins.logs.row_cache import RowCache
from massgen_plugins.logs.sessions import grouped
from tests.conftest import no_traceback
from tests.logs.test_row_cache import ATTEMPT, cache_files, rewrite_keeping_stat
from tests.synthetic_runs import write_every_kind, write_run

PLAIN = read_ahead.MIN_RUNS + 12  # enough plain runs for the workers to start


def team_logs(base: Path) -> Path:
    """A log directory of every kind of run, a damaged one, and PLAIN finished runs."""
    logs = base / "logs"
    write_every_kind(logs)
    damaged = write_run(logs, "log_20260201_120000_000000") / ATTEMPT / "status.json"
    damaged.write_text(damaged.read_text().replace('"elapsed_seconds": ',
                                                   '"elapsed_seconds": "x", "e": '))
    template = write_run(base / "template", "log_20250101_000000_000000")
    for i in range(PLAIN):
        name = f"log_202501{1 + i // 24:02d}_{i % 24:02d}0000_000000"
        shutil.copytree(template, logs / name)
        status = logs / name / ATTEMPT / "status.json"
        status.write_text(status.read_text().replace("What is 2+2?", f"Question {i}"))
    return logs


def listing(cli, logs: Path, workers: str) -> tuple[str, str]:
    result = cli("logs", "list", "--json", "--limit", "1000", "--logs-dir", str(logs),
                 env={"MASSGEN_PLUGINS_WORKERS": workers})
    assert result.returncode == 0 and no_traceback(result), result.stderr
    return result.stdout, result.stderr


def test_workers_print_warn_and_remember_what_one_process_does(cli, home, tmp_path):
    logs = team_logs(tmp_path)
    alone = listing(cli, logs, "1")
    for cache in cache_files(home):
        cache.unlink()
    shared = listing(cli, logs, "2")
    assert shared == alone
    runs = json.loads(shared[0])["runs"]
    assert len(runs) == PLAIN + 14  # 13 kinds (a continued session is one row), the damaged run
    assert {r["question"] for r in runs} >= {f"Question {i} (turn 1)" for i in range(PLAIN)}
    assert "elapsed_seconds is 'x'" in shared[1]
    # The rows the workers read were remembered: a changed question no stat shows stays unseen.
    status = logs / "log_20250101_000000_000000" / ATTEMPT / "status.json"
    rewrite_keeping_stat(status, "Question 0 ", "Question 9 ")
    assert listing(cli, logs, "2")[0] == shared[0]


def test_an_unusable_worker_count_is_one_warning_and_the_listing_goes_on(cli, home, tmp_path):
    logs = tmp_path / "logs"
    write_run(logs)
    out, err = listing(cli, logs, "many")
    assert json.loads(out)["runs"][0]["question"] == "What is 2+2? (turn 1)"
    assert err.count("\n") == 1 and "MASSGEN_PLUGINS_WORKERS='many'" in err


def rows_of(logs: Path, workers: int) -> tuple[list[str], list[str]]:
    """The rows' JSON texts and the warnings of a listing drawn through Rows."""
    names = session_names(logs)
    source = read_ahead.Rows(RowCache(logs), names, want=len(names), workers=workers)
    assert (source._executor is not None) == (workers > 1)  # a cold cache: the workers start
    warn = Warnings()
    try:
        texts = [source.row(sid, dirs, warn)[1]
                 for sid, dirs in grouped(logs, warn, ids=source.session_id, names=names)]
    finally:
        source.close()
    return texts, warn.lines


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")
def test_a_worker_that_dies_loses_no_row(home, tmp_path, monkeypatch):
    logs = team_logs(tmp_path)
    expected = rows_of(logs, workers=1)
    for cache in cache_files(home):
        cache.unlink()
    real = read_ahead.read_row
    parent = os.getpid()
    died = tmp_path / "died"

    def dying(sid, dirs, warn):
        if os.getpid() != parent and dirs[0].name > "log_20250103":  # some runs read already
            died.write_text(dirs[0].name)
            os._exit(1)  # as the OOM killer would end it
        return real(sid, dirs, warn)

    monkeypatch.setattr(read_ahead, "read_row", dying)
    assert rows_of(logs, workers=2) == expected
    assert died.exists()
