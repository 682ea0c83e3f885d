"""What the emulator answers (Reply, Call) and what a responder is shown of a request (Prompt)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from massgen_plugins.values import freeze

GREETING = "Hello from the emulator."


@attrs.frozen
class Call:
    """A function call in a reply: the tool's name and its arguments (the emulator makes the ids)."""

    name: str
    arguments: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Reply:
    """A scripted answer: its text, the function calls it makes, and the usage to report.

    A reply may have text, calls, or both; usage left as None is estimated. `chunks` is how many
    pieces a stream cuts the text, and each call's arguments, into. `reasoning` is the model's
    reasoning, streamed before the text on Chat Completions as `reasoning_content` deltas (as
    DeepSeek, Qwen and OpenRouter send it), cut into `chunks` pieces too; the other routes
    leave it out.
    """

    text: str = GREETING
    calls: list[Call] = attrs.field(factory=list)
    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    chunks: int = 3
    reasoning: str = ""


@attrs.frozen
class Prompt:
    """A generation request as a responder sees it, resolved from the wire format of its API.

    `api` is "responses" or "chat_completions". `items` is the whole conversation: the Responses
    input items (every earlier turn of a `previous_response_id` chain first) or the Chat messages.
    `system` joins the instructions and the system and developer messages. `tools` maps each
    offered function's name to its JSON-schema parameters. All of it is a read-only copy, so a
    responder cannot alter the conversation the emulator keeps.
    """

    api: str
    model: str
    items: tuple[Mapping[str, Any], ...] = attrs.field(converter=freeze)
    system: str = ""
    tools: Mapping[str, Mapping[str, Any]] = attrs.field(converter=freeze, factory=dict)

    def texts(self, role: str) -> list[str]:
        """The text of each message with `role`, in order; "tool" gives the tool outputs."""
        found = []
        kind: str | None
        for item in self.items:
            if item.get("type") == "function_call_output":
                kind, content = "tool", item.get("output")
            elif item.get("type", "message") == "message":
                kind, content = item.get("role"), item.get("content")
            else:
                continue
            if kind == role:
                found.append(text_of(content))
        return found


Responder = Callable[[Prompt], Reply | None]


def text_of(content: Any) -> str:
    """The text in a message's content: a string, or the text of its parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


def estimate_tokens(value: Any) -> int:
    """The emulator's token count for any JSON-able input: about four characters a token."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return max(1, math.ceil(len(text) / 4))


def reply_tokens(reply: Reply, used: int) -> tuple[int, int]:
    """Input and output tokens to report: the scripted ones, else the emulator's estimates."""
    inp = reply.input_tokens if reply.input_tokens is not None else used
    said = [reply.text, *[(c.name, c.arguments) for c in reply.calls]] if reply.calls else reply.text
    out = reply.output_tokens if reply.output_tokens is not None else estimate_tokens(said)
    return inp, out


def split(text: str, n: int) -> list[str]:
    """`text` cut into at most `n` pieces, in order (one empty piece for empty text)."""
    n = max(1, min(n, len(text) or 1))
    size = math.ceil(len(text) / n) if text else 1
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]
