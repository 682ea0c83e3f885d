"""Seam `compression`: MassGen's reactive context recovery asks `compress_context` first.

On a context-length error every MassGen API backend awaits
`self._compress_messages_for_context_recovery(messages, buffer_content=...)` and retries once.
Wrapped, that method builds a CompressionRequest from the agent's context (MassGen's system
message as instructions; for the Responses backend the items as MassGen's own
`ResponseFormatter` sends them, and the server-side history the failed request continued),
asks the plugins in a worker thread (a compaction call must not stall the other agents'
streams), and gives MassGen back a message list in its own format. No answer, a failure, or an
answer the host refuses (see `massgen_plugins.compression.refusal`) calls MassGen's original
method: its summarization stays the fallback for every backend and every failure.

Each compression, ours or MassGen's, is one line in the run's output and massgen.log, and a
record in `<attempt dir>/massgen_plugins/compressions.jsonl` for `massgen-plugins logs summary`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import weakref
from collections.abc import Mapping
from typing import Any

from massgen_plugins.bridge import runtime
from massgen_plugins.bridge.seams import Seam, resolve, wrap

RECORDS = "compressions.jsonl"
SUMMARIZATION = "massgen-summarization"
# Per backend (one per agent), what its last Responses request continued
# (previous_response_id) and its system message: MassGen chains requests server-side after
# local tool calls and then hands recovery only the new items. Not a context variable: MassGen
# runs the chained request in a task that does not see values set in the first one.
_LAST_REQUEST: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def instrument(seam: Seam) -> None:
    """Wrap recovery on ResponseBackend and CustomToolAndMCPBackend, and watch Responses calls."""
    recover, create, recover_others = (resolve(t) for t in seam.targets)  # all checked first
    wrap(*create, _remember_request)
    wrap(*recover, _recover)
    wrap(*recover_others, _recover)


def _remember_request(wrapped: Any, instance: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
    params = args[0] if args else kwargs.get("api_params")
    if isinstance(params, Mapping) and instance is not None:
        last = _LAST_REQUEST.setdefault(instance, {})
        last["previous_response_id"] = params.get("previous_response_id")
        system = _system_of(params.get("input"))
        if system is not None:  # a chained request sends only new items, not the system
            last["system"] = system
    return wrapped(*args, **kwargs)


def _recover(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return _recover_async(wrapped, instance, args, kwargs)


async def _recover_async(wrapped: Any, backend: Any, args: tuple[Any, ...],
                         kwargs: dict[str, Any]) -> Any:
    from massgen_plugins.compression import refusal
    from massgen_plugins.errors import MassgenError

    messages = list(args[0] if args else kwargs.get("messages") or [])
    started = time.monotonic()
    note = ""
    try:
        built = _request(backend, messages)
    except Exception as exc:  # a context we cannot read must not break MassGen's recovery
        runtime.warn(f"bridge: cannot hand {_agent(backend)}'s context to the plugins "
                     f"({type(exc).__name__}: {exc}); MassGen summarizes it")
        built = None
    if built is not None:
        request, system = built
        try:
            result = await asyncio.to_thread(_ask, request)
        except MassgenError as exc:  # a plugin set to fail rather than fall back
            _record(backend, "failed", messages, None, started, note=exc.format_message())
            raise
        if result is not None:
            why = refusal(request, result)
            if why is None:
                out = _to_massgen(system, result.items)
                _record(backend, result.method, messages, out, started, result=result,
                        request=request)
                return out
            note = f"{result.method} refused: {why}"
            runtime.warn(f"compress_context ({result.method}) was refused for "
                         f"{_agent(backend)}: {why}; MassGen summarizes instead")
    out = await wrapped(*args, **kwargs)
    _record(backend, SUMMARIZATION, messages, out, started, note=note)
    return out


def _ask(request: Any) -> Any:
    """The first plugin's answer to compress_context (the host is made on first use, here)."""
    from massgen_plugins.values import CompressionResult

    host = runtime.host()
    if host is None:
        return None
    return host.call_first("compress_context", expect=CompressionResult, request=request)


def _api_of(backend: Any) -> tuple[str, str | None]:
    """Our provider name and the wire API of a MassGen backend."""
    names = {cls.__name__ for cls in type(backend).__mro__}
    if "ResponseBackend" in names:
        return "openai", "responses"
    if "ChatCompletionsBackend" in names:
        return "openai", "chat_completions"
    if "ClaudeBackend" in names:
        return "anthropic", "anthropic_messages"
    if "GeminiBackend" in names:
        return "google", "gemini"
    return type(backend).__name__, None


def _system_of(items: Any) -> Mapping[str, Any] | None:
    if isinstance(items, list) and items and isinstance(items[0], Mapping) and items[0].get(
            "role") == "system":
        return items[0]
    return None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


def _request(backend: Any, messages: list[Any]) -> tuple[Any, Mapping[str, Any] | None] | None:
    """The CompressionRequest for this agent's context, and MassGen's system message."""
    from massgen_plugins.values import CompressionRequest

    config = getattr(backend, "config", None) or {}
    model = config.get("model")
    if not isinstance(model, str) or not all(isinstance(m, Mapping) for m in messages):
        return None
    provider, api = _api_of(backend)
    last = _LAST_REQUEST.get(backend, {}) if api == "responses" else {}
    system = _system_of(messages) or last.get("system")
    rest = messages[1:] if _system_of(messages) else messages
    formatter = getattr(backend, "formatter", None)
    if api == "responses" and formatter is not None:
        # Exactly what MassGen would send, so the compaction sees the agent's real context.
        items = formatter.format_messages([dict(m) for m in rest])
    else:
        items = [dict(m) for m in rest]
    base_url = config.get("base_url")
    if api == "responses" and not base_url:
        base_url = os.environ.get("OPENAI_BASE_URL")  # the SDK's own fallback
    ratio = float(getattr(backend, "_compression_target_ratio", 0.2) or 0.2)
    target = int(ratio * _window(backend, provider, model))
    request = CompressionRequest(
        items=items, provider=provider, model=model, reason="reactive", target_tokens=target,
        instructions=_text(system.get("content")) if system else None, base_url=base_url,
        api=api, previous_response_id=last.get("previous_response_id"),
        api_key=getattr(backend, "api_key", None) or None)
    return request, system


def _window(backend: Any, provider: str, model: str) -> int:
    """The model's context window as MassGen sees it, else as our catalog does."""
    utils = sys.modules.get("massgen.backend._compression_utils")
    try:
        if utils is None:
            import massgen.backend._compression_utils as utils  # type: ignore[no-redef]
        window, _source = utils._get_context_window_for_backend(backend)
        if isinstance(window, int) and window > 0:
            return window
    except Exception:
        pass  # a MassGen without it: our catalog knows the common models
    from massgen_plugins.providers.catalog import lookup
    from massgen_plugins.providers.specs import ModelSpec

    return lookup(ModelSpec(provider, model)).context_window or 128_000


def _to_massgen(system: Mapping[str, Any] | None, items: Any) -> list[dict[str, Any]]:
    """A compressed context in MassGen's message format, its system message first.

    MassGen's ResponseFormatter drops a `type: message` item that has no `id` and only
    `input_text` parts, so messages come back as plain `{"role", "content"}`; everything else
    (the compaction item above all) goes back verbatim.
    """
    from massgen_plugins.values import thaw

    out: list[dict[str, Any]] = [dict(system)] if system else []
    for item in thaw(items):
        if item.get("type") == "message" and item.get("role") in ("user", "system", "developer"):
            parts = item.get("content")
            plain = isinstance(parts, list) and all(
                isinstance(p, Mapping) and p.get("type") in ("input_text", "text") for p in parts)
            out.append({"role": item["role"], "content": _text(parts) if plain else parts})
        else:
            out.append(item)
    return out


def _agent(backend: Any) -> str:
    config = getattr(backend, "config", None) or {}
    return str(getattr(backend, "agent_id", None) or config.get("agent_id") or "an agent")


def _record(backend: Any, method: str, before: list[Any], after: list[Any] | None,
            started: float, result: Any = None, request: Any = None, note: str = "") -> None:
    """One line in the run's output and massgen.log, and one JSON record in the run's folder."""
    try:
        _write_record(backend, method, before, after, started, result, request, note)
    except Exception as exc:  # accounting must never cost MassGen its recovery
        runtime.warn(f"bridge: cannot record a compression ({type(exc).__name__}: {exc})")


def _write_record(backend: Any, method: str, before: list[Any], after: list[Any] | None,
                  started: float, result: Any, request: Any, note: str) -> None:
    from massgen_plugins.compression import estimate

    latency = time.monotonic() - started
    cost = None
    tokens_before = estimate(before)
    chained = False
    if result is not None and request is not None:
        from massgen_plugins.providers.catalog import actual_cost, lookup
        from massgen_plugins.providers.specs import ModelSpec

        value = actual_cost(lookup(ModelSpec(request.provider, request.model)),
                            result.input_tokens, result.output_tokens)
        cost = None if value is None else float(value)
        if request.previous_response_id and result.input_tokens:
            # MassGen passed only the new items; the context was the server-side history too,
            # which the compaction call was billed for.
            tokens_before, chained = result.input_tokens, True
    entry = {
        "time": time.time(), "agent": _agent(backend), "backend": type(backend).__name__,
        "model": (getattr(backend, "config", None) or {}).get("model"), "method": method,
        "reason": "reactive", "ok": after is not None,
        "items_before": len(before), "items_after": None if after is None else len(after),
        "server_side_history": chained, "tokens_before": tokens_before,
        "tokens_after": None if after is None else estimate(after),
        "input_tokens": None if result is None else result.input_tokens,
        "output_tokens": None if result is None else result.output_tokens,
        "cost_usd": cost, "latency_s": round(latency, 3), "note": note,
    }
    runtime.say(f"{runtime.PREFIX}: {line(entry)}", console=True)
    folder = runtime.run_dir()
    if folder is None:
        return
    try:
        (folder / "massgen_plugins").mkdir(exist_ok=True)
        with (folder / "massgen_plugins" / RECORDS).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
    except OSError as exc:
        runtime.warn(f"cannot record the compression in {folder} ({exc.strerror}); "
                     "logs summary will not show it")


def line(entry: Mapping[str, Any]) -> str:
    """A compression record as one line for a person."""
    if not entry.get("ok"):
        return (f"context compression for {entry['agent']} failed ({entry.get('note') or '?'}); "
                "MassGen's error handling takes over")
    if entry["method"] == SUMMARIZATION:
        how, cost = "MassGen's summarization", "cost not reported by MassGen"
    else:
        cost = ("cost unknown" if entry.get("cost_usd") is None else f"${entry['cost_usd']:.4f}")
        how = entry["method"]
        cost = f"call {entry['input_tokens']:,} in / {entry['output_tokens']:,} out, {cost}"
    before, after = _items(entry["items_before"]), _items(entry["items_after"])
    if entry.get("server_side_history"):
        before = f"the server-side history + {before}"
    return (f"compressed {entry['agent']}'s context with {how}: {before} "
            f"(~{entry['tokens_before']:,} tokens) -> {after} "
            f"(~{entry['tokens_after']:,} tokens); {cost}; {entry['latency_s']:.2f} s"
            + (f" ({entry['note']})" if entry.get("note") else ""))


def _items(n: int) -> str:
    return f"{n} item{'s' * (n != 1)}"
