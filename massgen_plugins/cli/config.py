"""`massgen-plugins config`: the merged config with each value's source, and the files read."""

from __future__ import annotations

import json
from typing import Any

import click

from massgen_plugins.cli import CONFIG_KEY, get_host
from massgen_plugins.cli.output import emit_json, table
from massgen_plugins.safe_text import shown


def group() -> click.Group:
    """The `massgen-plugins config` group."""

    @click.group()
    def config() -> None:
        """Show the merged config and the files it comes from."""

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
                "values": redact_data(nested), "files": redact_data(_files(cfg.files)),
                "sources": {k: None if v is None else redact(v) for k, v in sources.items()},
            }, indent=2, sort_keys=True, default=str))
            return
        if not flat:
            click.echo("No settings: every value is a default. Files read: see "
                       "`massgen-plugins config path`.")
            return
        table(None, ["Key", "Value", "Source"],
              [[dotted(p), _yamlish(v), cfg.source(p) or "-"] for p, v in sorted(flat.items())])

    @config.command()
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def path(ctx: click.Context, as_json: bool) -> None:
        """List the config files, lowest precedence first, and whether each exists."""
        from massgen_plugins.config import config_files

        files = _files(config_files(ctx.find_root().meta.get(CONFIG_KEY)))
        if as_json:
            emit_json({"files": files})
            return
        for f in files:
            click.echo(shown(f"{f['role']:<9} {f['path']}  "
                             f"({'exists' if f['exists'] else 'missing'})"))
        click.echo("then environment variables (MASSGEN_*), which win over every file")

    return config


def _files(files: Any) -> list[dict[str, Any]]:
    return [{"role": f.role, "path": str(f.path), "exists": f.exists} for f in files]


def _yamlish(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)
