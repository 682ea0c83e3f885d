"""Each provider's error responses as the real services spell them, and the scripted faults."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from massgen_plugins.testing.emulator import Emulator

FAULTS = ("rate_limit", "server_error", "timeout", "context_length", "malformed", "auth",
          "stream_error", "trickle")


@attrs.define
class Fault:
    """A scripted failure for the next matching request."""

    kind: str
    retry_after: float | None = None
    delay: float = 5.0
    path: str | None = None  # only for requests whose path ends with this


class ApiError(Exception):
    """An error response in a provider's own format."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None,
                 context_length: bool = False):
        """Status, JSON body and extra headers; `context_length` for an input past the window."""
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}
        self.context_length = context_length


class Handled(Exception):
    """The response was already written."""


def openai_error(status: int, message: str, etype: str, code: str | None = None,
                 headers: dict[str, str] | None = None, param: str | None = None) -> ApiError:
    """An OpenAI-shaped error."""
    return ApiError(status, {"error": {"message": message, "type": etype, "param": param,
                                       "code": code}}, headers)


def anthropic_error(status: int, message: str, etype: str,
                    headers: dict[str, str] | None = None) -> ApiError:
    """An Anthropic-shaped error."""
    return ApiError(status, {"type": "error", "error": {"type": etype, "message": message}},
                    headers)


def google_error(status: int, message: str, state: str,
                 headers: dict[str, str] | None = None) -> ApiError:
    """A Gemini-shaped error."""
    return ApiError(status, {"error": {"code": status, "message": message, "status": state}},
                    headers)


def bad_request(provider: str, message: str) -> ApiError:
    """A provider's plain 400."""
    if provider == "openai":
        return openai_error(400, message, "invalid_request_error")
    if provider == "anthropic":
        return anthropic_error(400, message, "invalid_request_error")
    return google_error(400, message, "INVALID_ARGUMENT")


def context_error(provider: str, used: int, window: int, api: str = "") -> ApiError:
    """Each provider's real context-length error; OpenAI words it apart for Chat Completions."""
    error = _context_error(provider, used, window, api)
    error.context_length = True
    return error


def _context_error(provider: str, used: int, window: int, api: str) -> ApiError:
    if provider == "openai" and api == "chat_completions":
        return openai_error(400, f"This model's maximum context length is {window} tokens. "
                                 f"However, your messages resulted in {used} tokens. Please "
                                 "reduce the length of the messages.", "invalid_request_error",
                            "context_length_exceeded", param="messages")
    if provider == "openai":
        return openai_error(400, f"Your input exceeds the context window of this model "
                                 f"({used} tokens > {window}).", "invalid_request_error",
                            "context_length_exceeded")
    if provider == "anthropic":
        return anthropic_error(400, f"prompt is too long: {used} tokens > {window} maximum",
                               "invalid_request_error")
    return google_error(400, f"The input token count ({used}) exceeds the maximum number of "
                             f"tokens allowed ({window}).", "INVALID_ARGUMENT")


def fault_error(provider: str, fault: Fault, used: int = 0, window: int = 0,
                api: str = "") -> ApiError:
    """The error a fault stands for, in that provider's format."""
    retry = {"retry-after": str(fault.retry_after)} if fault.retry_after is not None else {}
    if fault.kind == "context_length":
        # A scripted overflow reports a count past the window, whatever the request's size.
        return context_error(provider, max(used, window + 1), window, api)
    table = {
        "openai": {"rate_limit": openai_error(429, "Rate limit reached for requests", "requests",
                                              "rate_limit_exceeded", retry),
                   "server_error": openai_error(500, "The server had an error", "server_error"),
                   "auth": openai_error(401, "Incorrect API key provided", "invalid_request_error",
                                        "invalid_api_key")},
        "anthropic": {"rate_limit": anthropic_error(429, "Number of requests has exceeded your "
                                                    "rate limit", "rate_limit_error", retry),
                      "server_error": anthropic_error(529, "Overloaded", "overloaded_error"),
                      "auth": anthropic_error(401, "invalid x-api-key", "authentication_error")},
        "google": {"rate_limit": google_error(429, "Resource has been exhausted (e.g. check "
                                              "quota).", "RESOURCE_EXHAUSTED", retry),
                   "server_error": google_error(500, "An internal error has occurred.",
                                                "INTERNAL"),
                   "auth": google_error(400, "API key not valid. Please pass a valid API key.",
                                        "INVALID_ARGUMENT")},
    }
    return table[provider][fault.kind]


def apply_fault(emu: Emulator, provider: str, handler: Any, used: int, window: int,
                api: str = "") -> Fault | None:
    """Apply a pending fault; returns it when the caller must still act (stream errors)."""
    from urllib.parse import urlparse

    path = urlparse(handler.path).path
    fault: Fault | None = emu._next(emu._faults, provider,
                                    lambda f: f.path is None or path.endswith(f.path))
    if fault is None:
        return None
    if fault.kind == "timeout":
        time.sleep(fault.delay)
        return None
    if fault.kind == "trickle":
        # HTTP 200 and the headers at once, then the JSON body one byte every `delay` seconds:
        # a client whose timeout is per read never gives up on it.
        handler.trickle = fault.delay
        return None
    if fault.kind == "malformed":
        handler._send_json(200, None, raw=b'{"id": "x", "output": [ {not json')
        raise Handled
    if fault.kind == "stream_error":
        return fault
    raise fault_error(provider, fault, used, window, api)
