"""OpenAI's two generation APIs on the emulator: Responses and Chat Completions.

- POST /v1/responses: JSON or SSE, with text and function calls. Every response is kept (unless
  the request says `store: false`), so a later `previous_response_id` resolves the whole chain:
  the earlier inputs and outputs, then the new input.
- POST /v1/responses/compact and /v1/responses/input_tokens: the same resolution.
- POST /v1/chat/completions: JSON or SSE (with a final usage chunk when
  `stream_options.include_usage` asks for it), with text and `tool_calls`.
- GET /v1/models.

Every check runs on the resolved conversation, as the real service's do: the token count against
the model's window, and each tool output against its call. Streams follow the real service's
event order, one output item at a time, which is what MassGen's parsers rely on.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from massgen_plugins.testing.api_errors import (
    ApiError,
    Fault,
    apply_fault,
    context_error,
    openai_error,
)
from massgen_plugins.testing.replies import Prompt, Reply, estimate_tokens, reply_tokens, split, text_of

if TYPE_CHECKING:
    from massgen_plugins.testing.emulator import Emulator

ROLES = ("user", "assistant", "system", "developer")
CHAT_ROLES = ("system", "assistant", "user", "function", "tool", "developer")
# Parameters /responses/compact does not take (it answers 400 unknown_parameter to each).
NOT_FOR_COMPACT = ("store", "include", "tools", "reasoning")


def route(emu: Emulator, h: Any, method: str, path: str, query: dict[str, Any],
          body: dict[str, Any]) -> None:
    """Serve one OpenAI request."""
    if method == "GET":
        h._send_json(200, {"object": "list", "data": [
            {"object": "model", "created": 0, "owned_by": "openai", **m}
            for m in emu.models["openai"]]})
    elif path.startswith("/v1/chat/completions"):
        _chat(emu, h, body)
    else:
        _responses(emu, h, path, body)


def _model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise openai_error(400, "Missing required parameter: 'model'.", "invalid_request_error",
                           "missing_required_parameter")
    return model


def _functions(tools: Any) -> dict[str, Any]:
    """Each offered function's parameters by name."""
    found = {}
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, dict) or tool.get("type") != "function":
            continue
        spec = tool.get("function", tool)  # Chat nests the function; Responses does not
        if isinstance(spec, dict) and isinstance(spec.get("name"), str):
            found[spec["name"]] = spec.get("parameters") or {}
    return found


def _system(instructions: Any, messages: list[dict[str, Any]]) -> str:
    texts = [instructions] if isinstance(instructions, str) and instructions else []
    texts += [text_of(m.get("content")) for m in messages
              if m.get("type", "message") == "message" and m.get("role") in ("system", "developer")]
    return "\n\n".join(texts)


# -- Responses ------------------------------------------------------------------------------

def _responses(emu: Emulator, h: Any, path: str, body: dict[str, Any]) -> None:
    model = _model(body)
    compact = path.endswith("/compact")
    if compact:
        for key in NOT_FOR_COMPACT:
            if key in body:
                raise openai_error(400, f"Unknown parameter: '{key}'.", "invalid_request_error",
                                   "unknown_parameter")
    previous = body.get("previous_response_id")
    items = [*_chain(emu, previous), *_items(body.get("input"), required=previous is None)]
    _check_items(emu, items)
    used = estimate_tokens([body.get("instructions"), items])
    window = emu.window(model)
    if path.endswith("/input_tokens"):
        h._send_json(200, {"object": "response.input_tokens", "input_tokens": used})
        return
    fault = apply_fault(emu, "openai", h, used, window)
    # Compaction exists to run at the limit: /compact takes up to twice the window.
    limit = 2 * window if compact else window
    if used > limit:
        raise context_error("openai", used, limit)
    if compact:
        _compact(emu, h, items, used)
        return
    prompt = Prompt("responses", model, items, _system(body.get("instructions"), items),
                    _functions(body.get("tools")))
    reply = emu.answer("openai", prompt)
    response = _response(emu, model, reply, used, body)
    if fault is None and body.get("store", True) is not False:
        emu.remember(response["id"], items, response["output"])
    if not body.get("stream"):
        h._send_json(200, response)
        return
    if fault is not None:
        emu.refuse(h.recorded)  # a context-length error mid-stream
    _stream_response(h, response, reply, fault, used, window)


def _chain(emu: Emulator, previous: Any) -> list[dict[str, Any]]:
    """The conversation up to and including the previous response; none without one."""
    if previous is None:
        return []
    history = emu.history(str(previous))
    if history is None:
        raise openai_error(400, f"Previous response with id '{previous}' not found.",
                           "invalid_request_error", "previous_response_not_found",
                           param="previous_response_id")
    return history


def _items(value: Any, required: bool) -> list[dict[str, Any]]:
    if value is None and not required:
        return []
    if value is None:
        raise openai_error(400, "Missing required parameter: 'input'.", "invalid_request_error",
                           "missing_required_parameter")
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        raise openai_error(400, "Invalid type for 'input': expected a string or an array of "
                                "input items.", "invalid_request_error", "invalid_type")
    return value


def _check_items(emu: Emulator, items: list[dict[str, Any]]) -> None:
    calls = {i.get("call_id") for i in items if i.get("type") == "function_call"}
    for item in items:
        kind = item.get("type", "message")
        if kind == "compaction":
            if not emu.issued(str(item.get("encrypted_content"))):
                raise openai_error(400, "The encrypted content could not be verified.",
                                   "invalid_request_error", "invalid_encrypted_content")
        elif kind == "function_call_output" and item.get("call_id") not in calls:
            raise openai_error(400, f"No tool call found for function call output with call_id "
                                    f"{item.get('call_id')}.", "invalid_request_error")
        elif kind == "message" and item.get("role") not in ROLES:
            raise openai_error(400, f"Invalid value: '{item.get('role')}'. Supported values are: "
                                    "'system', 'assistant', 'user', and 'developer'.",
                               "invalid_request_error", "invalid_value")
    ids = {i.get("call_id") for i in items if i.get("type") == "function_call_output"}
    for item in items:
        if item.get("type") == "function_call" and item.get("call_id") not in ids:
            raise openai_error(400, f"No tool output found for function call "
                                    f"{item.get('call_id')}.", "invalid_request_error")


def _compact(emu: Emulator, h: Any, items: list[dict[str, Any]], used: int) -> None:
    def user(i: dict[str, Any]) -> bool:
        return i.get("type", "message") == "message" and i.get("role") == "user"

    # The service hands user messages back as typed items with content parts.
    kept = [{"type": "message", **i,
             "content": ([{"type": "input_text", "text": i["content"]}]
                         if isinstance(i.get("content"), str) else i.get("content"))}
            for i in items if user(i)]
    # The payload stands for everything but the user messages, which come back as they are.
    replaced = [i for i in emu.expand(items) if not user(i)]
    output = [*kept, {"type": "compaction", "id": emu.new_id("cmp"),
                      "encrypted_content": emu.issue_compaction(replaced)}]
    out_tokens = estimate_tokens(output[-1])
    with emu._lock:
        emu.compactions.append(output)
    h._send_json(200, {"id": emu.new_id("resp"), "object": "response.compaction",
                       "created_at": int(time.time()), "output": output,
                       "usage": _usage(used, out_tokens, 0, 0)})


def _usage(inp: int, out: int, reasoning: int, cached: int) -> dict[str, Any]:
    return {"input_tokens": inp, "input_tokens_details": {"cached_tokens": cached},
            "output_tokens": out, "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": inp + out}


def _output(emu: Emulator, reply: Reply) -> list[dict[str, Any]]:
    """The reply's output items: its message (unless it only calls tools), then each call."""
    output: list[dict[str, Any]] = []
    if reply.text or not reply.calls:
        output.append({"type": "message", "id": emu.new_id("msg"), "status": "completed",
                       "role": "assistant",
                       "content": [{"type": "output_text", "text": reply.text, "annotations": []}]})
    output += [{"type": "function_call", "id": emu.new_id("fc"), "call_id": emu.new_id("call"),
                "name": call.name, "arguments": json.dumps(call.arguments), "status": "completed"}
               for call in reply.calls]
    return output


def _response(emu: Emulator, model: str, reply: Reply, used: int,
              body: dict[str, Any]) -> dict[str, Any]:
    inp, out = reply_tokens(reply, used)
    return {
        "id": emu.new_id("resp"), "object": "response", "created_at": int(time.time()),
        "status": "completed", "model": model, "error": None, "incomplete_details": None,
        "instructions": body.get("instructions"), "metadata": {}, "parallel_tool_calls": True,
        "previous_response_id": body.get("previous_response_id"),
        "temperature": 1.0, "top_p": 1.0, "tool_choice": "auto", "tools": [],
        "output": _output(emu, reply),
        "usage": _usage(inp, out, reply.reasoning_tokens, reply.cached_tokens),
    }


def _stream_response(h: Any, response: dict[str, Any], reply: Reply, fault: Fault | None,
                     used: int, window: int) -> None:
    seq = itertools.count()

    def send(event: dict[str, Any]) -> None:
        h.sse({**event, "sequence_number": next(seq)}, event["type"])

    h.start_sse()
    pending = {**response, "status": "in_progress", "output": [], "usage": None}
    send({"type": "response.created", "response": pending})
    send({"type": "response.in_progress", "response": pending})
    if fault is not None:
        # What the real service does for a context overflow found mid-request: HTTP 200, then
        # an error event and response.failed.
        err = context_error("openai", max(used, window + 1), window).body["error"]
        send({"type": "error", "code": err["code"], "message": err["message"], "param": None,
              "error": err})
        send({"type": "response.failed", "response": {**pending, "status": "failed",
                                                      "error": {"code": err["code"],
                                                                "message": err["message"]}}})
        return
    # One item at a time, never interleaved: MassGen follows a single open function call.
    for index, item in enumerate(response["output"]):
        if item["type"] == "message":
            _stream_message(send, index, item, reply.chunks)
        else:
            _stream_call(send, index, item, reply.chunks)
    send({"type": "response.completed", "response": response})


def _stream_message(send: Callable[[dict[str, Any]], None], index: int, item: dict[str, Any],
                    chunks: int) -> None:
    part = item["content"][0]
    at = {"item_id": item["id"], "output_index": index, "content_index": 0}
    send({"type": "response.output_item.added", "output_index": index,
          "item": {**item, "status": "in_progress", "content": []}})
    send({"type": "response.content_part.added", **at, "part": {**part, "text": ""}})
    for piece in split(part["text"], chunks):
        send({"type": "response.output_text.delta", **at, "delta": piece, "logprobs": []})
    send({"type": "response.output_text.done", **at, "text": part["text"], "logprobs": []})
    send({"type": "response.content_part.done", **at, "part": part})
    send({"type": "response.output_item.done", "output_index": index, "item": item})


def _stream_call(send: Callable[[dict[str, Any]], None], index: int, item: dict[str, Any],
                 chunks: int) -> None:
    # MassGen reads a call's arguments only from the deltas, never from the added or done items.
    at = {"item_id": item["id"], "output_index": index}
    send({"type": "response.output_item.added", "output_index": index,
          "item": {**item, "status": "in_progress", "arguments": ""}})
    for piece in split(item["arguments"], chunks):
        send({"type": "response.function_call_arguments.delta", **at, "delta": piece})
    send({"type": "response.function_call_arguments.done", **at, "name": item["name"],
          "arguments": item["arguments"]})
    send({"type": "response.output_item.done", "output_index": index, "item": item})


# -- Chat Completions -----------------------------------------------------------------------

def _chat(emu: Emulator, h: Any, body: dict[str, Any]) -> None:
    model = _model(body)
    messages = body.get("messages")
    if messages is None:
        raise openai_error(400, "Missing required parameter: 'messages'.",
                           "invalid_request_error", "missing_required_parameter")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise openai_error(400, "Invalid type for 'messages': expected an array of objects.",
                           "invalid_request_error", "invalid_type", param="messages")
    if not messages:
        raise openai_error(400, "[] is too short - 'messages'", "invalid_request_error",
                           param="messages")
    _check_messages(messages)
    used = estimate_tokens(messages)
    window = emu.window(model)
    fault = apply_fault(emu, "openai", h, used, window, "chat_completions")
    if used > window:
        raise context_error("openai", used, window, "chat_completions")
    prompt = Prompt("chat_completions", model, messages, _system(None, messages),
                    _functions(body.get("tools")))
    reply = emu.answer("openai", prompt)
    head = {"id": emu.new_id("chatcmpl"), "created": int(time.time()), "model": model,
            "system_fingerprint": None}
    calls = [{"id": emu.new_id("call"), "type": "function",
              "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
             for c in reply.calls]
    # MassGen takes tool-call deltas only from a choice that finishes with "tool_calls".
    finish = "tool_calls" if calls else "stop"
    inp, out = reply_tokens(reply, used)
    usage = {"prompt_tokens": inp, "completion_tokens": out, "total_tokens": inp + out,
             "prompt_tokens_details": {"cached_tokens": reply.cached_tokens},
             "completion_tokens_details": {"reasoning_tokens": reply.reasoning_tokens}}
    if not body.get("stream"):
        message: dict[str, Any] = {"role": "assistant",
                                   "content": reply.text if reply.text or not calls else None,
                                   "refusal": None, "annotations": []}
        if reply.reasoning:
            message["reasoning_content"] = reply.reasoning
        if calls:
            message["tool_calls"] = calls
        h._send_json(200, {**head, "object": "chat.completion", "service_tier": "default",
                           "choices": [{"index": 0, "message": message, "logprobs": None,
                                        "finish_reason": finish}], "usage": usage})
        return
    options = body.get("stream_options")
    with_usage = isinstance(options, dict) and options.get("include_usage") is True
    failure = (context_error("openai", max(used, window + 1), window, "chat_completions")
               if fault else None)
    if failure is not None:
        emu.refuse(h.recorded)
    _stream_chat(h, head, reply, calls, finish, usage if with_usage else None, failure)


def _check_messages(messages: list[dict[str, Any]]) -> None:
    called: set[Any] = set()
    for n, message in enumerate(messages):
        role = message.get("role")
        if role not in CHAT_ROLES:
            raise openai_error(400, f"Invalid value: '{role}'. Supported values are: 'system', "
                                    "'assistant', 'user', 'function', 'tool', and 'developer'.",
                               "invalid_request_error", "invalid_value", param=f"messages[{n}].role")
        if role == "tool" and message.get("tool_call_id") not in called:
            raise openai_error(400, "Invalid parameter: messages with role 'tool' must be a "
                                    "response to a preceeding message with 'tool_calls'.",
                               "invalid_request_error", param=f"messages.[{n}].role")
        if role == "assistant" and message.get("tool_calls"):
            ids = [c.get("id") for c in message["tool_calls"] if isinstance(c, dict)]
            called.update(ids)
            answered = {m.get("tool_call_id")
                        for m in itertools.takewhile(lambda m: m.get("role") == "tool",
                                                     messages[n + 1:])}
            missing = [str(i) for i in ids if i not in answered]
            if missing:
                raise openai_error(400, "An assistant message with 'tool_calls' must be followed "
                                        "by tool messages responding to each 'tool_call_id'. The "
                                        "following tool_call_ids did not have response messages: "
                                        + ", ".join(missing), "invalid_request_error",
                                   param=f"messages.[{n}].role")


def _stream_chat(h: Any, head: dict[str, Any], reply: Reply, calls: list[dict[str, Any]],
                 finish: str, usage: dict[str, Any] | None, failure: ApiError | None) -> None:
    def send(choices: list[dict[str, Any]], last_usage: dict[str, Any] | None = None) -> None:
        chunk = {**head, "object": "chat.completion.chunk", "choices": choices}
        if usage is not None:
            # With include_usage every chunk has a usage key: null until the final chunk.
            chunk["usage"] = last_usage
        h.sse(chunk)

    def delta(value: dict[str, Any], finish_reason: str | None = None) -> None:
        send([{"index": 0, "delta": value, "logprobs": None, "finish_reason": finish_reason}])

    h.start_sse()
    if failure is not None:
        # Chat streams carry a failure as a bare error object, which the SDK raises.
        h.sse(failure.body)
        return
    delta({"role": "assistant", "content": "" if reply.text else None, "refusal": None})
    for piece in split(reply.reasoning, reply.chunks) if reply.reasoning else ():
        delta({"reasoning_content": piece})
    if reply.text:
        for piece in split(reply.text, reply.chunks):
            delta({"content": piece})
    for index, call in enumerate(calls):
        fn = call["function"]
        delta({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                               "function": {"name": fn["name"], "arguments": ""}}]})
        for piece in split(fn["arguments"], reply.chunks):
            delta({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    delta({}, finish)
    if usage is not None:
        send([], usage)
    h.wfile.write(b"data: [DONE]\n\n")
    h.wfile.flush()
