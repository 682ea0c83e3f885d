"""Seam `compression`: MassGen's reactive context recovery asks `compress_context` first.

On a context-length error every MassGen API backend awaits
`self._compress_messages_for_context_recovery(messages, buffer_content=...)` and retries once.
Wrapped, that method builds a CompressionRequest from the agent's context (MassGen's system
message as instructions; for the Responses backend the items as MassGen's own
`ResponseFormatter` sends them, and the server-side history the failed request continued),
asks the plugins on a daemon thread (a compaction call must not stall the other agents'
streams, nor an abandoned one MassGen's exit), and gives MassGen back a message list in its own
format. No answer, a failure, a deadline passed, or an answer the host refuses (see
`massgen_plugins.compression.refusal`) calls MassGen's original method: its summarization
stays the fallback for every backend and every failure. On the Responses backend the retry
that follows is watched too: if it is still too long, MassGen's summarization runs then, in the
same attempt (see `_retry`).

Each compression, ours or MassGen's, is one line in the run's output and massgen.log, and a
record in `<attempt dir>/massgen_plugins/compressions.jsonl` for `massgen-plugins logs summary`,
written once the retry says whether it worked (`ok`).
"""

from __future__ import annotations

import atexit
import inspect
import json
import os
import sys
import time
import weakref
from collections.abc import Mapping
from typing import Any

import attrs

from massgen_plugins.bridge import runtime
from massgen_plugins.bridge.seams import Seam, resolve, wrap
from massgen_plugins.deadline import acall_with_deadline

RECORDS = "compressions.jsonl"
SUMMARIZATION = "massgen-summarization"
# Per backend (one per agent), what its last Responses request continued
# (previous_response_id) and its system message: MassGen chains requests server-side after
# local tool calls and then hands recovery only the new items. Not a context variable: MassGen
# runs the chained request in a task that does not see values set in the first one.
_LAST_REQUEST: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def instrument(seam: Seam) -> None:
    """Wrap recovery on ResponseBackend and CustomToolAndMCPBackend, and watch Responses calls."""
    global _WATCHED
    recover, create, recover_others = (resolve(t) for t in seam.targets)  # all checked first
    wrap(*create, _on_request)
    wrap(*recover, _recover)
    wrap(*recover_others, _recover)
    _WATCHED = inspect.getattr_static(*create)
    atexit.register(_unsent)


@attrs.define
class Compressed:
    """One compression, recorded once the request MassGen retries with it says whether it fit."""

    method: str
    before: list[Any]
    after: list[Any]
    latency: float
    result: Any = None
    request: Any = None
    note: str = ""
    # For a plugin's answer: MassGen's own summarization and its arguments, to run when the
    # retry is refused again.
    fallback: tuple[Any, tuple[Any, ...], dict[str, Any]] | None = None


# Per backend (by id, held until the retry): the compression its next Responses request
# carries; and the plugin method whose result did not fit its window (later overflows go
# straight to MassGen's summarization).
_PENDING: dict[int, tuple[Any, Compressed]] = {}
_NO_FIT: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_WATCHED: Any = None  # ResponseBackend._create_response_stream as wrapped


def _on_request(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
    params = args[0] if args else kwargs.get("api_params")
    if isinstance(params, Mapping) and instance is not None:
        last = _LAST_REQUEST.setdefault(instance, {})
        last["previous_response_id"] = params.get("previous_response_id")
        system = _system_of(params.get("input"))
        if system is not None:  # a chained request sends only new items, not the system
            last["system"] = system
    held = _PENDING.pop(id(instance), None) if instance is not None else None
    if held is None or not isinstance(params, Mapping):
        if held is not None:
            _record(instance, held[1])
        return wrapped(*args, **kwargs)
    return _retry(wrapped, instance, args, kwargs, held[1])


async def _retry(wrapped: Any, backend: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                 done: Compressed) -> Any:
    """MassGen's retry after a compression; if ours is refused as too long, its summarization.

    MassGen retries once and then gives the agent's attempt up: a plugin's result that does not
    fit the window would lose an agent that MassGen's own summarization saves. So that retry
    is refused here, MassGen's original summarization runs on the messages it had handed over,
    and the request goes again with only its input rebuilt, as MassGen would have built it.
    """
    try:
        stream = await wrapped(*args, **kwargs)
    except Exception as exc:
        if not _too_long(exc) or done.fallback is None:
            _record(backend, done, *_verdict(exc, "MassGen's error handling takes over"))
            raise
        _NO_FIT[backend] = done.method
        _record(backend, done, *_verdict(exc, "MassGen summarizes instead"))
        summarize, rargs, rkwargs = done.fallback
        started = time.monotonic()
        try:
            out = await summarize(*rargs, **rkwargs)
            params = dict(args[0] if args else kwargs["api_params"])
            params["input"] = _formatter(backend).format_messages(out)
        except Exception as inner:
            runtime.warn(f"bridge: MassGen's summarization after {done.method} failed for "
                         f"{_agent(backend)} ({type(inner).__name__}: {inner})")
            raise exc from None
        again = Compressed(SUMMARIZATION, done.before, out, time.monotonic() - started,
                           note=f"after {done.method} did not fit")
        rest = {k: v for k, v in kwargs.items() if k != "api_params"}
        try:
            stream = await wrapped(params, *args[1:], **rest)
        except Exception as last:
            _record(backend, again, *_verdict(last, "MassGen's error handling takes over"))
            raise
        _record(backend, again)
        return stream
    _record(backend, done)
    return stream


def _verdict(exc: BaseException, then: str) -> tuple[bool, str]:
    """Whether a compression worked, given the error its retry met, and the note saying so."""
    if _too_long(exc):
        return False, f"the retry was still too long ({_short(exc)}); {then}"
    return True, f"the retry failed: {_short(exc)}"  # not the compression's doing


def _too_long(exc: BaseException) -> bool:
    """MassGen's own test for a context-length error."""
    try:
        from massgen.backend._context_errors import is_context_length_error

        return bool(is_context_length_error(exc))
    except Exception:
        return False


def _short(exc: BaseException) -> str:
    """The API's own message for an SDK error (not its whole JSON body), on one short line."""
    body = getattr(exc, "body", None)
    inner = body.get("error", body) if isinstance(body, Mapping) else None
    message = inner.get("message") if isinstance(inner, Mapping) else None
    text = " ".join(str(message if isinstance(message, str) and message else exc).split())
    return text if len(text) <= 160 else text[:157] + "..."


def _formatter(backend: Any) -> Any:
    handler = getattr(backend, "api_params_handler", None)
    return getattr(handler, "formatter", None) or backend.formatter


def _recover(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return _recover_async(wrapped, instance, args, kwargs)


async def _recover_async(wrapped: Any, backend: Any, args: tuple[Any, ...],
                         kwargs: dict[str, Any]) -> Any:
    from massgen_plugins.compression import refusal

    messages = list(args[0] if args else kwargs.get("messages") or [])
    started = time.monotonic()
    stale = _PENDING.pop(id(backend), None)
    if stale is not None:  # a compression whose retry never went out
        _record(backend, stale[1], note="its retry was never sent")
    note, built = "", None
    if backend in _NO_FIT:
        note = f"{_NO_FIT[backend]} did not fit this agent's window before"
    else:
        try:
            built = _request(backend, messages)
        except Exception as exc:  # a context we cannot read must not break MassGen's recovery
            runtime.warn(f"bridge: cannot hand {_agent(backend)}'s context to the plugins "
                         f"({type(exc).__name__}: {exc}); MassGen summarizes it")
    if built is not None:
        request, system = built
        # A daemon thread, not asyncio.to_thread: the default executor's threads are joined
        # at exit, so a plugin call left running would keep MassGen from ending.
        asked = await acall_with_deadline(lambda: _ask(request), None,
                                          "massgen-plugins: compress_context",
                                          plugin=runtime.PREFIX)
        if not asked.ok:
            runtime.warn(f"bridge: asking the plugins to compress {_agent(backend)}'s context "
                         f"{asked.problem(None)}; MassGen summarizes it")
        result = asked.value
        if result is not None:
            why = refusal(request, result)
            if why is None:
                out = _to_massgen(system, result.items)
                _hold(backend, Compressed(result.method, messages, out,
                                          time.monotonic() - started, result, request,
                                          fallback=(wrapped, args, kwargs)))
                return out
            note = f"{result.method} refused: {why}"
            runtime.warn(f"compress_context ({result.method}) was refused for "
                         f"{_agent(backend)}: {why}; MassGen summarizes instead")
    out = await wrapped(*args, **kwargs)
    _hold(backend, Compressed(SUMMARIZATION, messages, out, time.monotonic() - started,
                              note=note))
    return out


def _unsent() -> None:
    """At exit, the compressions whose retry never went out (a cancelled agent): recorded."""
    while _PENDING:
        backend, done = _PENDING.popitem()[1]
        _record(backend, done, note="its retry was never sent")


def _hold(backend: Any, done: Compressed) -> None:
    """Keep a compression until its retry is answered; record it now where none is watched."""
    if _WATCHED is not None and inspect.getattr_static(
            type(backend), "_create_response_stream", None) is _WATCHED:
        _PENDING[id(backend)] = (backend, done)
    else:
        _record(backend, done)


def _ask(request: Any) -> Any:
    """The first plugin's answer to compress_context (the host is made on first use, here)."""
    from massgen_plugins.values import CompressionResult

    host = runtime.host()
    if host is None:
        return None
    return host.call_first("compress_context", expect=CompressionResult, user_errors=False,
                           fallback="MassGen summarizes instead", request=request)


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


def _record(backend: Any, done: Compressed, ok: bool = True, note: str = "") -> None:
    """One line in the run's output and massgen.log, and one JSON record in the run's folder."""
    try:
        if note and done.note:
            note = f"{note} ({done.note})"
        _write_record(backend, done, ok, note or done.note)
    except Exception as exc:  # accounting must never cost MassGen its recovery
        runtime.warn(f"bridge: cannot record a compression ({type(exc).__name__}: {exc})")


def _write_record(backend: Any, done: Compressed, ok: bool, note: str) -> None:
    from massgen_plugins.compression import estimate

    result, request, before, after = done.result, done.request, done.before, done.after
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
        "model": (getattr(backend, "config", None) or {}).get("model"), "method": done.method,
        "reason": "reactive", "ok": ok, "items_before": len(before), "items_after": len(after),
        "server_side_history": chained, "tokens_before": tokens_before,
        "tokens_after": estimate(after),
        "input_tokens": None if result is None else result.input_tokens,
        "output_tokens": None if result is None else result.output_tokens,
        "cost_usd": cost, "latency_s": round(done.latency, 3), "note": note,
    }
    runtime.say(f"{runtime.PREFIX}: {line(entry)}", level="INFO" if ok else "WARNING",
                console=True)
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
    if entry["method"] == SUMMARIZATION:
        how, cost = "MassGen's summarization", "cost not reported by MassGen"
    else:
        cost = ("cost unknown" if entry.get("cost_usd") is None else f"${entry['cost_usd']:.4f}")
        how = entry["method"]
        cost = f"call {entry['input_tokens']:,} in / {entry['output_tokens']:,} out, {cost}"
    before, after = _items(entry["items_before"]), _items(entry["items_after"])
    if entry.get("server_side_history"):
        before = f"the server-side history + {before}"
    text = (f"compressed {entry['agent']}'s context with {how}: {before} "
            f"(~{entry['tokens_before']:,} tokens) -> {after} "
            f"(~{entry['tokens_after']:,} tokens); {cost}; {entry['latency_s']:.2f} s")
    if not entry.get("ok"):
        return f"{text}; but {entry.get('note') or 'it did not work'}"
    return text + (f" ({entry['note']})" if entry.get("note") else "")


def _items(n: int) -> str:
    return f"{n} item{'s' * (n != 1)}"
