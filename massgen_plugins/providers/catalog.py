"""The model catalog: each model's context window, output cap and prices, and where they came from.

Context window and output cap, first found wins:
1. config: `model_catalog: {"openai/gpt-5": {context_window: 400000, max_output_tokens: 128000}}`;
2. the provider's live listing (Anthropic and Gemini report both; OpenAI lists ids only);
3. the built-in table below, from the providers' model pages;
4. genai-prices' `context_window` (rounded, and missing for some models).
Prices always come from genai-prices, which ships its data offline and knows tiered prices. It
is the `prices` extra: without it every cost is unknown, never zero.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from massgen_plugins.providers.specs import ModelSpec
from massgen_plugins.providers.types import ModelInfo

# (provider, model id prefix) -> (context window, max output tokens), from the providers' model
# pages. Longest prefix wins; config overrides any of it.
BUILTIN: dict[tuple[str, str], tuple[int, int]] = {
    ("openai", "gpt-5"): (400_000, 128_000),
    ("openai", "gpt-4.1"): (1_047_576, 32_768),
    ("openai", "gpt-4o"): (128_000, 16_384),
    ("openai", "o3"): (200_000, 100_000),
    ("openai", "o4-mini"): (200_000, 100_000),
    ("anthropic", "claude-opus-4"): (200_000, 32_000),
    ("anthropic", "claude-sonnet-4"): (200_000, 64_000),
    ("anthropic", "claude-haiku-4"): (200_000, 64_000),
    ("google", "gemini-2.5"): (1_048_576, 65_536),
    ("google", "gemini-2.0"): (1_048_576, 8_192),
}
BUILTIN_SOURCE = "built-in"  # the table above, from the providers' model pages
DEFAULT_OUTPUT = 8_192


@attrs.frozen
class CatalogEntry:
    """What MassGen knows about one model, with the source of each fact."""

    provider: str
    model: str
    context_window: int | None
    window_source: str
    max_output_tokens: int

    @property
    def priced(self) -> bool:
        """Whether genai-prices has this model's prices (its data loads on first ask)."""
        return _price_model(self.provider, self.model) is not None


@attrs.frozen
class CostEstimate:
    """A cost range in USD: input plus the least and the most output the plan allows."""

    low: Decimal
    high: Decimal
    tiered: bool
    source: str


NO_PRICES = "no price data: pip install 'massgen-plugins[prices]'"


def prices_version() -> str:
    """The genai-prices release whose data prices come from."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"genai-prices {version('genai-prices')}"
    except PackageNotFoundError:
        return NO_PRICES


@functools.cache
def _snapshot() -> Any:
    """genai-prices' data, or None where the `prices` extra is not installed."""
    try:
        from genai_prices import data_snapshot
    except ImportError:
        return None
    return data_snapshot


@functools.cache
def _price_model(provider: str, model: str) -> Any:
    data_snapshot = _snapshot()
    if data_snapshot is None:
        return None
    snapshot = data_snapshot.get_snapshot()
    try:
        _, found = snapshot.find_provider_model(model, None, provider, None)
        return found
    except LookupError:
        return None


def lookup(spec: ModelSpec, overrides: Mapping[str, Any] | None = None,
           live: ModelInfo | None = None) -> CatalogEntry:
    """The catalog entry for `provider/model`, from config, live data, built-ins and genai-prices."""
    assert spec.model, "lookup needs a model, not a provider alone"
    override = (overrides or {}).get(str(spec)) or {}
    window, window_src = override.get("context_window"), "config"
    output = override.get("max_output_tokens")
    if window is None and live is not None and live.context_window:
        window, window_src = live.context_window, "live models.list()"
    if output is None and live is not None and live.max_output_tokens:
        output = live.max_output_tokens
    builtin = _builtin(spec)
    if builtin is not None:
        if window is None:
            window, window_src = builtin[0], BUILTIN_SOURCE
        if output is None:
            output = builtin[1]
    # genai-prices' data costs ~100 ms to load: only a window nothing else knows asks it here.
    priced = _price_model(spec.provider, spec.model) if window is None else None
    if window is None and priced is not None and priced.context_window:
        window, window_src = priced.context_window, "genai-prices (rounded)"
    if window is None:
        window_src = f"unknown: set model_catalog.\"{spec}\".context_window in config"
    if output is None:
        output = DEFAULT_OUTPUT
    return CatalogEntry(spec.provider, spec.model, window, window_src, int(output))


def _builtin(spec: ModelSpec) -> tuple[int, int] | None:
    model = spec.model or ""
    # A prefix matches a whole name part: gpt-5 covers gpt-5-mini and gpt-5.1, not gpt-55.
    matches = [(len(prefix), value) for (provider, prefix), value in BUILTIN.items()
               if provider == spec.provider and model.startswith(prefix)
               and model[len(prefix):len(prefix) + 1] in ("", "-", ".")]
    return max(matches)[1] if matches else None


def estimate_cost(entry: CatalogEntry, input_tokens: int, output_low: int,
                  output_high: int) -> CostEstimate | None:
    """The cost range for this input and an output between the two bounds; None if unpriced."""
    if not entry.priced:
        return None
    from genai_prices import Usage, calc_price

    def price(out: int) -> tuple[Decimal, bool]:
        calc = calc_price(Usage(input_tokens=input_tokens, output_tokens=out),
                          model_ref=entry.model, provider_id=entry.provider)
        tiers = getattr(getattr(calc.model_price, "input_mtok", None), "tiers", None)
        return calc.total_price, bool(tiers)

    low, tiered = price(output_low)
    high, _ = price(output_high)
    return CostEstimate(low, high, tiered, prices_version())


def actual_cost(entry: CatalogEntry, input_tokens: int, output_tokens: int) -> Decimal | None:
    """What a finished call cost, from its usage; None when the model has no price data."""
    cost = estimate_cost(entry, input_tokens, output_tokens, output_tokens)
    return None if cost is None else cost.low


def too_dear(high: Decimal | None, max_cost: float) -> bool:
    """True when a cost's upper bound is unknown or above `max_cost` (--max-cost) dollars."""
    return high is None or high > Decimal(str(max_cost))


def unit_prices(entry: CatalogEntry) -> tuple[Decimal | None, Decimal | None]:
    """Base input and output prices in USD per million tokens (below any tier), or None."""
    if not entry.priced:
        return None, None
    from genai_prices import Usage, calc_price

    calc = calc_price(Usage(input_tokens=1, output_tokens=1), model_ref=entry.model,
                      provider_id=entry.provider)

    def base(value: Any) -> Decimal | None:
        found = getattr(value, "base", value)
        return found if isinstance(found, Decimal) else None

    return base(calc.model_price.input_mtok), base(calc.model_price.output_mtok)


def known_models(provider: str) -> list[str]:
    """Model ids the catalog knows for a provider: built-ins and genai-prices' list."""
    ids = {prefix for (p, prefix) in BUILTIN if p == provider}
    data_snapshot = _snapshot()
    if data_snapshot is None:
        return sorted(ids)
    found = data_snapshot.find_provider_by_id(data_snapshot.get_snapshot().providers, provider)
    if found is not None:
        ids.update(m.id for m in found.models)
    return sorted(ids)
