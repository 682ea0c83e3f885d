"""A reply that is not the API's (a proxy's HTML page, with HTTP 200) is one line naming the URL."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


@pytest.mark.parametrize("provider,var,path,model", [
    ("openai", "OPENAI_BASE_URL", "/v1", "gpt-5"),
    ("anthropic", "ANTHROPIC_BASE_URL", "", "claude-sonnet-4-6"),
    ("google", "GOOGLE_GEMINI_BASE_URL", "", "gemini-2.5-pro")])
def test_analyze_says_which_url_answered_with_a_page(cli, home, proxy, provider, var, path, model):
    key = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY",
           "google": "GOOGLE_API_KEY"}[provider]
    run = write_run(home / "logs", stream_events=3)
    result = cli("logs", "analyze", str(run), "--model", f"{provider}/{model}", "--yes",
                 env={key: "k-test-000000", var: proxy + path})
    # The real run's first step, the exact count, meets the page: it stops there, before any
    # paid call, in one line naming the URL.
    assert result.returncode == 2 and no_traceback(result)
    first = (f"massgen-plugins: error: the token count at {proxy}{path}, made before anything is "
             f"paid for, failed: {provider}: ")
    # google-genai before 1.3x reads the page as broken JSON: said as such, with the URL too.
    assert result.stderr.splitlines()[-1] in (
        first + f"the reply from {proxy}{path} is not {provider}'s API (a proxy's page, or a "
        f"wrong base URL?); check {var} or providers.{provider}.base_url",
        first + f"malformed reply from {proxy} (Expecting value)")
    assert not (run / "turn_1" / "ANALYSIS_REPORT.md").exists()
