"""MassGen's plugin layer. This module is the public API: a plugin imports from here only.

    from massgen_plugins import PluginContext, Setting, hookimpl

The hooks are documented in `massgen_plugins.hookspecs`. Everything else a plugin needs is
importable from this package, by theme:

- hooks and their values: `hookimpl`, `PluginContext`, `Setting`, `ModelChoice`,
  `CompressionRequest`, `CompressionResult`, `freeze`, `thaw`;
- MassGen's events, for `wrap_event_sink`: `Event`, `EventSink`, `Classifier`, `STREAMING`,
  `STATE`, `CRITICAL`;
- errors the user sees as one line: `MassgenError`, `UsageError`, `ConfigError`;
- models: specs (`ModelSpec`, `parse_spec`, `provider_name`, `PROVIDERS`, `SpecError`), keys
  (`Credentials`, `find_key`, `require_key`, `key_problem`, `KEY_ENV`, `MissingKeyError`), calls
  (`make_provider`, `Provider`, `OpenAIProvider` for endpoints beyond generation,
  `GenerateRequest`, `estimate_tokens`), their errors
  (`ProviderError`, `AuthenticationError`, `BadRequestError`, `ContextLengthError`,
  `RateLimitError`, `TransientError`) and the catalog (`catalog_entry`, `CatalogEntry`,
  `known_models`, `unit_prices`, `estimate_cost`, `actual_cost`, `CostEstimate`, `too_dear`);
- run logs: `load_run`, `logs_dir_option`, `Session`, `Attempt`, `Warnings`,
  `build_context`, `sections_for`, `write_in_run`, `keep_aside`, `read_conversations`, `Conversation`;
- text for people: `shown`, `shown_block` (safe to print, secrets masked), `redact`,
  `emit_json`, `table`;
- the host of a command: `host_of`, `Host`.

The names load on first use (`massgen-plugins --help` must not pay for what it does not
use); type checkers read them from the block below.
"""

from __future__ import annotations

# No imports at run time here, not even typing (it costs more than this whole module): type
# checkers take any name TYPE_CHECKING as true.
TYPE_CHECKING = False

__version__ = "0.2.0"

if TYPE_CHECKING:
    from massgen_plugins.cli import get_host as host_of
    from massgen_plugins.cli.logs import load_target as load_run
    from massgen_plugins.cli.logs import logs_dir_option
    from massgen_plugins.cli.output import emit_json, table
    from massgen_plugins.errors import ConfigError, MassgenError, UsageError
    from massgen_plugins.events.classes import CRITICAL, STATE, STREAMING, Classifier
    from massgen_plugins.events.model import Event
    from massgen_plugins.events.sink import EventSink
    from massgen_plugins.hookspecs import hookimpl
    from massgen_plugins.host import Host
    from massgen_plugins.logs.context import build_context, sections_for
    from massgen_plugins.logs.conversations import Conversation, read_conversations
    from massgen_plugins.logs.files import Warnings, keep_aside, write_in_run
    from massgen_plugins.logs.model import Attempt, Session
    from massgen_plugins.providers.base import Provider, estimate_tokens
    from massgen_plugins.providers.catalog import (
        CatalogEntry,
        CostEstimate,
        actual_cost,
        estimate_cost,
        known_models,
        too_dear,
        unit_prices,
    )
    from massgen_plugins.providers.catalog import lookup as catalog_entry
    from massgen_plugins.providers.errors import (
        AuthenticationError,
        BadRequestError,
        ContextLengthError,
        ProviderError,
        RateLimitError,
        TransientError,
    )
    from massgen_plugins.providers.keys import (
        KEY_ENV,
        Credentials,
        MissingKeyError,
        find_key,
        key_problem,
        require_key,
    )
    from massgen_plugins.providers.openai_api import OpenAIProvider
    from massgen_plugins.providers.registry import make_provider
    from massgen_plugins.providers.specs import (
        PROVIDERS,
        ModelSpec,
        SpecError,
        parse_spec,
        provider_name,
    )
    from massgen_plugins.providers.types import GenerateRequest
    from massgen_plugins.safe_text import shown, shown_block
    from massgen_plugins.secrets import redact
    from massgen_plugins.values import (
        CompressionRequest,
        CompressionResult,
        ModelChoice,
        PluginContext,
        Setting,
        freeze,
        thaw,
    )

# name -> (module, attribute): what each public name is, loaded on first use.
_EXPORTS: dict[str, tuple[str, str]] = {
    "host_of": ("massgen_plugins.cli", "get_host"),
    "load_run": ("massgen_plugins.cli.logs", "load_target"),
    "logs_dir_option": ("massgen_plugins.cli.logs", "logs_dir_option"),
    "emit_json": ("massgen_plugins.cli.output", "emit_json"),
    "table": ("massgen_plugins.cli.output", "table"),
    **{n: ("massgen_plugins.errors", n) for n in ("ConfigError", "MassgenError", "UsageError")},
    **{n: ("massgen_plugins.events.classes", n)
       for n in ("CRITICAL", "STATE", "STREAMING", "Classifier")},
    "Event": ("massgen_plugins.events.model", "Event"),
    "EventSink": ("massgen_plugins.events.sink", "EventSink"),
    "hookimpl": ("massgen_plugins.hookspecs", "hookimpl"),
    "Host": ("massgen_plugins.host", "Host"),
    **{n: ("massgen_plugins.logs.context", n) for n in ("build_context", "sections_for")},
    **{n: ("massgen_plugins.logs.conversations", n)
       for n in ("Conversation", "read_conversations")},
    **{n: ("massgen_plugins.logs.files", n) for n in ("Warnings", "keep_aside", "write_in_run")},
    **{n: ("massgen_plugins.logs.model", n) for n in ("Attempt", "Session")},
    **{n: ("massgen_plugins.providers.base", n) for n in ("Provider", "estimate_tokens")},
    **{n: ("massgen_plugins.providers.catalog", n)
       for n in ("CatalogEntry", "CostEstimate", "actual_cost", "estimate_cost", "known_models",
                 "too_dear", "unit_prices")},
    "catalog_entry": ("massgen_plugins.providers.catalog", "lookup"),
    **{n: ("massgen_plugins.providers.errors", n)
       for n in ("AuthenticationError", "BadRequestError", "ContextLengthError",
                 "ProviderError", "RateLimitError", "TransientError")},
    **{n: ("massgen_plugins.providers.keys", n)
       for n in ("KEY_ENV", "Credentials", "MissingKeyError", "find_key", "key_problem", "require_key")},
    "make_provider": ("massgen_plugins.providers.registry", "make_provider"),
    "OpenAIProvider": ("massgen_plugins.providers.openai_api", "OpenAIProvider"),
    **{n: ("massgen_plugins.providers.specs", n)
       for n in ("PROVIDERS", "ModelSpec", "SpecError", "parse_spec", "provider_name")},
    "GenerateRequest": ("massgen_plugins.providers.types", "GenerateRequest"),
    **{n: ("massgen_plugins.safe_text", n) for n in ("shown", "shown_block")},
    "redact": ("massgen_plugins.secrets", "redact"),
    **{n: ("massgen_plugins.values", n)
       for n in ("CompressionRequest", "CompressionResult", "ModelChoice", "PluginContext",
                 "Setting", "freeze", "thaw")},
}

__all__ = [
    "CRITICAL",
    "KEY_ENV",
    "PROVIDERS",
    "STATE",
    "STREAMING",
    "Attempt",
    "AuthenticationError",
    "BadRequestError",
    "CatalogEntry",
    "Classifier",
    "CompressionRequest",
    "CompressionResult",
    "ConfigError",
    "ContextLengthError",
    "Conversation",
    "CostEstimate",
    "Credentials",
    "Event",
    "EventSink",
    "GenerateRequest",
    "Host",
    "MassgenError",
    "MissingKeyError",
    "ModelChoice",
    "ModelSpec",
    "OpenAIProvider",
    "PluginContext",
    "Provider",
    "ProviderError",
    "RateLimitError",
    "Session",
    "Setting",
    "SpecError",
    "TransientError",
    "UsageError",
    "Warnings",
    "__version__",
    "actual_cost",
    "build_context",
    "catalog_entry",
    "emit_json",
    "estimate_cost",
    "estimate_tokens",
    "find_key",
    "freeze",
    "hookimpl",
    "host_of",
    "keep_aside",
    "key_problem",
    "known_models",
    "load_run",
    "logs_dir_option",
    "make_provider",
    "parse_spec",
    "provider_name",
    "read_conversations",
    "redact",
    "require_key",
    "sections_for",
    "shown",
    "shown_block",
    "table",
    "thaw",
    "too_dear",
    "unit_prices",
    "write_in_run",
]


def __getattr__(name: str) -> object:
    export = _EXPORTS.get(name)
    if export is None:
        raise AttributeError(f"module 'massgen_plugins' has no attribute {name!r}")
    import importlib

    module, attribute = export
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # later lookups skip this function
    return value
