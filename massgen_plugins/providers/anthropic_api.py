"""Anthropic through the official SDK's Messages API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from massgen_plugins.providers import errors as e
from massgen_plugins.providers.base import Part, Provider
from massgen_plugins.providers.retry import retry_after_seconds
from massgen_plugins.providers.types import GenerateRequest, ModelInfo, Result, Usage


class AnthropicProvider(Provider):
    """Anthropic Messages: generate, stream, count_tokens, list."""

    name = "anthropic"
    api = "anthropic_messages"

    def client(self, is_async: bool = False) -> Any:
        """The SDK client, made on first use with the SDK's own retries off."""
        key = "async" if is_async else "sync"
        if key not in self._clients:
            import anthropic

            cls = anthropic.AsyncAnthropic if is_async else anthropic.Anthropic
            self._clients[key] = cls(api_key=self.credentials.api_key,
                                     base_url=self.credentials.base_url, timeout=self.timeout,
                                     max_retries=0)
        return self._clients[key]

    def _args(self, request: GenerateRequest) -> dict[str, Any]:
        args: dict[str, Any] = {"model": request.model, "max_tokens": request.max_output_tokens,
                                "messages": _messages(request)}
        if request.system:
            args["system"] = request.system
        if request.temperature is not None:
            args["temperature"] = request.temperature
        return args

    def _result(self, request: GenerateRequest, message: Any) -> Result:
        if isinstance(message, str):  # the SDK hands back a body that is not JSON as text
            raise self.not_the_api()
        text = "".join(b.text for b in message.content if getattr(b, "type", "") == "text")
        u = message.usage
        return Result(provider=self.name, model=message.model, text=text,
                      usage=Usage(input_tokens=u.input_tokens, output_tokens=u.output_tokens,
                                  cached_tokens=getattr(u, "cache_read_input_tokens", 0) or 0),
                      finish_reason=message.stop_reason, raw_input=tuple(_messages(request)),
                      raw_output=tuple(b.model_dump(exclude_none=True) for b in message.content))

    def _generate(self, request: GenerateRequest) -> Result:
        return self._result(request, self.client().messages.create(**self._args(request)))

    async def _agenerate(self, request: GenerateRequest) -> Result:
        return self._result(request, await self.client(True).messages.create(**self._args(request)))

    def _stream(self, request: GenerateRequest) -> Iterator[Part]:
        with self.client().messages.stream(**self._args(request)) as stream:
            for text in stream.text_stream:
                yield ("delta", text)
            yield ("result", self._result(request, self._final(stream)))

    async def _astream(self, request: GenerateRequest) -> AsyncIterator[Part]:
        async with self.client(True).messages.stream(**self._args(request)) as stream:
            async for text in stream.text_stream:
                yield ("delta", text)
            yield ("result", self._result(request, self._final(stream)))

    def _final(self, stream: Any) -> Any:
        try:
            return stream.current_message_snapshot
        except AssertionError:  # no message at the end: the reply was no event stream
            raise self.not_the_api() from None

    def _count(self, request: GenerateRequest) -> int:
        args = {"model": request.model, "messages": _messages(request)}
        if request.system:
            args["system"] = request.system
        counted = self.client().messages.count_tokens(**args)
        if isinstance(counted, str):
            raise self.not_the_api()
        return int(counted.input_tokens)

    def _list_models(self) -> list[ModelInfo]:
        return [ModelInfo(self.name, m.id, getattr(m, "max_input_tokens", None),
                          getattr(m, "max_tokens", None)) for m in self.client().models.list()]

    def _map_error(self, exc: BaseException) -> e.ProviderError | None:
        import anthropic

        if isinstance(exc, anthropic.APITimeoutError):
            return e.TransientError(self.name, "request timed out")
        if isinstance(exc, anthropic.APIConnectionError):
            return e.TransientError(self.name, f"connection failed: {exc}")
        if isinstance(exc, anthropic.APIStatusError):
            status, message = exc.status_code, _message(exc)
            if status in (401, 403):
                return e.AuthenticationError(self.name, message, status)
            if status == 429:
                return e.RateLimitError(self.name, message, status,
                                        retry_after_seconds(exc.response.headers))
            if status >= 500:  # includes 529 overloaded
                return e.TransientError(self.name, message, status)
            if "prompt is too long" in message:
                return e.ContextLengthError(self.name, message, status)
            return e.BadRequestError(self.name, message, status)
        return None


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message") or exc)
    return str(getattr(exc, "message", exc))


def _messages(request: GenerateRequest) -> list[dict[str, Any]]:
    return [{"role": m["role"], "content": m["content"]} for m in request.messages
            if m.get("role") in ("user", "assistant")]
