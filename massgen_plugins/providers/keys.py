"""API keys and base URLs: from the SDKs' own environment variables, or from config.

Environment variables win over config, as everywhere in MassGen's config. For Gemini, both
`GOOGLE_API_KEY` and `GEMINI_API_KEY` are read and `GOOGLE_API_KEY` wins when both are set, as
the google-genai SDK itself does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import attrs

from massgen_plugins.errors import UsageError

KEY_ENV = {"openai": ("OPENAI_API_KEY",), "anthropic": ("ANTHROPIC_API_KEY",),
           "google": ("GOOGLE_API_KEY", "GEMINI_API_KEY")}
BASE_URL_ENV = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL",
                "google": "GOOGLE_GEMINI_BASE_URL"}
# Values copied from templates and docs instead of a real key.
_PLACEHOLDER = re.compile(
    r"^(your[-_ ].*|.*[-_ ]here|<.*>|\$\{?\w+\}?|x{3,}|\*+|sk-\.\.\.|changeme|todo|none|null|"
    r"replace[-_ ]?me|dummy|placeholder)$", re.IGNORECASE)


class MissingKeyError(UsageError):
    """No usable API key for a provider; raised before any request is sent (exit code 2)."""


@attrs.frozen
class Credentials:
    """A provider's key (never shown: not in repr), where it came from, and its base URL."""

    provider: str
    api_key: str = attrs.field(repr=False)
    source: str
    base_url: str | None = None


def is_placeholder(value: str) -> bool:
    """True for empty values and template text such as `your-openai-key-here`."""
    return not value.strip() or bool(_PLACEHOLDER.match(value.strip()))


def base_url(provider: str, config: Mapping[str, Any] | None = None,
             environ: Mapping[str, str] | None = None) -> str | None:
    """The provider's base URL: its SDK's env var, then `providers.<name>.base_url` in config."""
    env = os.environ if environ is None else environ
    value = env.get(BASE_URL_ENV[provider]) or ((config or {}).get(provider) or {}).get("base_url")
    return value or None


def find_key(provider: str, config: Mapping[str, Any] | None = None,
             environ: Mapping[str, str] | None = None) -> Credentials | None:
    """The first usable key for `provider`, or None. `config` is the `providers` section.

    With a base URL of your own (Ollama, vLLM, LM Studio) any value is a key, `dummy`
    included: such servers want one but check none.
    """
    env = os.environ if environ is None else environ
    url = base_url(provider, config, env)
    def usable(value: str) -> bool:
        return bool(value.strip()) if url else not is_placeholder(value)

    for var in KEY_ENV[provider]:
        value = env.get(var, "")
        if value and usable(value):
            return Credentials(provider, value.strip(), f"env {var}", url)
    value = ((config or {}).get(provider) or {}).get("api_key") or ""
    if isinstance(value, str) and usable(value):
        return Credentials(provider, value.strip(), f"config providers.{provider}.api_key", url)
    return None


def require_key(provider: str, config: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> Credentials:
    """The key for `provider`, or a one-line error naming the variable and what is wrong."""
    env = os.environ if environ is None else environ
    found = find_key(provider, config, env)
    if found is not None:
        return found
    names = " or ".join(KEY_ENV[provider])
    placeholders = [var for var in KEY_ENV[provider] if env.get(var, "").strip()]
    if placeholders:
        problem = (f"{placeholders[0]} holds a placeholder, not a key; set it to your key "
                   "(for a server of your own, set the base URL and any value works)")
    else:
        problem = (f"{names} {'are' if len(KEY_ENV[provider]) > 1 else 'is'} unset; set "
                   f"{'one' if len(KEY_ENV[provider]) > 1 else 'it'}, or providers.{provider}."
                   "api_key in config")
    raise MissingKeyError(f"no API key for {provider}: {problem}")


def key_problem(provider: str, config: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> str | None:
    """What is wrong with `provider`'s key, in one line, or None when it has one."""
    try:
        require_key(provider, config, environ)
    except MissingKeyError as exc:
        return exc.format_message()
    return None
