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
    """The first usable key for `provider`, or None. `config` is the `providers` section."""
    env = os.environ if environ is None else environ
    url = base_url(provider, config, env)
    for var in KEY_ENV[provider]:
        value = env.get(var, "")
        if value and not is_placeholder(value):
            return Credentials(provider, value.strip(), f"env {var}", url)
    value = ((config or {}).get(provider) or {}).get("api_key") or ""
    if isinstance(value, str) and not is_placeholder(value):
        return Credentials(provider, value.strip(), f"config providers.{provider}.api_key", url)
    return None


def require_key(provider: str, config: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> Credentials:
    """The key for `provider`, or a one-line error naming the variable to set."""
    found = find_key(provider, config, environ)
    if found is None:
        names = " or ".join(KEY_ENV[provider])
        raise MissingKeyError(f"no API key for {provider}: set {names} (a placeholder such as "
                              f"'your-...-key-here' does not count), or providers.{provider}."
                              "api_key in config")
    return found
