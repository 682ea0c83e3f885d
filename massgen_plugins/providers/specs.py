"""Model specs: `PROVIDER/MODEL`, a provider alone, or a bare model id inferred from its prefix."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

import attrs

from massgen_plugins.errors import UsageError

PROVIDERS = ("openai", "anthropic", "google")
ALIASES = {"gemini": "google"}
# Bare model ids whose provider is clear from how they start.
PREFIXES = (("gpt-", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4", "openai"),
            ("chatgpt-", "openai"), ("claude-", "anthropic"), ("gemini-", "google"))
FORMS = "PROVIDER/MODEL (e.g. openai/gpt-5), a provider (openai, anthropic, google or gemini), " \
        "or a model id starting gpt-, o1, o3, o4, claude- or gemini-"


class SpecError(UsageError):
    """A model spec that names no known provider or model (exit code 2)."""


@attrs.frozen
class ModelSpec:
    """A provider and, unless only the provider was given, a model id."""

    provider: str
    model: str | None = None

    def __str__(self) -> str:
        """`provider/model`, or the provider alone."""
        return f"{self.provider}/{self.model}" if self.model else self.provider


def provider_name(name: str) -> str | None:
    """The canonical provider for a name or alias (`gemini` is `google`), or None."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    return key if key in PROVIDERS else None


def parse_spec(text: str, suggestions: Callable[[], Iterable[str]] | None = None) -> ModelSpec:
    """Parse a model spec, or raise SpecError listing the valid forms and close matches.

    `suggestions` gives more words (aliases, model ids) to offer for a word that names no
    provider; it is called only then.
    """
    raw = text.strip()
    if not raw:
        raise SpecError(f"empty model spec; use {FORMS}")
    if "/" in raw:
        head, _, model = raw.partition("/")
        provider = provider_name(head)
        if provider is None:
            raise SpecError(f"unknown provider '{head}' in '{raw}'{_near(head)}; use {FORMS}")
        if not model.strip() or "/" in model.strip():
            raise SpecError(f"malformed model spec '{raw}'; use {FORMS}")
        return ModelSpec(provider, model.strip())
    provider = provider_name(raw)
    if provider is not None:
        return ModelSpec(provider)
    lowered = raw.lower()
    for prefix, owner in PREFIXES:
        if lowered.startswith(prefix):
            return ModelSpec(owner, raw)
    more = list(suggestions()) if suggestions is not None else []
    raise SpecError(f"cannot tell the provider of '{raw}'{_near(raw, more)}; use {FORMS}")


def _near(word: str, more: Iterable[str] = ()) -> str:
    options = [*PROVIDERS, *ALIASES, *more]
    close = difflib.get_close_matches(word.lower(), options, n=2, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
