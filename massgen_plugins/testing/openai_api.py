"""OpenAI's Responses API on the emulator.

POST /v1/responses (JSON and SSE), /v1/responses/compact, /v1/responses/input_tokens, and
GET /v1/models.
"""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING, Any

from massgen_plugins.testing.api_errors import Fault, apply_fault, context_error, openai_error
from massgen_plugins.testing.replies import Reply, estimate_tokens, reply_tokens, split

if TYPE_CHECKING:
    from massgen_plugins.testing.emulator import Emulator


def route(emu: Emulator, h: Any, method: str, path: str, query: dict[str, Any],
          body: dict[str, Any]) -> None:
    """Serve one OpenAI request."""
    if method == "GET":
        h._send_json(200, {"object": "list", "data": [
            {"object": "model", "created": 0, "owned_by": "openai", **m}
            for m in emu.models["openai"]]})
        return
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise openai_error(400, "Missing required parameter: 'model'.", "invalid_request_error",
                           "missing_required_parameter")
    items = _items(body.get("input"))
    if path.endswith("/compact"):
        for key in ("store", "include", "tools", "reasoning", "previous_response_id"):
            if key in body:
                raise openai_error(400, f"Unknown parameter: '{key}'.", "invalid_request_error",
                                   "unknown_parameter")
    _check_items(emu, items)
    used = estimate_tokens([body.get("instructions"), items])
    window = emu.window(model)
    if path.endswith("/input_tokens"):
        h._send_json(200, {"object": "response.input_tokens", "input_tokens": used})
        return
    fault = apply_fault(emu, "openai", h, used, window)
    # Compaction exists to run at the limit: /compact takes up to twice the window.
    limit = 2 * window if path.endswith("/compact") else window
    if used > limit:
        raise context_error("openai", used, limit)
    if path.endswith("/compact"):
        # The service hands user messages back as typed items with content parts.
        kept = [{"type": "message", **i,
                 "content": ([{"type": "input_text", "text": i["content"]}]
                             if isinstance(i.get("content"), str) else i.get("content"))}
                for i in items if i.get("type", "message") == "message" and i.get("role") == "user"]
        output = [*kept, {"type": "compaction", "id": emu.new_id("cmp"),
                          "encrypted_content": emu.issue_compaction()}]
        out_tokens = estimate_tokens(output[-1])
        h._send_json(200, {"id": emu.new_id("resp"), "object": "response.compaction",
                           "created_at": int(time.time()), "output": output,
                           "usage": _usage(used, out_tokens, 0, 0)})
        return
    reply = emu._next(emu._replies, "openai") or Reply()
    response = _response(emu, model, reply, used, body)
    if not body.get("stream"):
        h._send_json(200, response)
        return
    _stream_response(h, response, reply, fault, used, window)


def _items(value: Any) -> list[dict[str, Any]]:
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
        elif kind == "message" and item.get("role") not in ("user", "assistant", "system",
                                                             "developer"):
            raise openai_error(400, f"Invalid value: '{item.get('role')}'. Supported values are: "
                                    "'system', 'assistant', 'user', and 'developer'.",
                               "invalid_request_error", "invalid_value")
    ids = {i.get("call_id") for i in items if i.get("type") == "function_call_output"}
    for item in items:
        if item.get("type") == "function_call" and item.get("call_id") not in ids:
            raise openai_error(400, f"No tool output found for function call "
                                    f"{item.get('call_id')}.", "invalid_request_error")


def _usage(inp: int, out: int, reasoning: int, cached: int) -> dict[str, Any]:
    return {"input_tokens": inp, "input_tokens_details": {"cached_tokens": cached},
            "output_tokens": out, "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": inp + out}


def _response(emu: Emulator, model: str, reply: Reply, used: int,
                     body: dict[str, Any]) -> dict[str, Any]:
    inp, out = reply_tokens(reply, used)
    return {
        "id": emu.new_id("resp"), "object": "response", "created_at": int(time.time()),
        "status": "completed", "model": model, "error": None, "incomplete_details": None,
        "instructions": body.get("instructions"), "metadata": {}, "parallel_tool_calls": True,
        "temperature": 1.0, "top_p": 1.0, "tool_choice": "auto", "tools": [],
        "output": [{"type": "message", "id": emu.new_id("msg"), "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": reply.text, "annotations": []}]}],
        "usage": _usage(inp, out, reply.reasoning_tokens, reply.cached_tokens),
    }


def _stream_response(h: Any, response: dict[str, Any], reply: Reply, fault: Fault | None,
                   used: int, window: int) -> None:
    seq = itertools.count()
    h.start_sse()
    pending = {**response, "status": "in_progress", "output": [], "usage": None}
    h.sse({"type": "response.created", "response": pending, "sequence_number": next(seq)},
          "response.created")
    if fault is not None:
        # What the real service does for a context overflow found mid-request: HTTP 200, then
        # an error event and response.failed.
        err = context_error("openai", used or window + 1, window).body["error"]
        h.sse({"type": "error", "code": err["code"], "message": err["message"], "param": None,
               "error": err, "sequence_number": next(seq)}, "error")
        h.sse({"type": "response.failed", "response": {**pending, "status": "failed",
                                                       "error": {"code": err["code"],
                                                                 "message": err["message"]}},
               "sequence_number": next(seq)}, "response.failed")
        return
    item = response["output"][0]
    h.sse({"type": "response.output_item.added", "output_index": 0,
           "item": {**item, "status": "in_progress", "content": []}, "sequence_number": next(seq)},
          "response.output_item.added")
    h.sse({"type": "response.content_part.added", "item_id": item["id"], "output_index": 0,
           "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []},
           "sequence_number": next(seq)}, "response.content_part.added")
    for piece in split(reply.text, reply.chunks):
        h.sse({"type": "response.output_text.delta", "item_id": item["id"], "output_index": 0,
               "content_index": 0, "delta": piece, "logprobs": [], "sequence_number": next(seq)},
              "response.output_text.delta")
    h.sse({"type": "response.output_text.done", "item_id": item["id"], "output_index": 0,
           "content_index": 0, "text": reply.text, "logprobs": [], "sequence_number": next(seq)},
          "response.output_text.done")
    h.sse({"type": "response.output_item.done", "output_index": 0, "item": item,
           "sequence_number": next(seq)}, "response.output_item.done")
    h.sse({"type": "response.completed", "response": response, "sequence_number": next(seq)},
          "response.completed")
