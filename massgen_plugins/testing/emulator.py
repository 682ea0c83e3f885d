"""A loopback emulator of the OpenAI, Anthropic and Gemini APIs, for tests that use the real SDKs.

It listens on 127.0.0.1 and speaks enough of each wire protocol for the official SDKs:

- OpenAI: POST /v1/responses (JSON and SSE, stored for `previous_response_id`),
  /v1/responses/compact, /v1/responses/input_tokens, /v1/chat/completions (JSON and SSE),
  GET /v1/models (see openai_api).
- Anthropic: POST /v1/messages (JSON and SSE), /v1/messages/count_tokens, GET /v1/models.
- Gemini: POST /{version}/models/{model}:generateContent, :streamGenerateContent?alt=sse,
  :countTokens, GET /{version}/models.

Replies are scripted with `reply()` (text, and on OpenAI's routes function calls too); when none
is queued, OpenAI's routes ask `responder`, if set (massgen_driver.MassgenDriver plays a whole
MassGen coordination). Faults are scripted with `fail()` (`trickle` answers 200 and then sends a
JSON body one byte every `delay` seconds); every request is kept in `requests`.
It is strict where the real services are: a request without a key, a compaction item it did not
issue, a tool output with no matching call, an unknown previous response, or an input larger
than the model's context window gets the real service's error.

Run it alone with ``python -m massgen_plugins.testing.emulator --port 0``: it prints its base URL.
``--massgen`` answers with the MassGen driver; ``--recall`` answers MassGen's summarizer and the
compaction evaluation's questions from the context they carry (testing.recall);
``--window MODEL=TOKENS`` sets a model's window; ``--flood MODEL=REASONING,TEXT,DELTA`` makes
that model's agent stream a flood.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import attrs

from massgen_plugins.testing import openai_api
from massgen_plugins.testing.api_errors import (
    FAULTS,
    ApiError,
    Fault,
    Handled,
    anthropic_error,
    apply_fault,
    bad_request,
    context_error,
    fault_error,
    google_error,
    openai_error,
)
from massgen_plugins.testing.replies import (
    GREETING,
    Call,
    Prompt,
    Reply,
    Responder,
    estimate_tokens,
    reply_tokens,
    split,
)

PROVIDERS = ("openai", "anthropic", "google")
DEFAULT_WINDOW = 128_000
REJECTED_KEY = "bad-key"
# On every reply, so that a client can tell the emulator's figures from a real service's.
HEADER = "x-massgen-emulator"


@attrs.frozen
class Recorded:
    """One request as the emulator received it (the key header is masked)."""

    provider: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


class Emulator:
    """The server, its scripts and its record. Use as a context manager or start()/stop().

    `responder`, when set, answers the OpenAI generation requests that find no scripted reply
    queued. It is called from the server's threads, one per request, so it must be thread-safe.
    """

    def __init__(self, context_window: int = DEFAULT_WINDOW, port: int = 0) -> None:
        """Prepare (not start) a server on 127.0.0.1:`port` (0 picks a free one)."""
        self.context_window = context_window
        self.windows: dict[str, int] = {}
        self.requests: list[Recorded] = []
        # The requests answered with a context-length error (a status, or mid-stream).
        self.refused: list[Recorded] = []
        self.responder: Responder | None = None
        self.models: dict[str, list[dict[str, Any]]] = {
            "openai": [{"id": "gpt-5"}, {"id": "gpt-5-mini"}],
            "anthropic": [{"id": "claude-sonnet-4-6", "max_input_tokens": 200_000,
                           "max_tokens": 64_000}],
            "google": [{"name": "models/gemini-2.5-pro", "inputTokenLimit": 1_048_576,
                        "outputTokenLimit": 65_536}],
        }
        self._replies: dict[str | None, deque[Reply]] = {p: deque() for p in (*PROVIDERS, None)}
        self._faults: dict[str | None, deque[Fault]] = {p: deque() for p in (*PROVIDERS, None)}
        # Each compaction payload issued -> the items it stands for (what it replaced).
        self._issued_compactions: dict[str, list[dict[str, Any]]] = {}
        # The output items of each /responses/compact answer, in order, for tests to compare
        # with what a client sends back.
        self.compactions: list[list[dict[str, Any]]] = []
        # Each Responses response id -> its conversation: the resolved input, then the output.
        self._conversations: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def base_url(self, provider: str) -> str:
        """The base URL to give that provider's SDK."""
        return f"{self.url}/v1" if provider == "openai" else self.url

    def start(self) -> Emulator:
        """Serve in a background thread."""
        # serve_forever polls for shutdown every `poll_interval` (0.5 s by default), which
        # every stop() would wait out; loopback tests stop hundreds of emulators.
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Emulator:
        """Start."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop."""
        self.stop()

    # -- scripting -------------------------------------------------------------------------

    def reply(self, text: str | None = None, provider: str | None = None,
              calls: Sequence[Call] = (), **usage: Any) -> None:
        """Queue a reply for the next generation request (of `provider`, or of any).

        `text` defaults to a greeting, or to none when the reply makes function `calls` (which
        only OpenAI's routes can send).
        """
        said = text if text is not None else "" if calls else GREETING
        with self._lock:
            self._replies[provider].append(Reply(text=said, calls=list(calls), **usage))

    def fail(self, kind: str, provider: str | None = None, times: int = 1,
             retry_after: float | None = None, delay: float = 5.0,
             path: str | None = None) -> None:
        """Queue `times` failures of `kind` (see FAULTS) for the next requests.

        With `path`, only for requests whose path ends with it (`/compact`, say).
        """
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; use one of {', '.join(FAULTS)}")
        with self._lock:
            for _ in range(times):
                self._faults[provider].append(Fault(kind, retry_after, delay, path))

    def answer(self, provider: str, prompt: Prompt | None = None) -> Reply:
        """The reply to a generation request: scripted first, then the responder's, then a greeting."""
        # Only OpenAI's routes pass a prompt, so only they consult the responder.
        reply = self._next(self._replies, provider)
        if reply is None and prompt is not None and self.responder is not None:
            reply = self.responder(prompt)
        if reply is not None and reply.calls and prompt is None:
            raise ValueError(f"the emulator sends function calls only on the OpenAI routes, "
                             f"not on {provider}")
        return reply or Reply()

    def remember(self, response_id: str, items: list[dict[str, Any]],
                 output: list[dict[str, Any]]) -> None:
        """Keep a Responses response: its resolved input and its output, for previous_response_id."""
        with self._lock:
            self._conversations[response_id] = [*items, *output]

    def history(self, response_id: str) -> list[dict[str, Any]] | None:
        """The conversation a kept response ends (its input, then its output); None if unknown."""
        with self._lock:
            found = self._conversations.get(response_id)
        return None if found is None else list(found)

    def window(self, model: str) -> int:
        """The context window the emulator enforces for `model`."""
        return self.windows.get(model, self.context_window)

    def of(self, provider: str) -> list[Recorded]:
        """The recorded requests to one provider."""
        return [r for r in self.requests if r.provider == provider]

    def _next(self, queues: dict[str | None, deque[Any]], provider: str,
              accept: Callable[[Any], bool] | None = None) -> Any:
        with self._lock:
            for key in (provider, None):
                for entry in queues[key]:
                    if accept is None or accept(entry):
                        queues[key].remove(entry)
                        return entry
        return None

    def _record(self, rec: Recorded) -> None:
        with self._lock:
            self.requests.append(rec)

    def refuse(self, rec: Recorded) -> None:
        """Note that a request was answered with a context-length error."""
        with self._lock:
            self.refused.append(rec)

    def new_id(self, prefix: str) -> str:
        """A fresh id such as `resp_000003`."""
        return f"{prefix}_{next(self._ids):06d}"

    def issue_compaction(self, replaced: Sequence[dict[str, Any]] = ()) -> str:
        """Remember and return a new opaque compaction payload standing for `replaced`."""
        token = "enc_" + secrets.token_hex(16)
        with self._lock:
            self._issued_compactions[token] = list(replaced)
        return token

    def expand(self, items: Sequence[Any]) -> list[Any]:
        """`items` as a model reads them: each compaction item this emulator issued in place of
        the items it replaced (the emulator's compaction loses nothing)."""
        out: list[Any] = []
        for item in items:
            replaced = None
            if isinstance(item, Mapping) and item.get("type") == "compaction":
                with self._lock:
                    replaced = self._issued_compactions.get(str(item.get("encrypted_content")))
            out.extend([item] if replaced is None else replaced)
        return out

    def issued(self, token: str) -> bool:
        """True when this emulator issued that compaction payload."""
        with self._lock:
            return token in self._issued_compactions


# -- the HTTP side --------------------------------------------------------------------------

def _handler(emu: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle on, the client's delayed ACK
        # adds ~40 ms to every reply.
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def _dispatch(self, method: str) -> None:
            try:
                self._serve(method)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing left to answer

        def _serve(self, method: str) -> None:
            self.trickle: float | None = None  # a keep-alive connection serves many requests
            url = urlparse(self.path)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            provider = _provider_of(url.path)
            if provider == "models?":
                # GET /v1/models is shared; each SDK gives itself away by its headers.
                provider = ("anthropic" if "anthropic-version" in {k.lower() for k in
                                                                    self.headers}
                            else "google" if self.headers.get("x-goog-api-key") else "openai")
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = None
            headers = {k.lower(): v for k, v in self.headers.items()}
            for secret in ("authorization", "x-api-key", "x-goog-api-key"):
                if secret in headers:
                    headers[secret] = "***"
            rec = Recorded(provider or "?", method, url.path, parse_qs(url.query), headers, body)
            emu._record(rec)
            self.recorded = rec
            try:
                if provider is None:
                    raise openai_error(404, f"Unknown path {url.path}", "invalid_request_error",
                                       "unknown_url")
                self._check_key(provider)
                if raw and body is None:
                    raise bad_request(provider, "We could not parse the JSON body of your "
                                                 "request.")
                ROUTES[provider](emu, self, method, url.path, parse_qs(url.query), body or {})
            except Handled:
                pass  # the route already wrote its (deliberately broken) response
            except ApiError as err:
                if err.context_length:
                    emu.refuse(rec)
                self._send_json(err.status, err.body, err.headers)
            except Exception as exc:  # an emulator bug: say so instead of dropping the socket
                self._send_json(500, {"error": {"message": f"emulator error: {exc!r}",
                                                "type": "emulator_error"}})

        def _check_key(self, provider: str) -> None:
            key = {"openai": (self.headers.get("authorization") or "").removeprefix("Bearer "),
                   # The SDK sends x-api-key or, in newer releases, an Authorization bearer.
                   "anthropic": self.headers.get("x-api-key")
                   or (self.headers.get("authorization") or "").removeprefix("Bearer "),
                   "google": self.headers.get("x-goog-api-key")
                   or parse_qs(urlparse(self.path).query).get("key", [""])[0]}[provider]
            if not key or key == REJECTED_KEY:
                raise fault_error(provider, Fault("auth"))

        def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None,
                       raw: bytes | None = None) -> None:
            data = raw if raw is not None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header(HEADER, "1")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            delay = self.trickle
            if delay is None:
                self.wfile.write(data)
                return
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(delay)

        def start_sse(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header(HEADER, "1")
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True

        def sse(self, data: Any, event: str | None = None) -> None:
            head = f"event: {event}\n" if event else ""
            self.wfile.write(f"{head}data: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

    return Handler


def _provider_of(path: str) -> str | None:
    """Which provider a path belongs to; `models?` for GET /v1/models, which several share."""
    if path.startswith(("/v1/responses", "/v1/chat/completions")):
        return "openai"
    if path.startswith("/v1/messages"):
        return "anthropic"
    if re.match(r"^/v1(beta1?|alpha)?/models/[^/]+:\w+$", path):
        return "google"
    if re.match(r"^/v1(beta1?|alpha)/models/?$", path):
        return "google"
    if path.rstrip("/") == "/v1/models":
        return "models?"
    return None


# -- Anthropic Messages ---------------------------------------------------------------------

def _anthropic(emu: Emulator, h: Any, method: str, path: str, query: dict[str, Any],
               body: dict[str, Any]) -> None:
    if method == "GET":
        data = [{"type": "model", "display_name": m["id"], "created_at": "2025-09-29T00:00:00Z",
                 **m} for m in emu.models["anthropic"]]
        h._send_json(200, {"data": data, "has_more": False, "first_id": data[0]["id"],
                           "last_id": data[-1]["id"]})
        return
    model, messages = body.get("model"), body.get("messages")
    if not isinstance(model, str) or not model:
        raise anthropic_error(400, "model: Field required", "invalid_request_error")
    if not isinstance(messages, list) or not messages:
        raise anthropic_error(400, "messages: at least one message is required",
                              "invalid_request_error")
    if messages[0].get("role") != "user":
        raise anthropic_error(400, "messages: first message must use the \"user\" role",
                              "invalid_request_error")
    for m in messages:
        if m.get("role") not in ("user", "assistant"):
            raise anthropic_error(400, f"messages: Unexpected role \"{m.get('role')}\". Use a "
                                       "top-level `system` parameter for system prompts.",
                                  "invalid_request_error")
    used = estimate_tokens([body.get("system"), messages])
    if path.endswith("/count_tokens"):
        h._send_json(200, {"input_tokens": used})
        return
    if not isinstance(body.get("max_tokens"), int):
        raise anthropic_error(400, "max_tokens: Field required", "invalid_request_error")
    window = emu.window(model)
    fault = apply_fault(emu, "anthropic", h, used, window)
    if used > window or fault is not None:
        raise context_error("anthropic", used if used > window else window + 1, window)
    reply = emu.answer("anthropic")
    inp, out = reply_tokens(reply, used)
    usage = {"input_tokens": inp, "output_tokens": out,
             "cache_read_input_tokens": reply.cached_tokens, "cache_creation_input_tokens": 0}
    message = {"id": emu.new_id("msg"), "type": "message", "role": "assistant", "model": model,
               "content": [{"type": "text", "text": reply.text}], "stop_reason": "end_turn",
               "stop_sequence": None, "usage": usage}
    if not body.get("stream"):
        h._send_json(200, message)
        return
    h.start_sse()
    h.sse({"type": "message_start", "message": {**message, "content": [], "stop_reason": None,
                                                "usage": {**usage, "output_tokens": 1}}},
          "message_start")
    h.sse({"type": "content_block_start", "index": 0,
           "content_block": {"type": "text", "text": ""}}, "content_block_start")
    for piece in split(reply.text, reply.chunks):
        h.sse({"type": "content_block_delta", "index": 0,
               "delta": {"type": "text_delta", "text": piece}}, "content_block_delta")
    h.sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
    h.sse({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
           "usage": {"output_tokens": out}}, "message_delta")
    h.sse({"type": "message_stop"}, "message_stop")


# -- Gemini ---------------------------------------------------------------------------------

def _google(emu: Emulator, h: Any, method: str, path: str, query: dict[str, Any],
                  body: dict[str, Any]) -> None:
    if method == "GET":
        h._send_json(200, {"models": [{"displayName": m["name"].split("/")[-1],
                                       "supportedGenerationMethods": ["generateContent",
                                                                      "countTokens"], **m}
                                      for m in emu.models["google"]]})
        return
    m = re.match(r"^/[^/]+/models/([^:]+):(\w+)$", path)
    if not m:
        raise google_error(404, f"Method not found: {path}", "NOT_FOUND")
    model, verb = m.group(1), m.group(2)
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise google_error(400, "* GenerateContentRequest.contents: contents is not specified",
                           "INVALID_ARGUMENT")
    for c in contents:
        if c.get("role") not in (None, "user", "model"):
            raise google_error(400, "Please use a valid role: user, model.", "INVALID_ARGUMENT")
    system = body.get("systemInstruction") or body.get("system_instruction")
    used = estimate_tokens([system, contents])
    if verb == "countTokens":
        h._send_json(200, {"totalTokens": used})
        return
    window = emu.window(model)
    fault = apply_fault(emu, "google", h, used, window)
    if used > window or fault is not None:
        raise context_error("google", used if used > window else window + 1, window)
    reply = emu.answer("google")
    inp, out = reply_tokens(reply, used)

    def chunk(text: str, last: bool) -> dict[str, Any]:
        cand: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"},
                                "index": 0}
        if last:
            cand["finishReason"] = "STOP"
        return {"candidates": [cand], "modelVersion": model, "responseId": "r1",
                "usageMetadata": {"promptTokenCount": inp, "candidatesTokenCount": out,
                                  "totalTokenCount": inp + out + reply.reasoning_tokens,
                                  "cachedContentTokenCount": reply.cached_tokens,
                                  "thoughtsTokenCount": reply.reasoning_tokens}}

    if verb == "generateContent":
        h._send_json(200, chunk(reply.text, True))
        return
    if verb != "streamGenerateContent":
        raise google_error(404, f"Method not found: {verb}", "NOT_FOUND")
    h.start_sse()
    pieces = split(reply.text, reply.chunks)
    for n, piece in enumerate(pieces):
        h.wfile.write(f"data: {json.dumps(chunk(piece, n == len(pieces) - 1))}\r\n\r\n".encode())
        h.wfile.flush()


ROUTES = {"openai": openai_api.route, "anthropic": _anthropic, "google": _google}


def _window(value: str) -> tuple[str, int]:
    """MODEL=TOKENS from the command line."""
    model, _, tokens = value.rpartition("=")
    if not model or not tokens.isdigit():
        raise argparse.ArgumentTypeError(f"expected MODEL=TOKENS, got {value!r}")
    return model, int(tokens)


def _flood(value: str) -> tuple[str, tuple[int, int, int]]:
    """MODEL=REASONING,TEXT,DELTA from the command line."""
    model, _, sizes = value.rpartition("=")
    numbers = sizes.split(",")
    if not model or len(numbers) != 3 or not all(n.isdigit() for n in numbers):
        raise argparse.ArgumentTypeError(f"expected MODEL=REASONING,TEXT,DELTA, got {value!r}")
    reasoning, text, delta = map(int, numbers)
    return model, (reasoning, text, delta)


def main() -> None:
    """Serve until interrupted, printing the base URL first."""
    parser = argparse.ArgumentParser(description="MassGen's loopback API emulator.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--context-window", type=int, default=DEFAULT_WINDOW)
    parser.add_argument("--window", type=_window, action="append", default=[],
                        metavar="MODEL=TOKENS", help="one model's context window (repeatable)")
    parser.add_argument("--massgen", action="store_true",
                        help="answer as MassGen 0.1.97's agents would (massgen_driver)")
    parser.add_argument("--flood", type=_flood, action="append", default=[],
                        metavar="MODEL=REASONING,TEXT,DELTA",
                        help="with --massgen: that model's agent streams REASONING and TEXT "
                             "characters in deltas of DELTA (repeatable)")
    parser.add_argument("--recall", action="store_true",
                        help="answer MassGen's summarizer and `compaction eval`'s questions "
                             "from the context each request carries (testing.recall)")
    args = parser.parse_args()
    emu = Emulator(context_window=args.context_window, port=args.port)
    emu.windows.update(args.window)
    if args.massgen:
        from massgen_plugins.testing.massgen_driver import AgentSettings, MassgenDriver

        emu.responder = MassgenDriver({model: AgentSettings(reasoning=r, text=t, delta=d)
                                       for model, (r, t, d) in args.flood})
    if args.recall:
        from massgen_plugins.testing.recall import RecallResponder

        emu.responder = RecallResponder(emu, emu.responder)
    print(emu.start().url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emu.stop()


if __name__ == "__main__":
    main()
