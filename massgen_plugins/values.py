"""Frozen value classes: everything that crosses a hook boundary."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

_SCALARS = frozenset({str, int, float, bool, type(None)})


def freeze(value: Any) -> Any:
    """Return a read-only deep copy of plain data (mappings, lists, scalars)."""
    kind = type(value)
    # Exact-type checks first: this runs for every event of a replay, and ABC isinstance
    # checks cost several times more.
    if kind in _SCALARS:
        return value
    if kind is dict or isinstance(value, Mapping):
        return MappingProxyType({k if type(k) is str else str(k): freeze(v)
                                 for k, v in value.items()})
    if kind is list or kind is tuple or isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Return a plain, mutable, JSON-friendly copy of data made by `freeze`."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@attrs.frozen
class Setting:
    """One setting a plugin reads from `plugins.<name>.<key>` in config.

    `type` is one of str, int, float, bool, list or dict; `item_type` types a list's items or a
    dict's values; `choices` restricts the allowed values (each item's, for a list or dict);
    `env` names an environment variable that overrides the files.
    """

    type: builtins.type
    default: Any = None
    help: str = ""
    item_type: builtins.type | None = None
    choices: tuple[Any, ...] | None = None
    env: str | None = None


@attrs.frozen
class PluginContext:
    """What the host hands a plugin with every hook call.

    Its name, its own validated settings and where each came from, and `core`: a read-only view
    of the core's config sections (`providers`, `models`), not other plugins' settings.
    """

    name: str
    settings: Mapping[str, Any] = attrs.field(factory=dict, converter=freeze)
    sources: Mapping[str, str] = attrs.field(factory=dict, converter=freeze)
    core: Mapping[str, Any] = attrs.field(factory=dict, converter=freeze)

    def source(self, key: str) -> str | None:
        """Where a setting came from: a config file's path, `env VAR`, or `default`."""
        return self.sources.get(key)

    def get(self, key: str, default: Any = None) -> Any:
        """Return one of this plugin's settings, or `default` when it is unset."""
        value = self.settings.get(key)
        return default if value is None else value


@attrs.frozen
class ModelChoice:
    """A resolved model: provider, model id, where the choice came from, and what it costs.

    Prices are USD per million tokens; `key_env` names where the key was found.
    """

    provider: str
    model: str
    source: str = "default"
    context_window: int | None = None
    max_output_tokens: int | None = None
    input_price: Decimal | None = None
    output_price: Decimal | None = None
    key_env: str | None = None

    @property
    def spec(self) -> str:
        """The `provider/model` spelling of this choice."""
        return f"{self.provider}/{self.model}"


@attrs.frozen
class CompressionRequest:
    """A working context a host wants compressed, and why.

    `items` are the working-context items in order, in the wire format of `api`: for
    `responses` (OpenAI's Responses API) messages (`{"role", "content"}`), tool calls and
    outputs, and opaque provider items kept verbatim. `instructions` (the system prompt) is not
    among them: the host sends it with every request. `target_tokens` is the size, items and
    instructions together (about four characters a token), the result must come in under.
    `api` is `responses`, `chat_completions`, `anthropic_messages` or `gemini`, or None when the
    host cannot tell. `previous_response_id` names a Responses conversation stored server-side
    that `items` continue: compress it together with them. `api_key` is the key the
    conversation itself uses (never shown in a repr), so a result works with its next request.
    """

    items: tuple[Mapping[str, Any], ...] = attrs.field(converter=freeze)
    provider: str
    model: str
    reason: str
    target_tokens: int
    instructions: str | None = None
    base_url: str | None = None
    api: str | None = None
    previous_response_id: str | None = None
    api_key: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class CompressionResult:
    """A compressed working context that replaces the old one, with what it cost."""

    items: tuple[Mapping[str, Any], ...] = attrs.field(converter=freeze)
    method: str
    input_tokens: int = 0
    output_tokens: int = 0
