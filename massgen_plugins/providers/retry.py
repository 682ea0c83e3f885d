"""Bounded retries with jitter that honour Retry-After, for every provider alike.

The SDKs' own retries are switched off (google-genai has none and ignores Retry-After), so one
policy applies everywhere and tests can count attempts.
"""

from __future__ import annotations

import random

import attrs


@attrs.frozen
class RetryPolicy:
    """How often and how long to wait before retrying a retryable error."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.25

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt number `attempt + 1` (attempt counts from 1)."""
        wait = retry_after if retry_after is not None else self.base_delay * 2 ** (attempt - 1)
        wait = min(max(wait, 0.0), self.max_delay)
        return wait + random.uniform(0, self.jitter * wait)


def retry_after_seconds(headers: object) -> float | None:
    """Retry-After (seconds), or retry-after-ms, from a response's headers; None if absent."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = get(name)
        if value:
            try:
                return float(value) * scale
            except ValueError:
                continue  # an HTTP date: fall back to our own backoff
    return None
