"""Keeping API keys and other secrets out of everything the user or a log can see."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

# Key shapes worth masking even when they did not come from the environment.
_KEY_PATTERNS = re.compile(
    r"(sk-ant-[A-Za-z0-9_\-]{8,}|sk-[A-Za-z0-9_\-]{16,}|AIza[0-9A-Za-z_\-]{20,})"
)
_SECRET_NAME = re.compile(r"(API_KEY|_TOKEN|_SECRET|PASSWORD)$", re.IGNORECASE)
# `api_key: value`, `"token": "value"`, `password=value` inside free text (YAML, JSON, logs).
_ASSIGNED = re.compile(
    r"""((?:api[_-]?key|access[_-]?token|auth[_-]?token|token|secret|password)["']?\s*[:=]\s*["']?)"""
    r"""([^\s"',}{\]\[]{6,})""", re.IGNORECASE)


def mask(value: str) -> str:
    """Show a secret as its last four characters only, e.g. ``****1a2b``; short ones as ``***``."""
    return f"****{value[-4:]}" if len(value) >= 12 else "***"


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The values of environment variables whose names mark them as secrets."""
    env = os.environ if environ is None else environ
    return sorted(
        {v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= 6},
        key=len,
        reverse=True,
    )


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Return `text` with every known secret replaced by a masked form."""
    for value in secret_values(environ):
        text = text.replace(value, mask(value))
    text = _KEY_PATTERNS.sub(lambda m: mask(m.group(0)), text)
    return _ASSIGNED.sub(lambda m: m.group(1) + (m.group(2) if m.group(2).startswith("****")
                                                  else mask(m.group(2))), text)


def redact_data(data: Any, environ: Mapping[str, str] | None = None) -> Any:
    """A copy of JSON-like data with secret-named values masked and secrets in text redacted."""
    if isinstance(data, Mapping):
        return {k: (mask(str(v)) if is_secret_key(str(k)) and isinstance(v, str) and v
                    else redact_data(v, environ)) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [redact_data(v, environ) for v in data]
    if isinstance(data, str):
        return redact(data, environ)
    return data


def is_secret_key(key: str) -> bool:
    """True for config keys such as `providers.openai.api_key` whose values must be masked."""
    leaf = key.rsplit(".", 1)[-1]
    return bool(re.search(r"(api_key|token|secret|password)$", leaf, re.IGNORECASE))
