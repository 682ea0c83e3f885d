"""From a provider name and config to a ready Provider, checking the key before any request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from massgen_plugins.providers.base import Provider
from massgen_plugins.providers.keys import require_key
from massgen_plugins.providers.retry import RetryPolicy


def make_provider(provider: str, config: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None, timeout: float = 600.0,
                  retry: RetryPolicy | None = None) -> Provider:
    """A Provider for `openai`, `anthropic` or `google`; MissingKeyError if it has no key."""
    credentials = require_key(provider, config, environ)
    if provider == "openai":
        from massgen_plugins.providers.openai_api import OpenAIProvider as cls
    elif provider == "anthropic":
        from massgen_plugins.providers.anthropic_api import AnthropicProvider as cls
    else:
        from massgen_plugins.providers.google_api import GoogleProvider as cls
    return cls(credentials, timeout=timeout, retry=retry)
