"""Choosing the analysis model: from a spec, an alias, config, or the first provider with a key."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import Any

from massgen_plugins import (
    KEY_ENV,
    PROVIDERS,
    MissingKeyError,
    ModelChoice,
    PluginContext,
    SpecError,
    catalog_entry,
    find_key,
    known_models,
    parse_spec,
    thaw,
    unit_prices,
)

# One capable, long-context model per provider, cheap enough to read whole runs.
DEFAULTS = {"openai": "gpt-5-mini", "anthropic": "claude-sonnet-4-6",
            "google": "gemini-2.5-flash"}
ALIASES = {
    "gpt": "openai/gpt-5", "gpt-mini": "openai/gpt-5-mini",
    "sonnet": "anthropic/claude-sonnet-4-6", "opus": "anthropic/claude-opus-4-8",
    "haiku": "anthropic/claude-haiku-4-5",
    "gemini-pro": "google/gemini-2.5-pro", "gemini-flash": "google/gemini-2.5-flash",
    "flash": "google/gemini-2.5-flash",
}


def describe(source: str | None) -> str:
    """A config source as the plan shows it."""
    if source is None:
        return "config"
    return source if source.startswith("env ") else f"config {source}"


def resolve(spec: str | None, context: PluginContext,
            environ: Mapping[str, str] | None = None) -> ModelChoice:
    """A ModelChoice (`key_env` None without a key), or a one-line SpecError or MissingKeyError."""
    env = os.environ if environ is None else environ
    providers_cfg = thaw(context.core.get("providers") or {})
    overrides = thaw(context.core.get("model_catalog") or {})
    if spec:
        text, source = spec, "--model"
    elif context.get("default_model"):
        text, source = context.get("default_model"), describe(context.source("default_model"))
    else:
        for provider in PROVIDERS:
            creds = find_key(provider, providers_cfg, env)
            if creds is not None:
                text = provider
                source = f"default: first provider with a key ({creds.source})"
                break
        else:
            names = ", ".join(v for p in PROVIDERS for v in KEY_ENV[p])
            raise MissingKeyError(f"no API key for any provider: set one of {names}, or pass "
                                  "--model PROVIDER/MODEL")
    aliases = {**ALIASES, **(context.get("aliases") or {})}
    if text.strip().lower() in aliases:
        source += f" (alias '{text.strip()}')"
        text = aliases[text.strip().lower()]
    parsed = parse_spec(text, suggestions=lambda: [*aliases, *_all_models()])
    model = parsed.model
    if model is None:
        configured = (context.get("provider_defaults") or {}).get(parsed.provider)
        model = configured or DEFAULTS[parsed.provider]
        where = (f"provider_defaults.{parsed.provider} in config" if configured
                 else "built-in default")
        source += f", {parsed.provider}'s default model ({where})"
    parsed = parse_spec(f"{parsed.provider}/{model}")
    entry = catalog_entry(parsed, overrides)
    # Known: priced by genai-prices (which knows dated ids too) or in config's catalog. A
    # built-in window alone is no proof: `gemini-2.5` covers the misspelt `gemini-2.5-flsh`.
    if str(parsed) not in overrides and not entry.priced:
        close = difflib.get_close_matches(model, known_models(parsed.provider), n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise SpecError(f"unknown model '{model}' for {parsed.provider}{hint}; to use a model "
                        f"the catalog does not know yet, add model_catalog: {{\"{parsed}\": "
                        "{context_window: TOKENS}} to a config file (massgen-plugins config "
                        "path lists them)")
    # No key is no error yet: a dry run sends nothing, and its plan says what to set.
    creds = find_key(parsed.provider, providers_cfg, env)
    price_in, price_out = unit_prices(entry)
    return ModelChoice(provider=parsed.provider, model=model, source=source,
                       context_window=entry.context_window,
                       max_output_tokens=entry.max_output_tokens, input_price=price_in,
                       output_price=price_out, key_env=None if creds is None else creds.source)


def _all_models() -> list[str]:
    """Every model id the catalog knows, for a "did you mean" (loads genai-prices' data)."""
    return sorted({m for p in PROVIDERS for m in known_models(p)})


def providers_with_keys(context: PluginContext, environ: Mapping[str, str] | None = None
                        ) -> dict[str, Any]:
    """Provider name -> Credentials, for every provider that has a usable key."""
    cfg = thaw(context.core.get("providers") or {})
    found = {p: find_key(p, cfg, environ) for p in PROVIDERS}
    return {p: c for p, c in found.items() if c is not None}
