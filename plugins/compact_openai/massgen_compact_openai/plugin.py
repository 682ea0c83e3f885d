"""The `compact_openai` plugin: OpenAI's native `/responses/compact` for `compress_context`.

Kept light: this module is imported on every `massgen` invocation while the plugin is enabled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click

from massgen_plugins import CompressionRequest, CompressionResult, PluginContext, Setting, hookimpl


@hookimpl
def plugin_settings() -> Mapping[str, Setting]:
    """Settings under `plugins.compact_openai`."""
    return {
        "model": Setting(str, help="model for /compact (default: the conversation's)"),
        "allow_compatible": Setting(bool, default=False,
                                    help="also compact through OpenAI-compatible base URLs"),
        # Kept so that configs written for the retired chat still load: inside MassGen, its
        # own summarization is always the fallback.
        "fallback": Setting(str, default="summarize", choices=("summarize", "fail"),
                            help="ignored: MassGen's summarization is always the fallback"),
        "timeout_s": Setting(float, default=60.0,
                             help="seconds for one whole /compact call, its reply included"),
        "retry_budget_s": Setting(float, default=20.0,
                                  help="time to keep retrying 429/5xx before falling back"),
        "trigger_ratio": Setting(float, help="override compression.trigger_ratio (compact "
                                             "before a request past this share of the window) "
                                             "for the agents this plugin compacts"),
        "target_ratio": Setting(float, help="override compression.target_ratio likewise"),
    }


@hookimpl
def compression_settings(provider: str, model: str, base_url: str | None,
                         context: PluginContext) -> Mapping[str, float] | None:
    """This plugin's trigger and target, for the conversations it will compact."""
    from massgen_compact_openai.compact import claims

    overrides = {k: float(context.get(k)) for k in ("trigger_ratio", "target_ratio")
                 if context.get(k) is not None}
    probe = CompressionRequest(items=[], provider=provider, model=model, reason="settings",
                               target_tokens=0, base_url=base_url)
    if not overrides or not claims(probe, bool(context.get("allow_compatible"))):
        return None
    return overrides


@hookimpl
def compress_context(request: CompressionRequest,
                     context: PluginContext) -> CompressionResult | None:
    """Compact an OpenAI Responses conversation; None for every other conversation."""
    from massgen_compact_openai.compact import (
        CompactionUnavailable,
        claims,
        compact,
        first_time_skipped,
        unclaimed,
    )
    from massgen_plugins import find_key, thaw

    allow = bool(context.get("allow_compatible"))
    if not claims(request, allow):
        if not allow and first_time_skipped(request):
            # Switched on but not used: the host's one warning line says so, once.
            raise CompactionUnavailable(unclaimed(str(request.base_url)))
        return None
    key = find_key("openai", thaw(context.core.get("providers") or {}))
    if key is None and request.api_key:
        from massgen_plugins import Credentials

        key = Credentials("openai", request.api_key, "the conversation", request.base_url)
    if key is None:
        return None
    # A failure raises: the host reports it in one line and MassGen summarizes instead.
    return compact(request, key, context.get("model"), float(context.get("timeout_s")),
                   float(context.get("retry_budget_s")))


@hookimpl
def register_commands(cli: click.Group, context: PluginContext) -> None:
    """Add `massgen-plugins compaction eval`."""
    from massgen_compact_openai.evaluation.command import group

    cli.add_command(group())


@hookimpl
def doctor_notes(backends: Sequence[Mapping[str, Any]], context: PluginContext) -> list[str]:
    """The OpenAI endpoints of this setup that compaction will skip."""
    import os

    from massgen_compact_openai.compact import unused_endpoints

    return unused_endpoints(backends, bool(context.get("allow_compatible")), os.environ)
