"""What every host checks before a `compress_context` answer replaces a working context, and
when a context is compacted before a request rather than after the API refused it.

Used by the bridge inside MassGen: an answer that would break the conversation, or that does
not get the context under the request's target, is refused, and MassGen's own path runs.
`request_tokens` and `Trigger` decide the proactive compaction of one agent (see
docs/compaction.md): the request's size as the API will count it, against
`compression.trigger_ratio` of the model's window, with a guard against compacting again and
again when compaction cannot get the context under the trigger.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import attrs

from massgen_plugins.values import CompressionRequest, CompressionResult, thaw

# Each compaction must free at least this share of the window (target_ratio at most
# trigger_ratio minus this): else the agent is back at the trigger a request or two later.
MIN_GAIN = 0.1


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


def request_tokens(params: Mapping[str, Any], history: int | None) -> int | None:
    """About how many input tokens the API will count for a Responses request's `params`.

    A request that continues a server-side history (`previous_response_id`) is that history's
    size as the API reported it (`history`: the previous response's input plus output tokens)
    plus the new items; None when that figure is unknown. A request that continues nothing is
    its items, instructions and tool definitions, estimated.
    """
    size = estimate(params.get("input") or [])
    instructions = params.get("instructions")
    if isinstance(instructions, str) and instructions:
        size += estimate(instructions)
    if params.get("previous_response_id"):
        # The history's own tool definitions were counted in its input already.
        return None if history is None else history + size
    tools = params.get("tools")
    return size + (estimate(tools) if tools else 0)


def ratios(section: Mapping[str, Any], override: Mapping[str, Any] | None,
           defaults: tuple[float, float]) -> tuple[float, float, str | None]:
    """The trigger and target ratios for one conversation, and a warning when they do not hold.

    `section` is the config's `compression` section, `override` what a plugin's
    `compression_settings` answered. A ratio outside (0, 1], or a target that does not free
    `MIN_GAIN` of the window below the trigger, is refused as a pair: `defaults` are used.
    """
    values = []
    for key, default in zip(("trigger_ratio", "target_ratio"), defaults):
        value = (override or {}).get(key)
        if value is None:
            value = section.get(key)
        values.append(default if value is None else value)
    trigger, target = values
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if numbers and target > 0 and trigger <= 1 and target <= trigger - MIN_GAIN + 1e-9:
        return float(trigger), float(target), None
    return defaults[0], defaults[1], (
        f"compression ratios trigger_ratio {trigger!r} and target_ratio {target!r} do not "
        f"hold: both must be shares of the window (above 0, at most 1), the target at least "
        f"{MIN_GAIN:g} below the trigger so that each compaction frees room; using "
        f"{defaults[0]:g} and {defaults[1]:g}")


@attrs.define
class Trigger:
    """When one agent's context is compacted before a request, and when it is not tried again.

    `due(size)` before each request: past `trigger_ratio` of the window, while armed. A
    proactive attempt that compacted nothing (no plugin answered, a failure, a refusal), or
    whose request the API still counted past the trigger, disarms it: the agent's next
    overflow goes to MassGen's reactive path, as without the trigger. A request that goes out
    under the trigger arms it again. So a context that compaction cannot get under the
    trigger is not compacted before every request; and a compaction that worked freed at
    least `MIN_GAIN` of the window (its result is refused above `target_ratio`).
    """

    window: int
    trigger_ratio: float
    target_ratio: float
    armed: bool = True

    @property
    def threshold(self) -> int:
        """Tokens above which a request is compacted first."""
        return int(self.trigger_ratio * self.window)

    @property
    def target(self) -> int:
        """Tokens a compacted request must come in under."""
        return int(self.target_ratio * self.window)

    def due(self, size: int) -> bool:
        """Whether a request of about `size` tokens is to be compacted before it goes out."""
        if size <= self.threshold:
            self.armed = True
            return False
        return self.armed

    def missed(self) -> None:
        """A proactive attempt compacted nothing: not tried again until under the trigger."""
        self.armed = False

    def measured(self, input_tokens: int) -> bool:
        """The API's count of a compacted request; False (and disarmed) when past the trigger."""
        if input_tokens > self.threshold:
            self.armed = False
            return False
        return True
