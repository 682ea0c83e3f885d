"""OpenAI's native compaction: `POST /responses/compact` in place of the core's summarization.

Contract: the endpoint takes `model`, `input` (the items) and `instructions`, and returns an
object with `object == "response.compaction"`, whose `output` is the user messages followed by
exactly one `{"type": "compaction", "id", "encrypted_content"}` item, and `usage`. The next
`responses.create` sends that output verbatim, then the new input. The compaction's id is not a
response id (no `previous_response_id`), and the instructions are not carried forward: the host
sends the system prompt with every request.

The call goes through the SDK client's raw `post`, because openai 2.2.0 (MassGen's pin) has
no `responses.compact`; the request and the verbatim JSON items are the same on every version.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from massgen_plugins import CompressionRequest, CompressionResult

OFFICIAL_HOSTS = {"api.openai.com"}
# (base_url, model) pairs whose endpoint answered 404 or "unknown endpoint": asked once only.
_UNSUPPORTED: set[tuple[str, str]] = set()
# Compatible base URLs already told they are skipped (allow_compatible is off).
_TOLD: set[str] = set()
_LOCK = threading.Lock()


class CompactionRefused(Exception):
    """The compaction output would break the conversation; the core falls back."""


class CompactionFailed(Exception):
    """The /compact call failed (after retries); the core falls back.

    Not a MassgenError: that would tell the host the *user* erred and stop the command.
    """


class CompactionUnavailable(Exception):
    """Compaction is switched on but cannot be used for this endpoint; said once per endpoint."""


def official(base_url: str | None) -> bool:
    """True for OpenAI's own endpoint (no base URL is the SDK's default, OpenAI's)."""
    return not base_url or urlparse(base_url).hostname in OFFICIAL_HOSTS


def unclaimed(base_url: str) -> str:
    """Why a Responses conversation on `base_url` is not compacted, as one line."""
    return (f"compaction is off for {base_url}: it is not api.openai.com (set "
            "plugins.compact_openai.allow_compatible: true if it serves /responses/compact)")


def unused_endpoints(backends: Sequence[Mapping[str, Any]], allow_compatible: bool,
                     environ: Mapping[str, str]) -> list[str]:
    """A line for each base URL of MassGen's OpenAI (Responses) agents this plugin will skip."""
    if allow_compatible:
        return []
    default = environ.get("OPENAI_BASE_URL") or None  # the SDK's own fallback
    urls = {str(b.get("base_url") or default) for b in backends
            if isinstance(b, Mapping) and b.get("type") == "openai"
            and (b.get("base_url") or default)}
    if default:
        urls.add(default)
    return [unclaimed(url) for url in sorted(urls) if not official(url)]


def claims(request: CompressionRequest, allow_compatible: bool) -> bool:
    """True for conversations backed by OpenAI's Responses API this plugin should compact."""
    if request.provider != "openai" or request.api not in (None, "responses"):
        return False  # Chat Completions items are another format: summarization handles them
    if not official(request.base_url) and not allow_compatible:
        return False  # many OpenAI-compatible servers have no /responses/compact
    with _LOCK:
        return (request.base_url or "", request.model) not in _UNSUPPORTED


def first_time_skipped(request: CompressionRequest) -> bool:
    """True once per base URL for a Responses conversation skipped for want of allow_compatible."""
    if (request.provider != "openai" or request.api not in (None, "responses")
            or official(request.base_url)):
        return False
    with _LOCK:
        first = request.base_url not in _TOLD
        _TOLD.add(str(request.base_url))
    return first


def remember_unsupported(base_url: str | None, model: str) -> None:
    """Never ask this endpoint and model to compact again in this process."""
    with _LOCK:
        _UNSUPPORTED.add((base_url or "", model))


def check_output(items: list[Mapping[str, Any]], sent: list[Mapping[str, Any]],
                 chained: bool = False) -> None:
    """Refuse output that would break the conversation, before it replaces anything.

    `chained`: the request continued a server-side history, whose items were not sent.
    """
    compactions = [i for i in items if i.get("type") == "compaction"]
    if len(compactions) != 1 or not compactions[0].get("encrypted_content"):
        raise CompactionRefused(f"expected exactly one compaction item, got {len(compactions)}")

    def user_texts(seq: list[Mapping[str, Any]]) -> list[str]:
        out = []
        for i in seq:
            if i.get("type", "message") == "message" and i.get("role") == "user":
                content = i.get("content")
                if isinstance(content, list):
                    content = "".join(str(p.get("text", "")) for p in content
                                      if isinstance(p, Mapping))
                out.append(str(content))
        return out

    # With a server-side history (previous_response_id) the earlier user messages come back
    # too; the ones sent here must still be there, in order, at the end.
    back, mine = user_texts(items), user_texts(sent)
    if back[len(back) - len(mine):] != mine or (not chained and back != mine):
        raise CompactionRefused("the user messages did not come back intact")
    calls = {i.get("call_id") for i in items if i.get("type") == "function_call"}
    if any(i.get("type") == "function_call_output" and i.get("call_id") not in calls
           for i in items):
        raise CompactionRefused("a tool output came back without its call")
    sent_ids = {i.get("id") for i in sent if i.get("id")}
    for i in items:
        if (not chained and i.get("role") == "assistant" and i.get("id")
                and i.get("id") not in sent_ids):
            raise CompactionRefused(f"assistant item {i.get('id')} refers to nothing we sent")


def compact(request: CompressionRequest, credentials: Any, model: str | None, timeout: float,
            budget: float) -> CompressionResult:
    """Call /responses/compact and check the output.

    Each call has `timeout` seconds in all; 429s and 5xxs are retried within `budget` seconds.
    """
    import attrs

    from massgen_plugins import BadRequestError, OpenAIProvider, thaw

    items = [thaw(i) for i in request.items]
    pending = {i.get("call_id") for i in items if i.get("type") == "function_call"} - {
        i.get("call_id") for i in items if i.get("type") == "function_call_output"}
    if pending:
        # The service fails on a call without its output ("No tool output found ...").
        raise CompactionRefused("a tool call is still waiting for its output")
    if request.api_key:  # the conversation's own key: its compaction items belong to it
        credentials = attrs.evolve(credentials, api_key=request.api_key)
    credentials = attrs.evolve(credentials, base_url=request.base_url or credentials.base_url)
    args: dict[str, Any] = {"model": model or request.model, "input": items}
    if request.instructions:
        args["instructions"] = request.instructions
    if request.previous_response_id:
        # The items continue a conversation stored server-side: compact all of it.
        args["previous_response_id"] = request.previous_response_id
    deadline = time.monotonic() + budget
    attempt = 0
    while True:
        attempt += 1
        # The core's OpenAI provider makes the client (SDK retries off), maps errors (keys
        # masked) and knows the backoff; only the time budget is this plugin's own. A new one
        # each attempt: a call past its time closes its client.
        provider = OpenAIProvider(credentials, timeout=timeout)
        try:
            response = post_within(provider, "/responses/compact", args, timeout)
            break
        except CompactionFailed:
            raise
        except Exception as exc:
            err = provider.map_error(exc)
            text = str(err).lower()
            if err.status == 404 or (isinstance(err, BadRequestError) and "unknown" in text
                                     and ("url" in text or "endpoint" in text)):
                remember_unsupported(request.base_url, args["model"])
            wait = provider.retry.delay(attempt, err.retry_after) if err.retryable else None
            if wait is None or time.monotonic() + wait > deadline:
                raise CompactionFailed(err.format_message()) from None
            time.sleep(wait)
    if response.get("object") != "response.compaction":
        raise CompactionRefused(f"unexpected object {response.get('object')!r}")
    output = response.get("output")
    if not isinstance(output, list) or not all(isinstance(o, dict) for o in output):
        raise CompactionRefused("the reply has no list of output items")
    check_output(output, items, chained=bool(request.previous_response_id))
    usage = response.get("usage") if isinstance(response.get("usage"), dict) else {}
    return CompressionResult(items=output, method="openai-compact",
                             input_tokens=_count(usage.get("input_tokens")),
                             output_tokens=_count(usage.get("output_tokens")))


def post_within(provider: Any, path: str, body: dict[str, Any], seconds: float) -> Any:
    """`provider.post`, with `seconds` for the whole call: headers, body and all.

    The SDK's timeout bounds each read, so a reply that trickles in a byte at a time never
    ends it; at the deadline the client is closed under the call, which ends it at once.
    """
    client = provider.client()
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        client.close()

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        return provider.post(path, body)
    except Exception:
        if expired.is_set():
            raise CompactionFailed(f"no complete answer from {path} within {seconds:g} s "
                                   "(timeout_s)") from None
        raise
    finally:
        timer.cancel()


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
