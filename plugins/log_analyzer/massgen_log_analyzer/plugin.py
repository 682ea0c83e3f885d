"""The `log_analyzer` plugin's hooks: its settings, its commands, and model resolution.

Kept light: this module is imported on every `massgen` invocation while the plugin is enabled.
"""

from __future__ import annotations

from collections.abc import Mapping

import click

from massgen_plugins import ModelChoice, PluginContext, Setting, hookimpl


@hookimpl
def plugin_settings() -> Mapping[str, Setting]:
    """Settings under `plugins.log_analyzer`."""
    return {
        "default_model": Setting(str, env="MASSGEN_ANALYSIS_MODEL",
                                 help="model spec used when --model is not given"),
        "provider_defaults": Setting(dict, default={}, item_type=str,
                                     help="model per provider, for `--model anthropic`"),
        "aliases": Setting(dict, default={}, item_type=str,
                           help="short names for specs, e.g. {fast: google/gemini-2.5-flash}"),
        "output_tokens": Setting(int, default=8000,
                                 help="room kept for the report in the context window"),
    }


@hookimpl
def register_commands(cli: click.Group, context: PluginContext) -> None:
    """Add `massgen-plugins logs analyze` and `massgen-plugins logs models`."""
    from massgen_log_analyzer.commands import analyze, models

    logs = cli.commands["logs"]
    assert isinstance(logs, click.Group)
    logs.add_command(analyze)
    logs.add_command(models)


@hookimpl
def resolve_analysis_model(spec: str | None, context: PluginContext) -> ModelChoice | None:
    """The model for an analysis: --model, MASSGEN_ANALYSIS_MODEL, config, or a keyed default."""
    from massgen_log_analyzer.resolve import resolve

    return resolve(spec, context)

