"""The model catalog: windows with their sources, overrides, and tiered cost ranges."""

from __future__ import annotations

import json
from decimal import Decimal

from massgen_plugins.providers.catalog import estimate_cost, lookup
from massgen_plugins.providers.specs import parse_spec
from massgen_plugins.providers.types import ModelInfo


def test_builtin_window_then_config_then_live():
    spec = parse_spec("openai/gpt-5")
    assert (lookup(spec).context_window, lookup(spec).window_source) == (
        400_000, "built-in")
    override = lookup(spec, {"openai/gpt-5": {"context_window": 272_000}})
    assert (override.context_window, override.window_source) == (272_000, "config")
    claude = parse_spec("anthropic/claude-sonnet-4-6")
    live = lookup(claude, live=ModelInfo("anthropic", "claude-sonnet-4-6", 1_000_000, 64_000))
    assert (live.context_window, live.window_source) == (1_000_000, "live models.list()")


def test_unknown_model_says_how_to_add_it():
    entry = lookup(parse_spec("openai/my-local-llama"))
    assert entry.context_window is None and not entry.priced
    assert entry.window_source == ('unknown: set model_catalog."openai/my-local-llama".context_window '
                                   'in config')
    assert estimate_cost(entry, 1000, 0, 100) is None


def test_cost_range_follows_tiered_prices():
    entry = lookup(parse_spec("google/gemini-2.5-pro"))
    below = estimate_cost(entry, 100_000, 0, 0)
    above = estimate_cost(entry, 300_000, 0, 0)
    assert above.tiered
    # Above the 200k tier every input token costs more, not only the ones past the threshold.
    assert above.low / 3 > below.low
    cost = estimate_cost(entry, 10_000, 100, 10_000)
    assert cost.low < cost.high and isinstance(cost.low, Decimal)
    assert cost.source.startswith("genai-prices ")


def test_config_accepts_provider_keys_and_model_overrides(cli, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("providers:\n  openai:\n    api_key: sk-config-0123456789abcd\n"
                           "    base_url: http://127.0.0.1:11434/v1\n"
                           "model_catalog:\n  openai/llama3.1:\n    context_window: 8192\n")
    result = cli("config", "show", "--json")
    out = json.loads(result.stdout)
    assert out["values"]["providers"]["openai"]["api_key"] == "****abcd"
    # An id with a dot is one key, not a path.
    assert out["values"]["model_catalog"]["openai/llama3.1"]["context_window"] == 8192
    assert out["sources"]["model_catalog.openai/llama3.1.context_window"] == str(user_config)
    # The key's source is the file it is in, shown whole: a path is no secret.
    assert out["sources"]["providers.openai.api_key"] == str(user_config)
    # A leaf of a plugin's default dict has the dict's source.
    assert {k: v for k, v in out["sources"].items() if ".intervals." in k} == {
        f"plugins.tui_throttle.intervals.{name}": "default"
        for name in ("status", "text", "thinking")}
    assert result.stderr == ""


def test_a_legacy_models_section_is_read_and_named_for_renaming(cli, user_config):
    # MassGen refuses a run config with a top-level `models` key, so ours moved to
    # `model_catalog`; an old file still works, with one line saying what to rename.
    user_config.parent.mkdir(parents=True)
    user_config.write_text("models:\n  openai/llama3.1:\n    context_window: 8192\n")
    result = cli("config", "show", "--json")
    assert json.loads(result.stdout)["values"]["model_catalog"]["openai/llama3.1"] == {
        "context_window": 8192}
    assert result.stderr.splitlines() == [
        f"massgen-plugins: warning: {user_config}:1: models: MassGen refuses to run a config with "
        "a top-level 'models' key; rename it to 'model_catalog' (read as model_catalog for now)"]


def test_config_keeps_bad_provider_sections_strict(cli, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("providers:\n  gemini:\n    api_key: x\n")
    bad = cli("config", "show")
    assert bad.returncode == 2
    assert "providers.gemini: unknown key; known keys: anthropic, google, openai" in bad.stderr
