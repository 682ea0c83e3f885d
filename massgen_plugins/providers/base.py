"""What every provider adapter shares: retries, streaming plumbing, and estimates."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

from massgen_plugins.providers.errors import BadRequestError, ProviderError, TransientError
from massgen_plugins.providers.keys import Credentials
from massgen_plugins.providers.retry import RetryPolicy
from massgen_plugins.providers.types import GenerateRequest, ModelInfo, Result, TokenCount
from massgen_plugins.secrets import mask

_T = TypeVar("_T")

# Stream parts: ("delta", str) while text arrives, then ("result", Result) once.
Part = tuple[str, Any]


def estimate_tokens(request: GenerateRequest) -> TokenCount:
    """An offline count: about four characters a token over the system prompt and messages."""
    chars = len(request.system or "") + sum(len(str(m.get("content", m))) for m in request.messages)
    return TokenCount(math.ceil(chars / 4), exact=False, source="estimate (4 chars per token)")


class Stream:
    """Text deltas as they arrive; `result` holds the finished Result once iteration ends."""

    def __init__(self, parts: Iterator[Part]) -> None:
        """Wrap an adapter's parts."""
        self._parts = parts
        self.result: Result | None = None

    def __iter__(self) -> Iterator[str]:
        """Yield each text delta."""
        for kind, value in self._parts:
            if kind == "delta":
                yield value
            else:
                self.result = value


class AsyncStream:
    """The async twin of Stream."""

    def __init__(self, parts: AsyncIterator[Part]) -> None:
        """Wrap an adapter's async parts."""
        self._parts = parts
        self.result: Result | None = None

    async def __aiter__(self) -> AsyncIterator[str]:
        """Yield each text delta."""
        async for kind, value in self._parts:
            if kind == "delta":
                yield value
            else:
                self.result = value


class Provider:
    """A provider behind its official SDK. Subclasses implement the `_`-methods."""

    name = ""
    api = ""  # the wire API, as CompressionRequest.api names it

    def __init__(self, credentials: Credentials, timeout: float = 600.0,
                 retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        """Bind a key and base URL; SDK clients are made on first use."""
        self.credentials = credentials
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clients: dict[str, Any] = {}
        # Told (error, seconds to wait, attempt) before each retry, to show the user why they wait.
        self.on_retry: Callable[[ProviderError, float, int], None] | None = None

    def __repr__(self) -> str:
        """Never shows the key."""
        return f"<{type(self).__name__} {self.credentials.base_url or 'default endpoint'}>"

    # -- what callers use -------------------------------------------------------------------

    def generate(self, request: GenerateRequest) -> Result:
        """One completion, retried on rate limits and transient errors."""
        return self._with_retry(lambda: self._generate(request))

    def stream(self, request: GenerateRequest) -> Stream:
        """A streamed completion; retried only while nothing has been yielded yet."""
        return Stream(self._stream_with_retry(request))

    async def agenerate(self, request: GenerateRequest) -> Result:
        """Async `generate`."""
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return await self._agenerate(request)
            except Exception as exc:
                await asyncio.sleep(self._retry_wait(exc, attempt))
        raise AssertionError("unreachable")

    def astream(self, request: GenerateRequest) -> AsyncStream:
        """Async `stream`."""
        return AsyncStream(self._astream_with_retry(request))

    def count_tokens(self, request: GenerateRequest, strict: bool = False) -> TokenCount:
        """The input's size: exact from the provider's count endpoint, else an estimate.

        The count sends the text to the provider (the count endpoints are free). `strict`
        raises the endpoint's error (a refused key, a wrong base URL) instead of estimating.
        """
        try:
            return TokenCount(self._with_retry(lambda: self._count(request)), exact=True,
                              source=f"{self.name} count endpoint")
        except ProviderError:
            if strict:
                raise
            return estimate_tokens(request)

    def list_models(self) -> list[ModelInfo]:
        """The models the key can use, as the provider lists them."""
        return self._with_retry(self._list_models)

    # -- plumbing ---------------------------------------------------------------------------

    def _retry_wait(self, exc: BaseException, attempt: int, sent: bool = False) -> float:
        """Seconds to wait before the next attempt; raises the common error when not to retry."""
        err = self.map_error(exc)
        # Text already shown cannot be taken back, so a broken stream is not replayed.
        if sent or not err.retryable or attempt >= self.retry.attempts:
            raise err from None
        wait = self.retry.delay(attempt, err.retry_after)
        if self.on_retry is not None:
            self.on_retry(err, wait, attempt)
        return wait

    def _with_retry(self, call: Callable[[], _T]) -> _T:
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return call()
            except Exception as exc:
                self._sleep(self._retry_wait(exc, attempt))
        raise AssertionError("unreachable")

    def not_the_api(self) -> ProviderError:
        """The error for a reply the SDK could not read as its API's: HTML from a proxy, say."""
        from massgen_plugins.providers.keys import BASE_URL_ENV

        return BadRequestError(self.name, f"the reply from {self.endpoint} is not {self.name}'s "
                                          "API (a proxy's page, or a wrong base URL?); check "
                                          f"{BASE_URL_ENV[self.name]} or providers.{self.name}"
                                          ".base_url")

    @property
    def endpoint(self) -> str:
        """The base URL requests go to, as the user set it, or the SDK's default."""
        return self.credentials.base_url or f"{self.name}'s default endpoint"

    def _stream_with_retry(self, request: GenerateRequest) -> Iterator[Part]:
        for attempt in range(1, self.retry.attempts + 1):
            sent = False
            try:
                for part in self._stream(request):
                    sent = True
                    yield part
                if not sent or part[0] != "result":
                    # An SDK reads a reply that is no event stream as an empty one.
                    raise self.not_the_api()
                return
            except Exception as exc:
                self._sleep(self._retry_wait(exc, attempt, sent))

    async def _astream_with_retry(self, request: GenerateRequest) -> AsyncIterator[Part]:
        for attempt in range(1, self.retry.attempts + 1):
            sent = False
            try:
                async for part in self._astream(request):
                    sent = True
                    yield part
                if not sent or part[0] != "result":
                    raise self.not_the_api()
                return
            except Exception as exc:
                await asyncio.sleep(self._retry_wait(exc, attempt, sent))

    def map_error(self, exc: BaseException) -> ProviderError:
        """The common error for anything the SDK raised, with this provider's key masked."""
        err = self._common_error(exc)
        # redact() knows keys in the environment and common key shapes; a key from config
        # can look like anything, so mask this provider's own key by value as well.
        key = self.credentials.api_key
        if key and key in err.message:
            # click declares `message` final; the text is still ours to mask.
            setattr(err, "message", err.message.replace(key, mask(key)))  # noqa: B010
        return err

    def _common_error(self, exc: BaseException) -> ProviderError:
        if isinstance(exc, ProviderError):
            return exc
        mapped = self._map_error(exc)
        if mapped is not None:
            return mapped
        if isinstance(exc, (TimeoutError, ConnectionError)):
            return TransientError(self.name, f"{type(exc).__name__}: {exc}")
        # The SDKs sit on httpx or httpx2; recognise their network errors by class name, so a
        # change of HTTP library underneath does not turn a timeout into a crash.
        names = {cls.__name__ for cls in type(exc).__mro__}
        if names & {"TimeoutException", "ReadTimeout", "ConnectTimeout", "WriteTimeout",
                    "PoolTimeout"}:
            return TransientError(self.name, "request timed out")
        if names & {"TransportError", "NetworkError", "RemoteProtocolError", "ConnectError"}:
            return TransientError(self.name, f"connection failed: {exc}")
        if isinstance(exc, json.JSONDecodeError):
            return TransientError(self.name, f"malformed reply from {self.endpoint} ({exc.msg})")
        if isinstance(exc, (ValueError, TypeError)):  # the SDK refused the request before sending
            return BadRequestError(self.name, f"request refused by the SDK: {exc}")
        raise exc

    # -- for subclasses ---------------------------------------------------------------------

    def _generate(self, request: GenerateRequest) -> Result:
        raise NotImplementedError

    def _stream(self, request: GenerateRequest) -> Iterator[Part]:
        raise NotImplementedError

    async def _agenerate(self, request: GenerateRequest) -> Result:
        raise NotImplementedError

    def _astream(self, request: GenerateRequest) -> AsyncIterator[Part]:
        raise NotImplementedError

    def _count(self, request: GenerateRequest) -> int:
        raise NotImplementedError

    def _list_models(self) -> list[ModelInfo]:
        raise NotImplementedError

    def _map_error(self, exc: BaseException) -> ProviderError | None:
        raise NotImplementedError
