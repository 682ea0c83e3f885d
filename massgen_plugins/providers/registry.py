"""From a provider name and config to a ready Provider, checking the key before any request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from massgen_plugins.errors import UsageError
from massgen_plugins.providers.base import Provider
from massgen_plugins.providers.keys import require_key
from massgen_plugins.providers.retry import RetryPolicy

# Each adapter's SDK, and the extra of massgen-plugins that installs it.
SDKS = {"openai": ("openai", "openai"), "anthropic": ("anthropic", "anthropic"),
        "google": ("google.genai", "google")}


class MissingSDKError(UsageError):
    """The provider's SDK is not installed: the message says which extra installs it."""


def require_sdk(provider: str) -> None:
    """Raise MissingSDKError unless the SDK of `provider`'s adapter can be imported."""
    import importlib.util

    module, extra = SDKS[provider]
    try:
        found = importlib.util.find_spec(module) is not None
    except ImportError:  # google.genai's parent package is missing
        found = False
    if not found:
        raise MissingSDKError(f"{provider}: its SDK ({module}) is not installed; "
                              f"pip install 'massgen-plugins[{extra}]'")


def make_provider(provider: str, config: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None, timeout: float = 600.0,
                  retry: RetryPolicy | None = None) -> Provider:
    """A Provider for `openai`, `anthropic` or `google`; MissingKeyError if it has no key."""
    require_sdk(provider)
    credentials = require_key(provider, config, environ)
    if provider == "openai":
        from massgen_plugins.providers.openai_api import OpenAIProvider

        return OpenAIProvider(credentials, timeout=timeout, retry=retry)
    if provider == "anthropic":
        from massgen_plugins.providers.anthropic_api import AnthropicProvider

        return AnthropicProvider(credentials, timeout=timeout, retry=retry)
    from massgen_plugins.providers.google_api import GoogleProvider

    return GoogleProvider(credentials, timeout=timeout, retry=retry)
