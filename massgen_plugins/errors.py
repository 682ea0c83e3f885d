"""Errors the user sees as one line and an exit code, never as a traceback."""

from __future__ import annotations

import click


class MassgenError(click.ClickException):
    """A failure the user can act on, shown as one line on stderr."""

    exit_code = 1

    def show(self, file: object = None) -> None:
        """Print the one-line message (it may quote a file's content: made safe to show)."""
        from massgen_plugins.safe_text import shown

        click.echo(f"massgen-plugins: error: {shown(self.format_message())}", err=True)


class UsageError(MassgenError):
    """The user's input cannot be used as given (a spec, a path, a key): exit code 2."""

    exit_code = 2


class ConfigError(UsageError):
    """Bad config: the message names the file or variable, the key, and what was expected."""


class PluginError(MassgenError):
    """A plugin misbehaved while MASSGEN_STRICT_PLUGINS=1 made that fatal."""

    exit_code = 3
