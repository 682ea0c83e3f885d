"""Gemini through the official google-genai SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from massgen_plugins.providers import errors as e
from massgen_plugins.providers.base import Part, Provider
from massgen_plugins.providers.retry import retry_after_seconds
from massgen_plugins.providers.types import GenerateRequest, ModelInfo, Result, Usage


class GoogleProvider(Provider):
    """Gemini: generate_content (and its stream), count_tokens, list."""

    name = "google"
    api = "gemini"

    def client(self, is_async: bool = False) -> Any:
        """The SDK client (one serves sync and async), made on first use without SDK retries."""
        if "sync" not in self._clients:
            from google import genai
            from google.genai import types

            options = types.HttpOptions(base_url=self.credentials.base_url,
                                        timeout=int(self.timeout * 1000),
                                        retry_options=types.HttpRetryOptions(attempts=1))
            self._clients["sync"] = genai.Client(api_key=self.credentials.api_key,
                                                 http_options=options)
        client = self._clients["sync"]
        return client.aio if is_async else client

    def _args(self, request: GenerateRequest) -> dict[str, Any]:
        from google.genai import types

        config = types.GenerateContentConfig(system_instruction=request.system or None,
                                             max_output_tokens=request.max_output_tokens,
                                             temperature=request.temperature)
        return {"model": request.model, "contents": _contents(request), "config": config}

    def _result(self, request: GenerateRequest, text: str, last: Any) -> Result:
        meta = getattr(last, "usage_metadata", None)
        cand = (getattr(last, "candidates", None) or [None])[0]
        reason = getattr(cand, "finish_reason", None)
        return Result(
            provider=self.name, model=getattr(last, "model_version", None) or request.model,
            text=text,
            usage=Usage(input_tokens=getattr(meta, "prompt_token_count", 0) or 0,
                        output_tokens=getattr(meta, "candidates_token_count", 0) or 0,
                        cached_tokens=getattr(meta, "cached_content_token_count", 0) or 0,
                        reasoning_tokens=getattr(meta, "thoughts_token_count", 0) or 0),
            finish_reason=str(getattr(reason, "value", reason)) if reason else None,
            raw_input=tuple(_contents(request)),
            raw_output=tuple(c.model_dump(exclude_none=True) for c in
                             (getattr(last, "candidates", None) or [])))

    def _generate(self, request: GenerateRequest) -> Result:
        response = self.client().models.generate_content(**self._args(request))
        return self._result(request, response.text or "", response)

    async def _agenerate(self, request: GenerateRequest) -> Result:
        response = await self.client(True).models.generate_content(**self._args(request))
        return self._result(request, response.text or "", response)

    def _stream(self, request: GenerateRequest) -> Iterator[Part]:
        text, last = [], None
        for chunk in self.client().models.generate_content_stream(**self._args(request)):
            last = chunk
            if chunk.text:
                text.append(chunk.text)
                yield ("delta", chunk.text)
        yield ("result", self._result(request, "".join(text), last))

    async def _astream(self, request: GenerateRequest) -> AsyncIterator[Part]:
        text, last = [], None
        stream = await self.client(True).models.generate_content_stream(**self._args(request))
        async for chunk in stream:
            last = chunk
            if chunk.text:
                text.append(chunk.text)
                yield ("delta", chunk.text)
        yield ("result", self._result(request, "".join(text), last))

    def _count(self, request: GenerateRequest) -> int:
        contents = _contents(request)
        if request.system:  # the Gemini API counts contents only; the system prompt goes first
            contents = [{"role": "user", "parts": [{"text": request.system}]}, *contents]
        return self.client().models.count_tokens(model=request.model,
                                                 contents=contents).total_tokens or 0

    def _list_models(self) -> list[ModelInfo]:
        return [ModelInfo(self.name, (m.name or "").removeprefix("models/"),
                          getattr(m, "input_token_limit", None),
                          getattr(m, "output_token_limit", None))
                for m in self.client().models.list()]

    def _map_error(self, exc: BaseException) -> e.ProviderError | None:
        from google.genai import errors as gerrors

        if isinstance(exc, ValueError) and "parse response as JSON" in str(exc):
            return self.not_the_api()
        if isinstance(exc, gerrors.APIError):
            status, message = exc.code, exc.message or str(exc)
            if status == 429:
                headers = getattr(getattr(exc, "response", None), "headers", None)
                return e.RateLimitError(self.name, message, status, retry_after_seconds(headers))
            if status in (401, 403) or "API key not valid" in message:
                return e.AuthenticationError(self.name, message, status)
            if status >= 500:
                return e.TransientError(self.name, message, status)
            if "exceeds the maximum number of tokens" in message:
                return e.ContextLengthError(self.name, message, status)
            return e.BadRequestError(self.name, message, status)
        return None


def _contents(request: GenerateRequest) -> list[dict[str, Any]]:
    return [{"role": "model" if m["role"] == "assistant" else "user",
             "parts": [{"text": m["content"]}]}
            for m in request.messages if m.get("role") in ("user", "assistant")]
