"""Provider-neutral requests and results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from massgen_plugins.values import freeze


@attrs.frozen
class GenerateRequest:
    """What to send: the model, the conversation, the system prompt, and the output cap.

    `messages` are `{"role": "user"|"assistant", "content": str}`; for OpenAI they may also be
    raw Responses input items (reasoning, compaction, function calls), sent verbatim.
    """

    model: str
    messages: tuple[Mapping[str, Any], ...] = attrs.field(converter=freeze)
    system: str | None = None
    max_output_tokens: int = 4096
    temperature: float | None = None


@attrs.frozen
class Usage:
    """Tokens a call used."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0


@attrs.frozen
class Result:
    """A finished generation, with the provider's raw input and output items where kept."""

    provider: str
    model: str
    text: str
    usage: Usage
    finish_reason: str | None = None
    raw_input: tuple[Any, ...] = ()
    raw_output: tuple[Any, ...] = ()


@attrs.frozen
class TokenCount:
    """A token count, saying whether the provider counted it (exact) or we estimated it."""

    tokens: int
    exact: bool
    source: str


@attrs.frozen
class ModelInfo:
    """A model as a provider lists it."""

    provider: str
    id: str
    context_window: int | None = None
    max_output_tokens: int | None = None
