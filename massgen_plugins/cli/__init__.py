"""The `massgen` command line: core groups, plus the commands enabled plugins register."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from massgen_plugins import __version__

HOST_KEY = "massgen.host"
CONFIG_KEY = "massgen.config_path"


class HostGroup(click.Group):
    """A click group whose plugin-contributed commands appear once the host has loaded."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """All commands, the plugins' included."""
        get_host(ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """The named command, loading the plugins only when it is not a core command."""
        # Core commands resolve without loading anything, so `massgen-plugins config path` still works
        # to find a config file that is broken.
        if name not in self.commands:
            get_host(ctx)
        return super().get_command(ctx, name)


def get_host(ctx: click.Context) -> Any:
    """The process's Host, created on first use from the config and `--config`."""
    from massgen_plugins.host import Host

    root = ctx.find_root()
    host = root.meta.get(HOST_KEY)
    if host is None:
        host = Host.create(root.meta.get(CONFIG_KEY))
        root.meta[HOST_KEY] = host
        host.register_commands(root.command)
    return host


def _remember_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[CONFIG_KEY] = value


def make_cli() -> click.Group:
    """A fresh `massgen` command tree; plugins add to it when it first needs them."""
    from massgen_plugins.cli import chat, config, doctor, logs, plugins, tui

    @click.group(cls=HostGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, "--version", prog_name="massgen-plugins")
    @click.option("--config", type=click.Path(dir_okay=False), is_eager=True,
                  expose_value=False, callback=_remember_config, metavar="PATH",
                  help="Read this config file last, over the user and project files.")
    def massgen() -> None:
        """MassGen: multi-agent runs, their logs, and the plugins that extend them.

        Plugins are found through the `massgen` entry-point group; see `massgen-plugins plugins list`.
        """

    massgen.add_command(plugins.group())
    massgen.add_command(config.group())
    massgen.add_command(logs.group())
    massgen.add_command(tui.group())
    massgen.add_command(chat.command())
    massgen.add_command(doctor.command())
    massgen.add_command(doctor.run_command())
    return massgen


def main(argv: Sequence[str] | None = None) -> None:
    """Run the `massgen` command line."""
    make_cli().main(args=list(argv) if argv is not None else None, prog_name="massgen-plugins")
