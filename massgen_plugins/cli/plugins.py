"""`massgen-plugins plugins`: what is installed and enabled, and switching plugins on and off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from massgen_plugins.cli import get_host
from massgen_plugins.cli.output import emit_json
from massgen_plugins.safe_text import shown


def group() -> click.Group:
    """The `massgen-plugins plugins` group."""

    @click.group()
    def plugins() -> None:
        """List, enable and disable plugins."""

    @plugins.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (stable keys).")
    @click.pass_context
    def list_(ctx: click.Context, as_json: bool) -> None:
        """Show installed plugins, whether each is enabled (and why not), hooks and errors.

        JSON: {"plugins": [{"name", "distribution", "version", "module", "enabled", "loaded",
        "disabled_by", "switched_by", "hooks", "errors"}], "unknown_in_config": [names],
        "files": [{"role", "path", "exists", "massgen_reads", "breaks_massgen"}]}
        """
        from massgen_plugins.cli.config import echo_files, files_json

        host = get_host(ctx)
        rows = [plugin_row(host, r) for r in host.records]
        if as_json:
            emit_json({"plugins": rows, "unknown_in_config": host.unknown_in_config(),
                       "files": files_json(host.config.files, host.config)})
            return
        if not rows:
            click.echo("No plugins installed (entry-point group 'massgen').")
        else:
            from massgen_plugins.cli.output import Col, print_table

            # Hook names are never cut: the distribution (the plugin's name with `massgen-`
            # in front, as a rule) gives way first on a narrow terminal.
            hooks = max((len(h) for r in rows for h in r["hooks"]), default=5) + 1
            print_table(None, [Col("Plugin", min=10_000), Col("Distribution", drop=1, wrap=True),
                               Col("Version"), Col("Enabled", min=8, wrap=True),
                               Col("Hooks", flex=True, min=hooks, wrap=True),
                               Col("Problems", min=8, wrap=True)], [
                [r["name"], r["distribution"], r["version"], _enabled_cell(r),
                 ", ".join(r["hooks"]) or "-", "; ".join(r["errors"]) or "-"] for r in rows])
        for name in host.unknown_in_config():
            click.echo(shown(f"note: config has settings for '{name}', which is not installed"))
        echo_files(host.config.files, loaded=host.config)

    def switch(ctx: click.Context, name: str, project: bool, enabled: bool) -> None:
        from massgen_plugins.config import ENABLED, PLUGINS
        from massgen_plugins.entry_points import normalize
        from massgen_plugins.errors import ConfigError
        from massgen_plugins.paths import project_config_path, user_config_path
        from massgen_plugins.switches import set_plugin_enabled

        host = get_host(ctx)
        names = {normalize(r.name): r.name for r in host.records}
        if normalize(name) not in names:
            import difflib

            near = difflib.get_close_matches(normalize(name), list(names), n=1)
            hint = f"did you mean '{names[near[0]]}'? " if near else ""
            raise ConfigError(f"no installed plugin is named '{name}'; {hint}installed: "
                              f"{', '.join(sorted(names.values())) or 'none'}")
        real = names[normalize(name)]
        path = project_config_path() if project else user_config_path()
        written = set_plugin_enabled(path, real, enabled)
        via = f" (through the symlink {path})" if written != path.absolute() else ""
        click.echo(shown(f"{real}: {'enabled' if enabled else 'disabled'} in {written}{via}"))
        key = f"{PLUGINS}.{real}.{ENABLED}"
        source = host.config.source(key)
        if _outranks(host, source, path) and host.config.get(key, True) != enabled:
            click.echo(shown(f"note: {source} says {str(not enabled).lower()} for {real}, and it wins"))

    @plugins.command()
    @click.argument("name")
    @click.option("--project", is_flag=True,
                  help="Write to .massgen-plugins/config.yaml here instead of the user's file.")
    @click.pass_context
    def enable(ctx: click.Context, name: str, project: bool) -> None:
        """Switch plugin NAME on in our user file (or the project's), which MassGen never reads."""
        switch(ctx, name, project, True)

    @plugins.command()
    @click.argument("name")
    @click.option("--project", is_flag=True,
                  help="Write to .massgen-plugins/config.yaml here instead of the user's file.")
    @click.pass_context
    def disable(ctx: click.Context, name: str, project: bool) -> None:
        """Switch plugin NAME off in our user file (or the project's), which MassGen never reads."""
        switch(ctx, name, project, False)

    return plugins


def plugin_row(host: Any, record: Any) -> dict[str, Any]:
    """One plugin as `plugins list --json` reports it."""
    from massgen_plugins.config import ENABLED, PLUGINS
    from massgen_plugins.plugins import hooks_of

    return {
        "name": record.name,
        "distribution": record.distribution,
        "version": record.version,
        "module": record.value,
        "enabled": record.enabled,
        "loaded": record.loaded,
        "disabled_by": record.disabled_by,
        "switched_by": host.config.source(f"{PLUGINS}.{record.name}.{ENABLED}"),
        "hooks": hooks_of(host.pm, record),
        "errors": list(record.errors),
    }


def _enabled_cell(row: dict[str, Any]) -> str:
    if not row["enabled"]:
        return f"no ({row['disabled_by']})"
    if not row["loaded"]:
        return "yes (failed to load)"
    return f"yes ({row['switched_by']})" if row["switched_by"] else "yes"


def _outranks(host: Any, source: str | None, written: Path) -> bool:
    """True when `source` is an env var or a file read after `written`."""
    if source is None:
        return False
    if source.startswith("env "):
        return True
    order = [str(f.path) for f in host.config.files]
    return source in order and str(written) in order and order.index(source) > order.index(
        str(written))
