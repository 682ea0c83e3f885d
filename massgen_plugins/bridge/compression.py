"""Seam `compression`: agents' contexts compacted before a request overflows, and MassGen's
reactive context recovery asks `compress_context` first.

Proactive (Responses backends): before each request MassGen sends, its size as the API will
count it (`massgen_plugins.compression.request_tokens`: the previous response's reported usage
for a server-side history, plus an estimate of what is new) is checked against
`compression.trigger_ratio` of the model's window. Past it, the plugins are asked with
`reason="proactive"`, with the same deadline and checks as below; a compaction replaces the
request's `input` and drops its `previous_response_id`, as MassGen's own recovery does. No
answer, a failure or a refusal sends the request as MassGen built it, and `Trigger` keeps an
agent whose context cannot be got under the trigger from being compacted before every request.

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
import contextvars
import importlib
import inspect
import json
import os
import sys
import time
import weakref
from collections.abc import Mapping
from typing import Any

import attrs
import wrapt

from massgen_plugins.bridge import runtime
from massgen_plugins.bridge.seams import Seam, resolve, wrap
from massgen_plugins.compression import Trigger, estimate, ratios, refusal, request_tokens
from massgen_plugins.deadline import acall_with_deadline
from massgen_plugins.values import CompressionRequest, CompressionResult, thaw

RECORDS = "compressions.jsonl"
SUMMARIZATION = "massgen-summarization"
# Responses ids kept per agent with their size: a chained request continues the last one.
_KEEP_SIZES = 8
# Set while MassGen's own summarization runs: its summarizer's requests are never compacted.
_RECOVERING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "massgen_plugins_recovering", default=False)


@attrs.define
class _Agent:
    """What the bridge knows of one backend (one agent) from the Responses requests it sent.

    What its last request continued (`previous_response_id`) and its system message: MassGen
    chains requests server-side after local tool calls and then hands recovery only the new
    items. Each response's size as the API reported it (input + output tokens), for the next
    request that continues it. Its proactive `trigger` (None: off), settled on its first request.
    Kept per backend, not in a context variable: MassGen runs the chained request in a task
    that does not see values set in the first one.
    """

    previous_response_id: str | None = None
    system: Mapping[str, Any] | None = None
    sizes: dict[str, int] = attrs.Factory(dict)
    trigger: Trigger | None = None
    settled: bool = False


_AGENTS: weakref.WeakKeyDictionary[Any, _Agent] = weakref.WeakKeyDictionary()


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
    reason: str = "reactive"
    # Proactive: the request's size as estimated, and the trigger it was past.
    tokens: int | None = None
    trigger: Trigger | None = None
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
    held = _PENDING.pop(id(instance), None) if instance is not None else None
    if not isinstance(params, Mapping) or instance is None:
        if held is not None:
            _record(instance, held[1])
        return wrapped(*args, **kwargs)
    agent = _AGENTS.setdefault(instance, _Agent())
    agent.previous_response_id = params.get("previous_response_id")
    system = _system_of(params.get("input"))
    if system is not None:  # a chained request sends only new items, not the system
        agent.system = system
    if held is not None:
        return _retry(wrapped, instance, args, kwargs, held[1])
    return _send(wrapped, instance, args, kwargs, params, agent)


async def _send(wrapped: Any, backend: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                params: Mapping[str, Any], agent: _Agent) -> Any:
    """The request MassGen built, compacted first when it is past its agent's trigger."""
    planned = None
    if not _RECOVERING.get():
        try:
            planned = await _compact_first(backend, params, agent)
        except Exception as exc:  # never lose MassGen its request over our bookkeeping
            runtime.warn(f"bridge: cannot check {_agent(backend)}'s request against the "
                         f"compaction trigger ({type(exc).__name__}: {exc}); it goes as "
                         "MassGen built it")
    if planned is None:
        return _watch(await wrapped(*args, **kwargs), agent)
    compacted, done = planned
    rest = {k: v for k, v in kwargs.items() if k != "api_params"}
    try:
        stream = await wrapped(compacted, *args[1:], **rest)
    except Exception as exc:
        if _too_long(exc):
            # MassGen's reactive path takes the error; compaction does not fit this agent.
            _NO_FIT[backend] = done.method
            if done.trigger is not None:
                done.trigger.missed()
            _record(backend, done, *_verdict(exc, "MassGen's reactive path takes over"))
            raise
        # Not the size: whatever in the compacted request the API refused, MassGen's own
        # request goes instead, as it would have without us.
        _record(backend, done, False, f"the request failed ({_short(exc)}); it went again as "
                                      "MassGen built it")
        if done.trigger is not None:
            done.trigger.missed()
        return _watch(await wrapped(*args, **kwargs), agent)
    _record(backend, done)
    return _watch(stream, agent, done.trigger)


async def _compact_first(backend: Any, params: Mapping[str, Any],
                         agent: _Agent) -> tuple[dict[str, Any], Compressed] | None:
    """The request compacted, when it is past the agent's trigger and a plugin compacted it."""
    if _api_of(backend)[1] != "responses":
        return None
    if not agent.settled:
        agent.settled = True
        settled = await acall_with_deadline(lambda: _trigger_of(backend), None,
                                            "massgen-plugins: compression settings",
                                            plugin=runtime.PREFIX)
        if not settled.ok:
            runtime.warn(f"bridge: settling when to compact {_agent(backend)}'s context "
                         f"{settled.problem(None)}; only MassGen's reactive path runs for it")
        agent.trigger = settled.value
    trigger = agent.trigger
    if trigger is None:  # nothing would compact it: the request is not sized at all
        return None
    previous = params.get("previous_response_id")
    size = request_tokens(params, agent.sizes.get(previous) if isinstance(previous, str)
                          else None)
    if size is None or not trigger.due(size):
        return None
    started = time.monotonic()
    request = _proactive_request(backend, params, agent, trigger)
    asked = await acall_with_deadline(
        lambda: _ask(request, "the request goes as MassGen built it"), None,
        "massgen-plugins: compress_context", plugin=runtime.PREFIX)
    result = asked.value if asked.ok else None
    why = None if result is None else refusal(request, result)
    if not asked.ok:
        runtime.warn(f"bridge: asking the plugins to compact {_agent(backend)}'s context before "
                     f"its request {asked.problem(None)}; it goes as MassGen built it")
    elif result is not None and why is not None:
        runtime.warn(f"compress_context ({result.method}) was refused for {_agent(backend)} "
                     f"before its request: {why}; it goes as MassGen built it")
    if result is None or why is not None:
        trigger.missed()
        return None
    messages = _to_massgen(agent.system, result.items)
    compacted = {k: v for k, v in params.items() if k != "previous_response_id"}
    compacted["input"] = _formatter(backend).format_messages(messages)
    return compacted, Compressed(result.method, list(params.get("input") or []), messages,
                                 time.monotonic() - started, result, request,
                                 reason="proactive", tokens=size, trigger=trigger)


def _trigger_of(backend: Any) -> Trigger | None:
    """When to compact this agent's context before a request; None: not before (a thread)."""
    from massgen_plugins.config import CORE_SCHEMA

    host = runtime.host()
    if host is None or not host.implementers("compress_context"):
        return None
    section = host.config.get("compression") or {}
    schema = CORE_SCHEMA["compression"]
    if section.get("proactive", schema["proactive"].default) is False:
        return None
    model = str((getattr(backend, "config", None) or {}).get("model"))
    override = host.call_first("compression_settings", expect=Mapping, user_errors=False,
                               fallback="the core's compression settings apply",
                               provider="openai", model=model, base_url=_base_url(backend))
    trigger, target, problem = ratios(section, override, (schema["trigger_ratio"].default,
                                                          schema["target_ratio"].default))
    if problem is not None:
        runtime.warn(f"bridge: {problem}")
    return Trigger(_window(backend, "openai", model), trigger, target)


def _proactive_request(backend: Any, params: Mapping[str, Any], agent: _Agent,
                       trigger: Trigger) -> Any:
    """The CompressionRequest for a request about to go out: its items as MassGen built them."""
    items = list(params.get("input") or [])
    if _system_of(items) is not None:
        items = items[1:]
    tools = params.get("tools")
    instructions = params.get("instructions")
    if not isinstance(instructions, str) or not instructions:
        instructions = _text(agent.system.get("content")) if agent.system else None
    return CompressionRequest(
        items=items, provider="openai", model=str(params.get("model")), reason="proactive",
        # The tool definitions go out with the compacted request too.
        target_tokens=max(1, trigger.target - (estimate(tools) if tools else 0)),
        instructions=instructions, base_url=_base_url(backend), api="responses",
        previous_response_id=params.get("previous_response_id"),
        api_key=getattr(backend, "api_key", None) or None)


def _watch(stream: Any, agent: _Agent, compacted: Trigger | None = None) -> Any:
    """The stream MassGen reads, with each response's reported size noted for the next request."""
    if not hasattr(type(stream), "__aiter__"):
        return stream
    if agent.settled and agent.trigger is None and compacted is None:
        return stream  # sizes are read only to size a request against a trigger: none here
    return _Watched(stream, agent, compacted)


class _Watched(wrapt.ObjectProxy):  # type: ignore[type-arg]  # generic only in wrapt 2
    """A Responses event stream, passed on event by event, unchanged."""

    def __init__(self, stream: Any, agent: _Agent, compacted: Trigger | None) -> None:
        super().__init__(stream)
        self._self_agent = agent
        self._self_compacted = compacted
        self._self_events: Any = None

    def __aiter__(self) -> Any:
        self._self_events = self.__wrapped__.__aiter__()
        return self

    async def __anext__(self) -> Any:
        if self._self_events is None:
            self._self_events = self.__wrapped__.__aiter__()
        event = await self._self_events.__anext__()
        try:
            _seen(self._self_agent, event, self._self_compacted)
        except Exception:
            pass  # a response we cannot read is one we do not size: MassGen reads it as ever
        return event


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)


def _seen(agent: _Agent, event: Any, compacted: Trigger | None) -> None:
    """Note a finished response's size; for a compacted request, whether it got under."""
    if _field(event, "type") not in ("response.completed", "response.incomplete"):
        return
    response = _field(event, "response")
    usage = _field(response, "usage")
    rid, used, said = _field(response, "id"), _field(usage, "input_tokens"), _field(
        usage, "output_tokens")
    if not isinstance(rid, str) or not isinstance(used, int):
        return
    agent.sizes[rid] = used + (said if isinstance(said, int) else 0)
    while len(agent.sizes) > _KEEP_SIZES:
        agent.sizes.pop(next(iter(agent.sizes)))
    if compacted is not None and not compacted.measured(used):
        runtime.warn(f"bridge: a compacted request still counted {used:,} input tokens, past "
                     f"the trigger ({compacted.threshold:,} of a {compacted.window:,}-token "
                     "window); that agent's next overflow goes to MassGen's reactive path")


async def _retry(wrapped: Any, backend: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                 done: Compressed) -> Any:
    """MassGen's retry after a compression; if ours is refused as too long, its summarization.

    MassGen retries once and then gives the agent's attempt up: a plugin's result that does not
    fit the window would lose an agent that MassGen's own summarization saves. So that retry
    is refused here, MassGen's original summarization runs on the messages it had handed over,
    and the request goes again with only its input rebuilt, as MassGen would have built it.
    """
    agent = _AGENTS.setdefault(backend, _Agent())
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
        recovering = _RECOVERING.set(True)
        try:
            out = await summarize(*rargs, **rkwargs)
            params = dict(args[0] if args else kwargs["api_params"])
            params["input"] = _formatter(backend).format_messages(out)
        except Exception as inner:
            runtime.warn(f"bridge: MassGen's summarization after {done.method} failed for "
                         f"{_agent(backend)} ({type(inner).__name__}: {inner})")
            raise exc from None
        finally:
            _RECOVERING.reset(recovering)
        again = Compressed(SUMMARIZATION, done.before, out, time.monotonic() - started,
                           note=f"after {done.method} did not fit")
        rest = {k: v for k, v in kwargs.items() if k != "api_params"}
        try:
            stream = await wrapped(params, *args[1:], **rest)
        except Exception as last:
            _record(backend, again, *_verdict(last, "MassGen's error handling takes over"))
            raise
        _record(backend, again)
        return _watch(stream, agent)
    _record(backend, done)
    return _watch(stream, agent)


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
        asked = await acall_with_deadline(lambda: _ask(request, "MassGen summarizes instead"),
                                          None, "massgen-plugins: compress_context",
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
    recovering = _RECOVERING.set(True)
    try:
        out = await wrapped(*args, **kwargs)
    finally:
        _RECOVERING.reset(recovering)
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


def _ask(request: Any, fallback: str) -> Any:
    """The first plugin's answer to compress_context (the host is made on first use, here)."""
    host = runtime.host()
    if host is None:
        return None
    return host.call_first("compress_context", expect=CompressionResult, user_errors=False,
                           fallback=fallback, request=request)


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
    config = getattr(backend, "config", None) or {}
    model = config.get("model")
    if not isinstance(model, str) or not all(isinstance(m, Mapping) for m in messages):
        return None
    provider, api = _api_of(backend)
    last = _AGENTS.get(backend) if api == "responses" else None
    system = _system_of(messages) or (last.system if last is not None else None)
    rest = messages[1:] if _system_of(messages) else messages
    formatter = getattr(backend, "formatter", None)
    if api == "responses" and formatter is not None:
        # Exactly what MassGen would send, so the compaction sees the agent's real context.
        items = formatter.format_messages([dict(m) for m in rest])
    else:
        items = [dict(m) for m in rest]
    base_url = _base_url(backend) if api == "responses" else config.get("base_url")
    ratio = float(getattr(backend, "_compression_target_ratio", 0.2) or 0.2)
    target = int(ratio * _window(backend, provider, model))
    request = CompressionRequest(
        items=items, provider=provider, model=model, reason="reactive", target_tokens=target,
        instructions=_text(system.get("content")) if system else None, base_url=base_url,
        api=api, previous_response_id=last.previous_response_id if last is not None else None,
        api_key=getattr(backend, "api_key", None) or None)
    return request, system


def _base_url(backend: Any) -> str | None:
    """Where a Responses backend sends its requests (None: OpenAI's own endpoint)."""
    config = getattr(backend, "config", None) or {}
    # OPENAI_BASE_URL is the SDK's own fallback.
    return config.get("base_url") or os.environ.get("OPENAI_BASE_URL") or None


def _window(backend: Any, provider: str, model: str) -> int:
    """The model's context window: the config's `model_catalog`, else MassGen's, else ours."""
    from massgen_plugins.config import MODEL_CATALOG
    from massgen_plugins.providers.specs import ModelSpec

    host = runtime.current_host()
    overrides = host.config.get(MODEL_CATALOG) if host is not None else None
    given = (overrides or {}).get(str(ModelSpec(provider, model))) if isinstance(
        overrides, Mapping) else None
    window = given.get("context_window") if isinstance(given, Mapping) else None
    if isinstance(window, int) and not isinstance(window, bool) and window > 0:
        return window
    utils: Any = sys.modules.get("massgen.backend._compression_utils")
    try:
        if utils is None:
            utils = importlib.import_module("massgen.backend._compression_utils")
        window, _source = utils._get_context_window_for_backend(backend)
        if isinstance(window, int) and window > 0:
            return window
    except Exception:
        pass  # a MassGen without it: our catalog knows the common models
    from massgen_plugins.providers.catalog import lookup

    return lookup(ModelSpec(provider, model)).context_window or 128_000


def _to_massgen(system: Mapping[str, Any] | None, items: Any) -> list[dict[str, Any]]:
    """A compressed context in MassGen's message format, its system message first.

    MassGen's ResponseFormatter drops a `type: message` item that has no `id` and only
    `input_text` parts, so messages come back as plain `{"role", "content"}`; everything else
    (the compaction item above all) goes back verbatim.
    """
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
    result, request, before, after = done.result, done.request, done.before, done.after
    cost = None
    tokens_before = done.tokens if done.tokens is not None else estimate(before)
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
        "reason": done.reason, "ok": ok, "items_before": len(before), "items_after": len(after),
        "server_side_history": chained, "tokens_before": tokens_before,
        "tokens_after": estimate(after),
        "input_tokens": None if result is None else result.input_tokens,
        "output_tokens": None if result is None else result.output_tokens,
        "cost_usd": cost, "latency_s": round(done.latency, 3), "note": note,
    }
    if done.trigger is not None:
        entry.update(trigger_tokens=done.trigger.threshold, window=done.trigger.window)
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
    if entry.get("reason") == "proactive":
        how += (f" before its request, past the trigger ({entry.get('trigger_tokens') or 0:,} "
                f"of a {entry.get('window') or 0:,}-token window)")
    text = (f"compressed {entry['agent']}'s context with {how}: {before} "
            f"(~{entry['tokens_before']:,} tokens) -> {after} "
            f"(~{entry['tokens_after']:,} tokens); {cost}; {entry['latency_s']:.2f} s")
    if not entry.get("ok"):
        return f"{text}; but {entry.get('note') or 'it did not work'}"
    return text + (f" ({entry['note']})" if entry.get("note") else "")


def _items(n: int) -> str:
    return f"{n} item{'s' * (n != 1)}"
