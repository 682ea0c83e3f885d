"""What every host checks before a `compress_context` answer replaces a working context.

Used by the bridge in MassGen's context recovery: an answer that would break the conversation,
or that does not get the context under the request's target, is refused, and MassGen
summarizes instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from massgen_plugins.values import CompressionRequest, CompressionResult, thaw


def estimate(value: Any) -> int:
    """About four characters a token, over any JSON-able value."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return math.ceil(len(text) / 4)


def tool_pairs_intact(items: list[Mapping[str, Any]]) -> bool:
    """True when every tool call has its output and every output its call."""
    calls = [i.get("call_id") for i in items if i.get("type") == "function_call"]
    outputs = [i.get("call_id") for i in items if i.get("type") == "function_call_output"]
    return set(calls) == set(outputs)


def refusal(request: CompressionRequest, result: CompressionResult) -> str | None:
    """Why `result` cannot replace the request's context, or None when it can.

    The size is the estimate of the items plus the instructions, which every host sends again
    with each request.
    """
    items = thaw(result.items)
    if not items or not all(isinstance(i, dict) for i in items):
        return "it returned no items"
    if not tool_pairs_intact(items):
        return "a tool call and its output came apart"
    size = estimate(items) + estimate(request.instructions or "")
    if size > request.target_tokens:
        return (f"the result is still ~{size:,} tokens, above the target of "
                f"{request.target_tokens:,}")
    return None
