"""OpenAI through the official SDK's Responses API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from massgen_plugins.providers import errors as e
from massgen_plugins.providers.base import Part, Provider
from massgen_plugins.providers.retry import retry_after_seconds
from massgen_plugins.providers.types import GenerateRequest, ModelInfo, Result, Usage

CONTEXT_CODES = {"context_length_exceeded"}


class OpenAIProvider(Provider):
    """OpenAI Responses: generate, stream, count (input_tokens), list; raw items kept."""

    name = "openai"
    api = "responses"

    def client(self, is_async: bool = False) -> Any:
        """The SDK client, made on first use with the SDK's own retries off."""
        key = "async" if is_async else "sync"
        if key not in self._clients:
            import openai

            cls = openai.AsyncOpenAI if is_async else openai.OpenAI
            self._clients[key] = cls(api_key=self.credentials.api_key,
                                     base_url=self.credentials.base_url, timeout=self.timeout,
                                     max_retries=0)
        return self._clients[key]

    def _args(self, request: GenerateRequest) -> dict[str, Any]:
        args: dict[str, Any] = {"model": request.model, "input": _items(request),
                                "max_output_tokens": request.max_output_tokens}
        if request.system:
            args["instructions"] = request.system
        if request.temperature is not None:
            args["temperature"] = request.temperature
        return args

    def _result(self, request: GenerateRequest, response: Any) -> Result:
        usage = self._checked(response).usage
        reason = response.status
        if getattr(response, "incomplete_details", None) and response.incomplete_details.reason:
            reason = response.incomplete_details.reason
        return Result(
            provider=self.name, model=response.model, text=response.output_text or "",
            usage=Usage(
                input_tokens=usage.input_tokens if usage else 0,
                output_tokens=usage.output_tokens if usage else 0,
                cached_tokens=getattr(usage.input_tokens_details, "cached_tokens", 0) or 0
                if usage else 0,
                reasoning_tokens=getattr(usage.output_tokens_details, "reasoning_tokens", 0) or 0
                if usage else 0),
            finish_reason=reason, raw_input=tuple(_items(request)),
            raw_output=tuple(item.model_dump(exclude_none=True) for item in response.output))

    def _generate(self, request: GenerateRequest) -> Result:
        return self._result(request, self.client().responses.create(**self._args(request)))

    async def _agenerate(self, request: GenerateRequest) -> Result:
        response = await self.client(True).responses.create(**self._args(request))
        return self._result(request, response)

    def _checked(self, response: Any) -> Any:
        # The SDK hands back the body as text when it is not JSON (a proxy's HTML page).
        if isinstance(response, str):
            raise self.not_the_api()
        return response

    def _stream(self, request: GenerateRequest) -> Iterator[Part]:
        for event in self.client().responses.create(**self._args(request), stream=True):
            part = self._part(request, event)
            if part is not None:
                yield part

    async def _astream(self, request: GenerateRequest) -> AsyncIterator[Part]:
        stream = await self.client(True).responses.create(**self._args(request), stream=True)
        async for event in stream:
            part = self._part(request, event)
            if part is not None:
                yield part

    def _part(self, request: GenerateRequest, event: Any) -> Part | None:
        kind = getattr(event, "type", "")
        if kind == "response.output_text.delta":
            return ("delta", event.delta)
        if kind == "response.completed":
            return ("result", self._result(request, event.response))
        if kind in ("error", "response.failed"):
            # A failure found after HTTP 200 arrives as events; the SDK may or may not raise.
            err = getattr(getattr(event, "response", None), "error", None) or event
            raise self._from_code(getattr(err, "code", None), getattr(err, "message", str(err)))
        return None

    def _count(self, request: GenerateRequest) -> int:
        args: dict[str, Any] = {"model": request.model, "input": _items(request)}
        if request.system:
            args["instructions"] = request.system
        reply = self.post("/responses/input_tokens", args)
        count = reply.get("input_tokens")
        if not isinstance(count, int) or isinstance(count, bool):
            raise e.TransientError(self.name, "malformed reply from the count endpoint "
                                              "(no input_tokens)")
        return count

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` to an endpoint of the API and return its JSON object, unparsed by types.

        For endpoints that older SDKs have no typed method for (`/responses/compact` and
        `/responses/input_tokens` are missing from openai 2.2.0, MassGen's pin): the same
        request on every SDK version, with the SDK's auth, base URL, timeout and errors.
        """
        reply = self.client().post(path, body=body, cast_to=object)
        if isinstance(reply, str):
            raise self.not_the_api()
        if not isinstance(reply, dict):
            raise e.TransientError(self.name, f"malformed reply from {path} (not a JSON object)")
        return reply

    def _list_models(self) -> list[ModelInfo]:
        # OpenAI lists ids only; windows come from the catalog.
        return [ModelInfo(self.name, m.id) for m in self.client().models.list()]

    def _from_code(self, code: str | None, message: str, status: int | None = None,
                   retry_after: float | None = None) -> e.ProviderError:
        if code in CONTEXT_CODES or "maximum context length" in message:
            return e.ContextLengthError(self.name, message, status)
        if code in ("rate_limit_exceeded",):
            return e.RateLimitError(self.name, message, status, retry_after)
        if code in ("invalid_api_key",):
            return e.AuthenticationError(self.name, message, status)
        if code in ("server_error", None) and status is None:
            return e.TransientError(self.name, message, status)
        return e.BadRequestError(self.name, message, status)

    def _map_error(self, exc: BaseException) -> e.ProviderError | None:
        import openai

        if isinstance(exc, openai.APITimeoutError):
            return e.TransientError(self.name, "request timed out")
        if isinstance(exc, openai.APIConnectionError):
            return e.TransientError(self.name, f"connection failed: {exc}")
        if isinstance(exc, openai.APIStatusError):
            status, message = exc.status_code, _message(exc)
            code = getattr(exc, "code", None)
            if status in (401, 403):
                return e.AuthenticationError(self.name, message, status)
            if status == 429:
                return e.RateLimitError(self.name, message, status,
                                        retry_after_seconds(exc.response.headers))
            if status >= 500:
                return e.TransientError(self.name, message, status)
            if code in CONTEXT_CODES or "maximum context length" in message:
                return e.ContextLengthError(self.name, message, status)
            return e.BadRequestError(self.name, message, status)
        if isinstance(exc, openai.APIError):  # raised mid-stream, after HTTP 200
            return self._from_code(getattr(exc, "code", None), _message(exc))
        return None


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(exc, "message", exc))


def _items(request: GenerateRequest) -> list[dict[str, Any]]:
    from massgen_plugins.values import thaw

    return [thaw(m) for m in request.messages]
