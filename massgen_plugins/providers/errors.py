"""The errors every provider's failures map onto, keeping the provider's own message."""

from __future__ import annotations

from massgen_plugins.errors import MassgenError
from massgen_plugins.secrets import redact


class ProviderError(MassgenError):
    """A provider call failed. `message` is the provider's own, with secrets masked."""

    retryable = False

    def __init__(self, provider: str, message: str, status: int | None = None,
                 retry_after: float | None = None) -> None:
        """Record which provider failed, how, and when it may be retried."""
        self.provider, self.status, self.retry_after = provider, status, retry_after
        super().__init__(f"{provider}: {redact(' '.join(str(message).split()))}")


class AuthenticationError(ProviderError):
    """The key was rejected (401/403). Not retried."""


class RateLimitError(ProviderError):
    """Too many requests (429). Retried after Retry-After, with jitter, a bounded number of times."""

    retryable = True


class ContextLengthError(ProviderError):
    """The input does not fit the model's context window. Reactive compression keys on this."""


class TransientError(ProviderError):
    """A server error, overload, timeout or dropped connection. Retried a bounded number of times."""

    retryable = True


class BadRequestError(ProviderError):
    """The request was invalid (400/404/422), or the reply could not be understood. Not retried."""
