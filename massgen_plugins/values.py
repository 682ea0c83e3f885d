"""Frozen value classes: everything that crosses a hook boundary."""

from __future__ import annotations

from collections.abc import Mapping
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
    dict's values; `choices` restricts the allowed values; `env` names an environment variable
    that overrides the files.
    """

    type: type
    default: Any = None
    help: str = ""
    item_type: type | None = None
    choices: tuple[Any, ...] | None = None
    env: str | None = None


@attrs.frozen
class PluginContext:
    """What the host hands a plugin with every hook call: its name and its own settings."""

    name: str
    settings: Mapping[str, Any] = attrs.field(factory=dict, converter=freeze)

    def get(self, key: str, default: Any = None) -> Any:
        """Return one of this plugin's settings, or `default` when it is unset."""
        value = self.settings.get(key)
        return default if value is None else value


@attrs.frozen
class ModelChoice:
    """A resolved model: provider, model id, and where the choice came from."""

    provider: str
    model: str
    source: str = "default"

    @property
    def spec(self) -> str:
        """The `provider/model` spelling of this choice."""
        return f"{self.provider}/{self.model}"


@attrs.frozen
class CompressionRequest:
    """A working context the core wants compressed, and why.

    `items` are the conversation's working-context items in order: provider-neutral messages
    (`{"role", "content"}`), tool calls and outputs, and opaque provider items kept verbatim.
    `target_tokens` is the size the compressed context must come in under.
    """

    items: tuple[Mapping[str, Any], ...] = attrs.field(converter=freeze)
    provider: str
    model: str
    reason: str
    target_tokens: int
    instructions: str | None = None
    base_url: str | None = None


@attrs.frozen
class CompressionResult:
    """A compressed working context that replaces the old one, with what it cost."""

    items: tuple[Mapping[str, Any], ...] = attrs.field(converter=freeze)
    method: str
    input_tokens: int = 0
    output_tokens: int = 0
