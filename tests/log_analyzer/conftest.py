"""The analyzer's fixtures: a copy of a real run, and every provider pointed at the emulator."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import SHARED
from tests.synthetic_runs import write_run

MODELS = {"openai": "openai/gpt-5-mini", "anthropic": "anthropic/claude-sonnet-4-6",
          "google": "google/gemini-2.5-flash"}


@pytest.fixture
def env(massgen_emulator):
    """Every provider pointed at the emulator; keys for all three unless a test removes one."""
    return {"OPENAI_BASE_URL": massgen_emulator.base_url("openai"),
            "ANTHROPIC_BASE_URL": massgen_emulator.base_url("anthropic"),
            "GOOGLE_GEMINI_BASE_URL": massgen_emulator.base_url("google"),
            "OPENAI_API_KEY": "sk-test-openai-0000000000000001",
            "ANTHROPIC_API_KEY": "sk-ant-test-000000000000000002",
            "GOOGLE_API_KEY": "AIza-test-google-0000000000003", "GEMINI_API_KEY": ""}


@pytest.fixture
def logs(home):
    base = home / "logs"
    reference = SHARED / "massgen-logs" / "run_a_two_agents"
    if reference.is_dir():
        copy_run(next(reference.glob("log_*")), base)
    else:
        write_run(base)
    return base


def copy_run(run: Path, base: Path) -> Path:
    """A writable copy of a shared run (read-only where it is) in `base`."""
    copy = Path(shutil.copytree(run, base / run.name))
    for path in [copy, *copy.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    return copy


def turn_dir(logs):
    return next(logs.glob("log_*")) / "turn_1"


class BreakingServer:
    """An OpenAI Responses stream that sends some text, then drops the connection or stalls."""

    def __init__(self, stall: bool = False) -> None:
        self.stall = stall
        self.sent = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(next(x.split(b":")[1] for x in head.split(b"\r\n")
                          if x.lower().startswith(b"content-length")))
            while len(body) < length:
                body += conn.recv(65536)
            if b"input_tokens" in head.split(b"\r\n")[0]:  # the exact count before the call
                reply = json.dumps({"object": "response.input_tokens", "input_tokens": 99})
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(reply), reply.encode()))
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
            response = {"id": "resp_1", "object": "response", "created_at": 1, "model": "gpt-5",
                        "status": "in_progress", "output": [], "usage": None}
            events = [{"type": "response.created", "response": response}]
            pieces = ["## Summary\n", "The paid part ", "sk-proj-PLANTEDpartialKEY0123456789 "]
            for n, piece in enumerate(pieces):
                events.append({"type": "response.output_text.delta", "item_id": "msg_1",
                               "output_index": 0, "content_index": 0, "delta": piece,
                               "logprobs": [], "sequence_number": n + 1})
            for event in events:
                conn.sendall(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
            self.sent.set()
            if self.stall:
                time.sleep(30)

    def close(self) -> None:
        self.sock.close()


def analyze_on_a_terminal(args: list[str], env: dict[str, str], cwd: Path,
                          interrupt: bool) -> tuple[int, str]:
    """Run `massgen-plugins logs analyze ARGS` with stderr on a terminal (the progress shows
    there); with `interrupt`, Ctrl-C once text is arriving. Its exit code and its stderr."""
    script = Path(sys.executable).parent / "massgen-plugins"
    leader, follower = os.openpty()
    proc = subprocess.Popen([str(script), "logs", "analyze", *args], env={**os.environ, **env},
                            cwd=cwd, stdout=subprocess.PIPE, stderr=follower, text=True)
    os.close(follower)
    screen = b""
    try:
        if interrupt:
            deadline = time.monotonic() + 60
            while b"receiving" not in screen and time.monotonic() < deadline:
                screen += os.read(leader, 65536)
            proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
        while True:
            try:
                more = os.read(leader, 65536)
            except OSError:
                break
            if not more:
                break
            screen += more
    finally:
        os.close(leader)
    return proc.returncode, screen.decode(errors="replace").replace("\r\n", "\n")
