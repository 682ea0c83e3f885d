"""ANALYSIS_REPORT.md goes into the run it analyses, never through a link swapped in while the
model wrote it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.synthetic_runs import write_run


@pytest.fixture
def swapped(home: Path) -> tuple[Path, Path]:
    """A run whose turn_1 became a link to a folder outside it (after the analysis began)."""
    run = write_run(home / "logs")
    elsewhere = home / "elsewhere"
    elsewhere.mkdir()
    (run / "turn_1").rename(run / "turn_1.moved")
    (run / "turn_1").symlink_to(elsewhere, target_is_directory=True)
    return run, elsewhere


@pytest.mark.parametrize("force", [False, True])
def test_a_turn_swapped_for_a_link_gets_no_report_and_the_reply_is_kept(swapped, home,
                                                                        monkeypatch, force):
    from massgen_log_analyzer.report import ReportNotWritten, write_report

    run, elsewhere = swapped
    monkeypatch.chdir(home)
    report = run / "turn_1" / "ANALYSIS_REPORT.md"
    with pytest.raises(ReportNotWritten) as info:
        write_report(report, "paid for, not lost", force=force)
    assert list(elsewhere.iterdir()) == [], "nothing written outside the run"
    message = info.value.format_message()
    assert f"cannot write {report} ({run / 'turn_1'} is a symbolic link, which is not followed)" \
        in message
    kept = Path(message.split("saved in ", 1)[1].split(";")[0])
    assert kept.read_text() == "paid for, not lost"


def test_write_in_run_creates_once_and_replaces_whole(home):
    from massgen_plugins.logs.files import write_in_run

    run = write_run(home / "logs")
    report = run / "turn_1" / "ANALYSIS_REPORT.md"
    write_in_run(run, report, "first")
    with pytest.raises(FileExistsError):
        write_in_run(run, report, "second")
    assert report.read_text() == "first"
    report.chmod(0o640)
    write_in_run(run, report, "third", replace=True)
    assert report.read_text() == "third" and report.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in report.parent.iterdir() if p.name.startswith(".")) == []


def test_write_in_run_never_writes_through_a_link_in_the_files_place(home):
    from massgen_plugins.logs.files import write_in_run

    run = write_run(home / "logs")
    target = home / "victim.txt"
    target.write_text("keep me")
    report = run / "turn_1" / "ANALYSIS_REPORT.md"
    report.symlink_to(target)
    with pytest.raises(FileExistsError):
        write_in_run(run, report, "over it")
    write_in_run(run, report, "replaced", replace=True)
    assert target.read_text() == "keep me"
    assert not report.is_symlink() and report.read_text() == "replaced"
    assert not os.path.islink(report)
