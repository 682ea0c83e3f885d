"""No run file makes a command hang or crash: huge files of nothing, files cut while they are
read, folders the user cannot read, and a full disk on stdout end in one line or a result."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import no_traceback
from tests.synthetic_runs import write_run

ATTEMPT = Path("turn_1") / "attempt_1"


@pytest.fixture
def run(home: Path) -> Path:
    return write_run(home / "logs", stream_events=5)


def test_a_massgen_log_of_empty_lines_is_read_to_its_end(cli, run):
    # Walking it line by line took hours at 300 MB; 100 MB shows the same within the deadline.
    with (run / ATTEMPT / "massgen.log").open("ab") as fh:
        for _ in range(100):
            fh.write(b"\n" * (1 << 20))
        fh.write(b"12:00:09 | ERROR    | after the empty lines\n")
    for args in (("logs", "summary", str(run)),
                 ("logs", "analyze", str(run), "--dry-run", "--model", "openai/gpt-5")):
        result = cli(*args, env={"OPENAI_API_KEY": "k-test-000000",
                                 "OPENAI_BASE_URL": "http://127.0.0.1:9"})
        assert result.returncode == 0 and no_traceback(result), result.stderr
    assert "after the empty lines" in cli("logs", "summary", str(run), "--json").stdout


# Truncates events.jsonl the moment a reader first looks for an event type in its bytes: a
# mapped file loses its pages then (SIGBUS, the process dies); bytes read stay as they were.
CUT_WHILE_READ = """
import os, sys
from pathlib import Path
from massgen_plugins.logs import events_file as jsonl
from massgen_plugins.logs import quick
from massgen_plugins.logs.files import Warnings
from massgen_plugins.logs.reader import read_attempt
from massgen_plugins.logs.sessions import session_row

events = Path(sys.argv[1]) / "turn_1" / "attempt_1" / "events.jsonl"

def cutting(real):
    def look(*args, **kwargs):
        if events.stat().st_size:
            os.truncate(events, 0)
        return real(*args, **kwargs)
    return look

quick.lines_of_type = cutting(quick.lines_of_type)
jsonl.lines_of_type = cutting(jsonl.lines_of_type)
row = session_row(None, [Path(sys.argv[1])], Warnings())
print("row", row["outcome"])
events.write_bytes(Path(sys.argv[2]).read_bytes())
attempt = read_attempt(events.parent, 1, 1, Warnings(), brief=True)
print("attempt", attempt.outcome)
"""


def test_events_cut_while_a_listing_reads_them_do_not_kill_it(run, tmp_path):
    events = run / ATTEMPT / "events.jsonl"
    original = tmp_path / "events.copy"
    original.write_bytes(events.read_bytes())
    result = subprocess.run([sys.executable, "-c", CUT_WHILE_READ, str(run), str(original)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (result.returncode, result.stderr)
    assert "row " in result.stdout and "attempt " in result.stdout


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def as_user(tmp_path: Path):
    """(the prefix that runs a command as a normal user, a folder that user may use)."""
    import os
    import shutil
    import tempfile

    prefix: list[str] = []
    if os.geteuid() == 0:  # root reads everything: drop to nobody
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv to run a command as a normal user")
        probe = subprocess.run([*NOBODY, sys.executable, "-c", "import massgen_plugins"],
                               capture_output=True, cwd="/", timeout=60)
        if probe.returncode:
            pytest.skip("this Python cannot be run as uid 65534")
        prefix = NOBODY
    place = Path(tempfile.mkdtemp(prefix="massgen-perm-"))
    place.chmod(0o755)
    (place / "home").mkdir(mode=0o777)
    (place / "home").chmod(0o777)
    yield prefix, place
    for root, dirs, _ in os.walk(place):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
    shutil.rmtree(place)


def _shared(base: Path) -> None:
    """Everything under `base` readable by anyone (a test's files are root's)."""
    import os

    for root, _, names in os.walk(base):
        os.chmod(root, 0o755)
        for name in names:
            os.chmod(os.path.join(root, name), 0o644)


def test_folders_and_files_a_user_cannot_read_give_warnings_not_tracebacks(cli, as_user):
    from tests.synthetic_runs import run_killed

    prefix, place = as_user
    base = place / "logs"
    runs = {name: write_run(base, f"log_20260101_1{n}0000_000000", stream_events=5)
            for n, name in enumerate(("fine", "session", "attempt", "status"))}
    runs["events"] = run_killed(base, "log_20260101_150000_000000")
    _shared(place)
    runs["session"].chmod(0)
    (runs["attempt"] / ATTEMPT).chmod(0)
    (runs["status"] / ATTEMPT / "status.json").chmod(0)
    (runs["events"] / ATTEMPT / "events.jsonl").chmod(0)
    env = {"HOME": str(place / "home"), "XDG_CACHE_HOME": str(place / "home"),
           "XDG_CONFIG_HOME": str(place / "home"),
           "OPENAI_API_KEY": "k-test-000000", "OPENAI_BASE_URL": "http://127.0.0.1:9"}
    commands = [("logs", "list"), ("logs", "list", "--json")]
    for run in runs.values():
        commands += [("logs", "summary", run.name), ("logs", "summary", "--json", run.name),
                     ("logs", "tools", run.name),
                     ("logs", "analyze", run.name, "--dry-run", "--model", "openai/gpt-5")]
    for args in commands:
        result = cli(*args, "--logs-dir", str(base), env=env, cwd=place, prefix=prefix)
        assert no_traceback(result) and result.returncode in (0, 2), (args, result.stderr)
    listing = cli("logs", "list", "--logs-dir", str(base), env=env, cwd=place, prefix=prefix)
    assert f"{runs['status'] / ATTEMPT / 'status.json'}: cannot read (Permission denied)" \
        in listing.stderr
    assert f"{runs['session']}: cannot list (Permission denied)" in listing.stderr


def test_a_log_dir_or_base_a_user_cannot_read_is_one_line(cli, as_user):
    prefix, place = as_user
    base = place / "logs"
    write_run(base, stream_events=5)
    locked = place / "locked"
    locked.mkdir()
    _shared(place)
    locked.chmod(0o311)  # entered, not listed
    env = {"HOME": str(place / "home"), "XDG_CACHE_HOME": str(place / "home"),
           "XDG_CONFIG_HOME": str(place / "home")}
    result = cli("logs", "summary", str(locked), env=env, cwd=place, prefix=prefix)
    assert result.returncode == 2 and result.stderr == (
        f"massgen-plugins: error: {locked}: cannot list (Permission denied); check its "
        "permissions\n")
    base.chmod(0)
    env["MASSGEN_LOG_BASE_DIR"] = str(base)
    for args in (("logs", "list"), ("logs", "summary"), ("logs", "tools")):
        result = cli(*args, env=env, cwd=place, prefix=prefix)
        assert result.returncode == 2 and result.stderr == (
            f"massgen-plugins: error: {base}: cannot list (Permission denied); check its "
            "permissions\n"), (args, result.stderr)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [("--help",), ("--version",), ("plugins", "list"),
                                  ("logs", "list"), ("logs", "list", "--json"),
                                  ("logs", "summary"), ("logs", "summary", "--json"),
                                  ("logs", "tools")])
def test_a_full_disk_on_stdout_is_one_line(home, run, args):
    script = Path(sys.executable).parent / "massgen-plugins"
    base = [str(script)] if script.exists() else [sys.executable, "-m", "massgen_plugins"]
    logs = ("--logs-dir", str(run.parent)) if args[0] == "logs" else ()
    with open("/dev/full", "w") as full:
        result = subprocess.run([*base, *args, *logs], stdout=full, stderr=subprocess.PIPE,
                                text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr == ("massgen-plugins: error: cannot write to standard output (No "
                             "space left on device)\n")
