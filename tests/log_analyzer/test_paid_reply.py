"""A paid reply is never lost: odd usage, a full disk, a vanished run, a stream that breaks."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import no_traceback
from tests.log_analyzer.conftest import MODELS, BreakingServer, analyze_on_a_terminal, turn_dir

REPLY = "## Summary\nAgent A won with two votes."


def analyze(cli, logs, env, *args):
    return cli("logs", "analyze", "--logs-dir", str(logs), "--yes", *args, env=env)


@pytest.mark.parametrize("provider, usage", [
    ("openai", {"output_tokens": -5}), ("anthropic", {"output_tokens": -5}),
    ("google", {"output_tokens": -5}), ("anthropic", {"input_tokens": "many"}),
    ("openai", {"output_tokens": 1.5}),
])
def test_usage_that_is_no_token_count_still_writes_the_report(cli, massgen_emulator, logs, env,
                                                               provider, usage):
    massgen_emulator.reply(REPLY, provider=provider, **usage)
    result = analyze(cli, logs, env, "--model", MODELS[provider])
    assert result.returncode == 0 and no_traceback(result), result.stderr
    (name, value), = usage.items()
    report = (turn_dir(logs) / "ANALYSIS_REPORT.md").read_text()
    assert report.endswith(REPLY + "\n")
    assert f"the provider reported {name}={str(value)!r})" in report
    assert "- Cost: unknown" in report
    warning = [x for x in result.stderr.splitlines() if x.startswith("massgen-plugins:")]
    assert warning == [f"massgen-plugins: warning: the provider reported usage that is not a "
                       f"token count ({name}={str(value)!r}); the cost is unknown"]
    assert "cost unknown" in result.stdout


def _limited(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_disk_leaves_no_report_and_the_reply_is_not_lost(cli, massgen_emulator, logs,
                                                                 env, home):
    # RLIMIT_FSIZE stands in for a full disk anywhere, without root or a small file system:
    # every file the command writes stops at 4 KiB, the report, its side file and /tmp alike.
    reply = REPLY + "\n" + "A finding worth its price. " * 400
    massgen_emulator.reply(reply, provider="openai")
    script = Path(sys.executable).parent / "massgen-plugins"
    proc = subprocess.run([str(script), "logs", "analyze", "--logs-dir", str(logs), "--model",
                           "openai/gpt-5", "--yes"], env={**os.environ, **env}, cwd=home / "work",
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=_limited(4096))
    assert proc.returncode == 1 and no_traceback(proc), proc.stderr
    (line,) = [x for x in proc.stderr.splitlines() if "error" in x]
    assert line.startswith(f"massgen-plugins: error: cannot write {turn_dir(logs)}/"
                           "ANALYSIS_REPORT.md (File too large), and it could not be saved")
    assert line.endswith("the reply is printed above")
    assert reply.strip() in proc.stdout, "the paid reply reaches the user whole"
    assert sorted(p.name for p in turn_dir(logs).iterdir()
                  if "ANALYSIS" in p.name) == [], "no report, no temporary file"
    listed = json.loads(cli("logs", "list", "--logs-dir", str(logs), "--json").stdout)
    assert listed["runs"][0]["analyzed"] is False
    massgen_emulator.reply("with room again", provider="openai")
    again = analyze(cli, logs, env, "--model", "openai/gpt-5")
    assert again.returncode == 0, "no --force needed: no report was left behind"
    assert (turn_dir(logs) / "ANALYSIS_REPORT.md").read_text().endswith("with room again\n")


def test_force_on_a_full_disk_keeps_the_old_report_whole(cli, massgen_emulator, logs, env, home):
    report = turn_dir(logs) / "ANALYSIS_REPORT.md"
    report.write_text("the earlier report")
    massgen_emulator.reply("x" * 10_000, provider="openai")
    script = Path(sys.executable).parent / "massgen-plugins"
    proc = subprocess.run([str(script), "logs", "analyze", "--logs-dir", str(logs), "--model",
                           "openai/gpt-5", "--yes", "--force"], env={**os.environ, **env},
                          cwd=home / "work", capture_output=True, text=True, timeout=120,
                          preexec_fn=_limited(4096))
    assert proc.returncode == 1 and no_traceback(proc), proc.stderr
    assert report.read_text() == "the earlier report"
    assert [p.name for p in turn_dir(logs).iterdir() if p.name.startswith(".")] == []


def test_a_run_removed_while_the_analysis_ran_keeps_the_reply_in_a_side_file(home):
    from massgen_log_analyzer.report import ReportNotWritten, write_report

    report = home / "run" / "turn_1" / "ANALYSIS_REPORT.md"  # its folder is gone
    with pytest.raises(ReportNotWritten) as info:
        write_report(report, "paid for, not lost sk-proj-PLANTEDsideFILEkey0123456789",
                     force=False)
    message = info.value.format_message()
    assert message.startswith(f"cannot write {report} (No such file or directory); the reply is "
                              "saved in ")
    kept = Path(message.split("saved in ", 1)[1].split(";")[0])
    assert kept.parent == home / "work"
    assert kept.read_text().startswith("paid for, not lost ****"), "whole, secrets masked"
    assert not report.parent.exists()


@pytest.mark.parametrize("how", ["dropped", "interrupted"])
def test_a_stream_broken_after_text_arrived_keeps_the_part_received(logs, env, home, how):
    server = BreakingServer(stall=how == "interrupted")
    try:
        code, err = analyze_on_a_terminal(
            ["--logs-dir", str(logs), "--model", "openai/gpt-5", "--yes"],
            {**env, "OPENAI_BASE_URL": server.url}, home / "work", how == "interrupted")
    finally:
        server.close()
    assert code == 2 and "Traceback" not in err, err
    (line,) = [x[x.index("massgen-plugins: error"):] for x in err.splitlines() if "error" in x]
    assert "no report was written; the 61 characters received are saved in " in line, line
    if how == "interrupted":
        assert line.startswith("massgen-plugins: error: interrupted;")
    kept = Path(line.split("saved in ", 1)[1].strip())
    assert kept.parent == home / "work"
    text = kept.read_text()
    assert text.startswith("<!-- A partial reply: ") and "## Summary\nThe paid part ****" in text
    assert "PLANTEDpartial" not in text
    assert not (turn_dir(logs) / "ANALYSIS_REPORT.md").exists()
