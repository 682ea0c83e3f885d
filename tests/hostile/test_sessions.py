"""Sessions lose nothing: a foreign file is refused, a torn record is set aside, one chat at a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import no_traceback
from tests.hostile.planted import HOSTILE, SECRETS, leaks

SCRIPT = Path(sys.executable).parent / "massgen-plugins"


@pytest.fixture
def chat(massgen_emulator, home):
    env = {**os.environ, "OPENAI_API_KEY": "k-test-000000",
           "OPENAI_BASE_URL": massgen_emulator.base_url("openai")}

    def run(session: Path, text: str = "hello\n") -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SCRIPT), "chat", "--model", "openai/gpt-5", "--session",
                               str(session)], input=text, capture_output=True, text=True,
                              env=env, timeout=120)

    run.env = env  # type: ignore[attr-defined]
    return run


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_file_that_is_not_a_session_is_refused_and_left_as_it_was(chat, home):
    notes = home / "notes.md"
    notes.write_text("# My notes\n\nkeep me\n")
    result = chat(notes)
    assert result.returncode == 2 and no_traceback(result)
    assert result.stderr == (f"massgen-plugins: error: {notes}: not a massgen-plugins session (its "
                             "first line is no session record), so nothing was written to it; give "
                             "a new file or a session file to --session\n")
    assert notes.read_text() == "# My notes\n\nkeep me\n"


def test_a_new_session_starts_with_a_header(chat, home, massgen_emulator):
    massgen_emulator.reply("hi there")
    session = home / "s.jsonl"
    assert chat(session).returncode == 0
    assert [r["kind"] for r in records(session)] == ["massgen-plugins-session", "item", "item"]


def test_a_torn_last_record_is_set_aside_and_the_rest_resumes(chat, home, massgen_emulator):
    session = home / "s.jsonl"
    massgen_emulator.reply("first reply")
    assert chat(session, "first\n").returncode == 0
    torn = '{"kind": "item", "time": 1, "item": {"role": "user", "content": "cut by a cra'
    with session.open("a") as fh:
        fh.write(torn)
    massgen_emulator.reply("second reply")
    result = chat(session, "second\n")
    assert result.returncode == 0 and no_traceback(result), result.stderr
    side = next(home.glob("s.jsonl.torn-*"))
    assert result.stderr == (f"massgen-plugins: warning: {session}: its last record was cut off (a "
                             f"crash?); it is kept in {side} and the session resumes without it\n")
    assert side.read_text() == torn
    contents = [r["item"]["content"] for r in records(session) if r["kind"] == "item"]
    assert contents == ["first", "first reply", "second", "second reply"]
    request = massgen_emulator.of("openai")[-1].body["input"]
    assert [m["content"] for m in request] == ["first", "first reply", "second"]
    massgen_emulator.reply("third reply")
    again = chat(session, "third\n")
    assert again.returncode == 0 and again.stderr == ""


def test_damaged_lines_in_the_middle_are_skipped_with_one_warning(chat, home, massgen_emulator):
    session = home / "s.jsonl"
    massgen_emulator.reply("ok")
    assert chat(session, "first\n").returncode == 0
    with session.open("ab") as fh:
        fh.write(b"not json\n\xff\xfe binary\n" + b'{"kind": "item", "item": "not an object"}\n'
                 + b"[" * 100_000 + b"\n" + b'{"kind": "compression", "items": 5}\n')
    massgen_emulator.reply("still fine")
    result = chat(session, "second\n")
    assert result.returncode == 0 and no_traceback(result), result.stderr
    assert result.stderr == (f"massgen-plugins: warning: {session}: skipped 5 lines that are not "
                             "session records (first at line 4)\n")
    assert result.stdout == "still fine\n"


def test_a_second_chat_on_the_same_session_is_refused_while_the_first_holds_it(chat, home):
    session = home / "s.jsonl"
    first = subprocess.Popen([str(SCRIPT), "chat", "--model", "openai/gpt-5", "--session",
                              str(session)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=chat.env)
    try:
        # The chat writes the session's header only once it holds the lock; probing the lock
        # itself would race the chat for it and make the chat give up.
        for _ in range(1200):
            if session.exists() and session.stat().st_size > 0:
                break
            if first.poll() is not None:
                pytest.fail(f"the first chat ended: {first.stderr.read()}")
            time.sleep(0.05)
        else:
            pytest.fail("the first chat never took the session")
        second = chat(session)
        assert second.returncode == 2 and second.stderr == (
            f"massgen-plugins: error: {session}: another massgen-plugins chat is using this "
            "session; wait for it to end, or give another --session file\n")
    finally:
        out, err = first.communicate("/quit\n", timeout=120)
    assert first.returncode == 0, err
    assert [r["kind"] for r in records(session)] == ["massgen-plugins-session"]


def test_a_reply_is_shown_and_saved_with_its_secrets_masked_and_escapes_visible(
        chat, home, massgen_emulator):
    text, secret = SECRETS[0]
    massgen_emulator.reply(f"Sure: {HOSTILE} and your key {secret} again.", chunks=40)
    session = home / "s.jsonl"
    result = chat(session, f"my key is {secret}\n")
    assert result.returncode == 0 and no_traceback(result)
    assert leaks(result.stdout) == [] and "␛]52;c;" in result.stdout
    assert "your key ****6789 again." in result.stdout
    assert secret not in session.read_text() and "****6789" in session.read_text()
