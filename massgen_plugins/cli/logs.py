"""`massgen logs`: the group that log commands, core and plugin, live in."""

from __future__ import annotations

import click

from massgen_plugins.cli import HostGroup


def group() -> click.Group:
    """The `massgen logs` group."""

    @click.group(cls=HostGroup)
    def logs() -> None:
        """Work with MassGen run logs."""

    return logs
