"""Our command line, `massgen-plugins`: core groups, plus the commands enabled plugins register."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from massgen_plugins import __version__

HOST_KEY = "massgen.host"
CONFIG_KEY = "massgen.config_path"


STUBS_KEY = "massgen.command_stubs"
# Commands of the stand-in host that MassGen itself now provides: where each went.
RETIRED = {
    "chat": "MassGen is the chat: `massgen --model MODEL \"question\"`, or `massgen` for its "
            "interactive mode",
    "tui": "replays are MassGen's own: `massgen viewer LOG_DIR` (tui_throttle paces it)",
}


class HostGroup(click.Group):
    """A click group whose plugin-contributed commands appear once the host has loaded.

    Listing commands (a help page) draws the plugins' commands from the record help_cache keeps
    while it matches what is installed and configured; running one loads the plugins.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        """All commands, the plugins' included."""
        root = ctx.find_root()
        if HOST_KEY not in root.meta and not _stubs_from_record(root):
            get_host(ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """The named command, loading the plugins only when it is not a core command."""
        # Core commands resolve without loading anything, so `massgen-plugins config path` still works
        # to find a config file that is broken.
        command = self.commands.get(name)
        if command is None or (getattr(command, "stub", False) and not ctx.resilient_parsing
                               and not _rendering_help(ctx)):
            get_host(ctx)
        found = super().get_command(ctx, name)
        if found is None and name in RETIRED and not ctx.resilient_parsing:
            from massgen_plugins.errors import UsageError

            raise UsageError(f"`massgen-plugins {name}` was retired: {RETIRED[name]}")
        return found


def _rendering_help(ctx: click.Context) -> bool:
    return bool(ctx.find_root().meta.get(STUBS_KEY))


def _stubs_from_record(root: click.Context) -> bool:
    """Add the recorded plugin commands as stubs, when the record matches; whether it did."""
    from massgen_plugins.cli import help_cache

    commands = help_cache.load(root.meta.get(CONFIG_KEY))
    if commands is None:
        return False
    added = []
    for entry in commands:
        *parents, name = entry["path"]
        group: Any = root.command
        for part in parents:
            group = group.commands.get(part) if isinstance(group, click.Group) else None
        if not isinstance(group, click.Group) or name in group.commands:
            continue
        kind = click.Group if entry.get("group") else click.Command
        stub = kind(name, help=entry.get("help") or "", short_help=entry.get("help") or None)
        stub.stub = True  # type: ignore[attr-defined]
        group.commands[name] = stub
        added.append((group, name))
    root.meta[STUBS_KEY] = added
    return True


def get_host(ctx: click.Context) -> Any:
    """The process's Host, created on first use from the config and `--config`."""
    from massgen_plugins.host import Host

    root = ctx.find_root()
    host = root.meta.get(HOST_KEY)
    if host is None:
        for group, name in root.meta.pop(STUBS_KEY, []):  # the real commands replace them
            group.commands.pop(name, None)
        host = Host.create(root.meta.get(CONFIG_KEY))
        root.meta[HOST_KEY] = host
        assert isinstance(root.command, click.Group)  # the root is always make_cli()'s group
        added = host.register_commands(root.command)
        if not host.problems:
            from massgen_plugins.cli import help_cache

            help_cache.save(root.meta.get(CONFIG_KEY), added)
    return host


def _remember_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[CONFIG_KEY] = value


def make_cli() -> click.Group:
    """A fresh `massgen-plugins` command tree; plugins add to it when it first needs them."""
    from massgen_plugins.cli import config, doctor, logs, plugins

    @click.group(cls=HostGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, "--version", prog_name="massgen-plugins")
    @click.option("--config", type=click.Path(dir_okay=False), is_eager=True,
                  expose_value=False, callback=_remember_config, metavar="PATH",
                  help="Read this config file last, over the user and project files.")
    def massgen() -> None:
        """MassGen's plugins: the bridge into MassGen, its run logs, and the plugins' commands.

        Plugins are found through the `massgen` entry-point group; see `massgen-plugins plugins list`.
        """

    massgen.add_command(plugins.group())
    massgen.add_command(config.group())
    massgen.add_command(logs.group())
    massgen.add_command(doctor.command())
    massgen.add_command(doctor.run_command())
    return massgen


def main(argv: Sequence[str] | None = None) -> None:
    """Run the `massgen-plugins` command line."""
    code: Any = 0
    try:
        make_cli().main(args=list(argv) if argv is not None else None, prog_name="massgen-plugins")
    except SystemExit as exc:
        code = exc.code
    except OSError as exc:
        if not _from_stdout(exc):
            raise
        _output_lost(exc)
    # Flushed here, not at exit: there, a full disk is a traceback Python prints itself.
    try:
        sys.stdout.flush()
    except OSError as exc:
        _output_lost(exc)
    sys.exit(code)


def _from_stdout(exc: OSError) -> bool:
    """True when `exc` was raised writing stdout: a stream on its descriptor is at hand in
    the frame that raised it (click's echo, Rich's console)."""
    try:
        out = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return False
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in frames[-3:]:
        for value in frame.f_locals.values():
            for stream in (value, getattr(value, "file", None)):
                try:
                    if stream is not None and stream.fileno() == out:
                        return True
                except Exception:  # anything without a usable fileno()
                    continue
    return False


def _output_lost(exc: OSError) -> None:
    """Stdout cannot be written (a full disk, a closed pipe): one line, exit 1."""
    import errno
    import os

    # What is still buffered goes nowhere, so that Python's own flush at exit says nothing.
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass
    if exc.errno != errno.EPIPE:  # a reader that stopped reading (`| head`) wants no message
        click.echo("massgen-plugins: error: cannot write to standard output "
                   f"({exc.strerror or type(exc).__name__})", err=True)
    sys.exit(1)
