"""`logs list` remembers settled rows: a second listing of an unchanged directory shows the
same bytes without reading the runs, and anything that changed is read again."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from tests.conftest import no_traceback
from tests.hostile.planted import SECRETS
from tests.synthetic_runs import run_killed, write_run

ATTEMPT = Path("turn_1") / "attempt_1"


def cache_files(home: Path) -> list[Path]:
    return sorted((home / "home" / ".cache" / "massgen-plugins" / "logs-list").glob("*.json"))


def listing(cli, logs: Path, *extra: str) -> tuple[str, str]:
    result = cli("logs", "list", "--json", "--logs-dir", str(logs), "--limit", "50", *extra)
    assert result.returncode == 0 and no_traceback(result), result.stderr
    return result.stdout, result.stderr


def rewrite_keeping_stat(path: Path, old: str, new: str) -> None:
    """Change a file's text but not its size, time or inode: what only a cache would miss."""
    info = path.stat()
    text = path.read_text()
    assert len(old) == len(new) and old in text
    with path.open("r+") as fh:
        fh.write(text.replace(old, new))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_a_second_listing_is_the_same_and_reads_no_unchanged_run(cli, home):
    logs = home / "logs"
    status = write_run(logs, question="What is 2+2?") / ATTEMPT / "status.json"
    first, _ = listing(cli, logs)
    assert json.loads(first)["runs"][0]["question"] == "What is 2+2? (turn 1)"
    assert cache_files(home)
    rewrite_keeping_stat(status, "What is 2+2?", "What is 3+3?")
    assert listing(cli, logs)[0] == first  # drawn from the cache: the run was not read
    info = status.stat()
    os.utime(status, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    assert json.loads(listing(cli, logs)[0])["runs"][0]["question"] == "What is 3+3? (turn 1)"


def test_new_runs_and_reports_show_at_once(cli, home):
    logs = home / "logs"
    session = write_run(logs, "log_20260101_120000_000000")
    listing(cli, logs)
    write_run(logs, "log_20260102_120000_000000")
    (session / "turn_1" / "ANALYSIS_REPORT.md").write_text("# report\n")
    runs = json.loads(listing(cli, logs)[0])["runs"]
    assert [(r["name"], r["analyzed"]) for r in runs] == [
        ("log_20260102_120000_000000", False), ("log_20260101_120000_000000", True)]


def test_a_run_still_going_and_a_damaged_run_are_read_and_reported_every_time(cli, home):
    logs = home / "logs"
    run_killed(logs)
    damaged = write_run(logs, "log_20260201_120000_000000") / ATTEMPT / "status.json"
    damaged.write_text(damaged.read_text().replace('"elapsed_seconds": ', '"elapsed_seconds": "x", "e": '))
    _first_out, first_err = listing(cli, logs)
    second_out, second_err = listing(cli, logs)
    assert "elapsed_seconds is 'x'" in first_err and first_err == second_err
    killed = [r for r in json.loads(second_out)["runs"] if r["outcome"] == "incomplete"]
    assert killed and any(" ago (" in e for e in killed[0]["outcome_evidence"])


def test_the_limit_counts_the_rows_shown_with_analyzed(cli, home):
    logs = home / "logs"
    for day in range(1, 6):
        write_run(logs, f"log_2026010{day}_120000_000000")
    (logs / "log_20260101_120000_000000" / "ANALYSIS_REPORT.md").write_text("# r\n")
    for _ in range(2):  # cold, then from the cache
        runs = json.loads(listing(cli, logs, "--analyzed", "--limit", "1")[0])["runs"]
        assert [r["name"] for r in runs] == ["log_20260101_120000_000000"]


def test_another_spelling_of_the_folder_keeps_its_own_paths(cli, home):
    logs = home / "work" / "logs"
    write_run(logs)
    relative = cli("logs", "list", "--json", "--logs-dir", "logs", cwd=home / "work")
    absolute = listing(cli, logs)[0]
    assert json.loads(relative.stdout)["runs"][0]["path"] == "logs/log_20260101_120000_000000"
    assert json.loads(absolute)["runs"][0]["path"] == str(logs / "log_20260101_120000_000000")


def test_a_damaged_cache_is_rebuilt_and_the_cache_is_private_and_masked(cli, home):
    logs = home / "logs"
    text, secret = SECRETS[0]
    write_run(logs, question=f"deploy with {text}")
    first, _ = listing(cli, logs)
    (cache,) = cache_files(home)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert secret not in cache.read_text() and secret not in first
    cache.write_bytes(b"\x00{not json")
    assert listing(cli, logs)[0] == first
    assert json.loads(cache.read_text())["rows"]
