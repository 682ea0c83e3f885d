"""A reply that is not the API's (a proxy's HTML page, with HTTP 200) is one line naming the URL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import no_traceback
from tests.synthetic_runs import write_run


class ProxyPage(BaseHTTPRequestHandler):
    """Answers every request with 200 and an HTML login page, as a captive proxy does."""

    def _page(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = b"<html><body><h1>Sign in to continue</h1></body></html>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _page

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def proxy():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProxyPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("provider,var,path", [
    ("openai", "OPENAI_BASE_URL", "/v1"), ("anthropic", "ANTHROPIC_BASE_URL", ""),
    ("google", "GOOGLE_GEMINI_BASE_URL", "")])
def test_chat_says_which_url_answered_with_a_page(home, proxy, provider, var, path):
    key = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY",
           "google": "GOOGLE_API_KEY"}[provider]
    model = {"openai": "gpt-5", "anthropic": "claude-sonnet-4-6", "google": "gemini-2.5-pro"}[provider]
    result = chat(home, f"{provider}/{model}", {key: "k-test-000000", var: proxy + path})
    assert result.returncode == 1 and no_traceback(result)
    # google-genai before 1.3x reads the page as broken JSON: said as such, with the URL too.
    assert result.stderr in (
        f"massgen-plugins: error: {provider}: the reply from {proxy}{path} is not {provider}'s API "
        f"(a proxy's page, or a wrong base URL?); check {var} or providers.{provider}.base_url\n",
        f"massgen-plugins: error: {provider}: malformed reply from {proxy} (Expecting value)\n")


def chat(home, spec, env):
    script = Path(sys.executable).parent / "massgen-plugins"
    return subprocess.run([str(script), "chat", "--model", spec, "--session", str(home / "s.jsonl")],
                          input="hello\n", capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_analyze_says_which_url_answered_with_a_page(cli, home, proxy):
    run = write_run(home / "logs", stream_events=3)
    result = cli("logs", "analyze", str(run), "--model", "openai/gpt-5", "--yes",
                 env={"OPENAI_API_KEY": "k-test-000000", "OPENAI_BASE_URL": proxy + "/v1"})
    # The real run's first step, the exact count, meets the page: it stops there, before any
    # paid call, in one line naming the URL.
    assert result.returncode == 2 and no_traceback(result)
    assert result.stderr.splitlines()[-1] == (
        f"massgen-plugins: error: the token count at {proxy}/v1, made before anything is paid "
        f"for, failed: openai: the reply from {proxy}/v1 is not openai's API (a proxy's page, or a "
        "wrong base URL?); check OPENAI_BASE_URL or providers.openai.base_url")
    assert not (run / "turn_1" / "ANALYSIS_REPORT.md").exists()
