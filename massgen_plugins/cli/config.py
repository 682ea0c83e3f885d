"""`massgen-plugins config`: the merged config with each value's source, the files, migration."""

from __future__ import annotations

import json
from typing import Any

import click

from massgen_plugins.cli import CONFIG_KEY, get_host
from massgen_plugins.cli.output import echo_fitted, emit_json, table
from massgen_plugins.safe_text import shown

ENV_NOTE = "then environment variables (MASSGEN_*), which win over every file"


def group() -> click.Group:
    """The `massgen-plugins config` group."""

    @click.group()
    def config() -> None:
        """Show the merged config and the files it comes from; migrate an old switch file."""

    @config.command()
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (stable keys).")
    @click.pass_context
    def show(ctx: click.Context, as_json: bool) -> None:
        """Print every value of the merged config and where it came from.

        Sources: a file path, `env VAR`, or `default` (a plugin's declared default).
        JSON: {"values": {...nested...}, "sources": {"dotted.key": source}, "files": [...]}
        """
        from massgen_plugins.config import dotted
        from massgen_plugins.secrets import is_secret_key, mask, redact, redact_data

        cfg = get_host(ctx).config
        flat = {path: (mask(str(v)) if is_secret_key(path[-1]) and v else v)
                for path, v in cfg.flat().items()}
        if as_json:
            nested: dict[str, Any] = {}
            for path, value in flat.items():
                node = nested
                for part in path[:-1]:
                    node = node.setdefault(part, {})
                node[path[-1]] = value
            # Sources are file paths and names, not secrets, even where the key is `api_key`:
            # they are masked as text, not by the key they sit under.
            sources = {dotted(p): cfg.source(p) for p in flat}
            click.echo(json.dumps({
                "values": redact_data(nested), "files": redact_data(files_json(cfg.files, cfg)),
                "sources": {k: None if v is None else redact(v) for k, v in sources.items()},
            }, indent=2, sort_keys=True, default=str))
            return
        if not flat:
            click.echo("No settings: every value is a default.")
        else:
            table(None, ["Key", "Value", "Source"],
                  [[dotted(p), _yamlish(v), cfg.source(p) or "-"]
                   for p, v in sorted(flat.items())])
        echo_files(cfg.files, loaded=cfg)

    @config.command()
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def path(ctx: click.Context, as_json: bool) -> None:
        """List the config files, lowest precedence first, and whether each exists.

        JSON: {"files": [{"role", "path", "exists", "massgen_reads", "breaks_massgen"}]}
        """
        from massgen_plugins.config import config_files

        files = config_files(ctx.find_root().meta.get(CONFIG_KEY))
        if as_json:
            emit_json({"files": files_json(files)})
            return
        echo_files(files, heading=False)

    @config.command()
    def migrate() -> None:
        """Move massgen-plugins settings out of a MassGen config file that holds nothing else.

        Older `massgen-plugins plugins disable` wrote ~/.config/massgen/config.yaml (or
        .massgen/config.yaml), which MassGen then ran as its config and failed on. Such a file
        moves to ours (~/.config/massgen-plugins/config.yaml, .massgen-plugins/config.yaml)
        and is removed; a MassGen config with MassGen's own settings in it is left as it is.
        """
        from massgen_plugins.migrate import migrate as run

        for line in run():
            click.echo(shown(line))

    return config


def files_json(files: Any, loaded: Any = None) -> list[dict[str, Any]]:
    """The config files as `--json` reports them; `loaded`, a Config that read them already."""
    from massgen_plugins.config import file_breaks_massgen

    breaks = file_breaks_massgen if loaded is None else loaded.breaks_massgen
    return [{"role": f.role, "path": str(f.path), "exists": f.exists,
             "massgen_reads": f.massgens, "breaks_massgen": breaks(f)} for f in files]


def echo_files(files: Any, heading: bool = True, loaded: Any = None) -> None:
    """One line per config file, lowest precedence first: its role, path and state."""
    if heading:
        click.echo("Config files, lowest precedence first:")
    writes = {"user": "plugins enable|disable write here",
              "project": "plugins enable|disable --project write here"}
    for f in files_json(files, loaded):
        state = ["exists" if f["exists"] else "missing"]
        if f["massgen_reads"]:
            state.append("MassGen's default run config: read, never written")
        state += [writes[f["role"]]] if f["role"] in writes else []
        if f["breaks_massgen"]:
            state.append("holds only massgen-plugins settings, so `massgen \"question\"` fails "
                         "on it: run `massgen-plugins config migrate`")
        echo_fitted(f"{f['role']:<15} {f['path']}  ({'; '.join(state)})", indent=16)
    echo_fitted(ENV_NOTE)


def _yamlish(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)
