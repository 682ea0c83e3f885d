"""Seam `logs_cli`: the commands plugins add to our `logs` group, inside MassGen's `massgen logs`.

MassGen 0.1.97 parses `massgen logs ...` with an argparse parser built inline in `cli_main`
(prog "massgen logs") and hands the result to `massgen.logs_analyzer.logs_command(args)`. The
bridge extends that parser as it parses, and dispatches in `logs_command`:

- `analyze` gains the options of our `logs analyze` it lacks (`--model`, `--compare`, ...) and
  our modes (`report`). `--mode report`, `--mode self` with any of our options, and our
  options without `--mode` (then in our default mode, `report`) run our command, with
  MassGen's `--log-dir`, `--turn` and `--force` keeping their meaning (the default log dir is
  MassGen's latest). `--mode prompt`, no `--mode` at all, and `--mode self` without our
  options stay MassGen's. What neither can run is refused in one line naming the options as
  the user types them.
- a command of our `logs` group that MassGen lacks (`models`) becomes `massgen logs models`.

Every other `massgen logs` command is MassGen's, unchanged. The commands are the enabled
plugins': with log_analyzer switched off, nothing is added.
"""

from __future__ import annotations

import argparse
from typing import Any

from massgen_plugins.bridge import runtime
from massgen_plugins.bridge.seams import Seam, resolve, wrap

PROG = "massgen logs"
DEST = "massgen_plugins__"  # our options' argparse dests, apart from MassGen's
MODE = "mode"
_ARGUMENTS: set[str] = set()  # our commands' positional arguments, by click name
_SPELLING: dict[str, str] = {}  # our options by click name: how the user types each
# MassGen's --mode defaults to None while we parse, so that an untyped one shows; its own
# default (prompt) goes back before MassGen sees the namespace. Ours: our command's default.
_MODE_DEFAULTS: dict[str, Any] = {}


def instrument(seam: Seam) -> None:
    """Wrap MassGen's logs dispatch and, for its parser only, argparse's parse_args."""
    dispatch, parse = (resolve(t) for t in seam.targets)
    wrap(*dispatch, _dispatch)
    wrap(*parse, _extend)


def _group() -> Any:
    """Our `logs` click group with the enabled plugins' commands; None without a host."""
    from massgen_plugins.cli import make_cli

    host = runtime.host()
    if host is None:
        return None
    cli = make_cli()
    host.register_commands(cli)
    return cli.commands.get("logs")


def _extend(wrapped: Any, parser: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if getattr(parser, "prog", None) == PROG and not getattr(parser, "_massgen_plugins", False):
        parser._massgen_plugins = True
        try:
            _add_ours(parser)
        except Exception as exc:  # a parser we do not recognise: MassGen's, as it is
            runtime.warn(f"bridge: cannot add our commands to `massgen logs` ({exc}); "
                         "MassGen's own are unchanged")
    return wrapped(*args, **kwargs)


def _add_ours(parser: argparse.ArgumentParser) -> None:
    group = _group()
    if group is None:
        return
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in group.commands.items():
        if name == "analyze" and "analyze" in subparsers.choices:
            _mirror(command, subparsers.choices["analyze"], skip={"log_dir", "logs_dir"})
        elif name not in subparsers.choices:
            child = subparsers.add_parser(name, help=command.get_short_help_str(80),
                                          description=command.help)
            _mirror(command, child, skip={"logs_dir"})


def _mirror(command: Any, parser: argparse.ArgumentParser, skip: set[str]) -> None:
    """Add `command`'s click params that `parser` lacks; widen a shared --mode's choices."""
    import click

    for param in command.params:
        if param.name in skip or not isinstance(param, (click.Option, click.Argument)):
            continue
        if isinstance(param, click.Argument):
            _ARGUMENTS.add(param.name)
            parser.add_argument(DEST + param.name, nargs="?", default=None,
                                metavar=param.human_readable_name)
            continue
        opts = [o for o in (*param.opts, *param.secondary_opts) if o.startswith("-")]
        existing = [parser._option_string_actions[o] for o in opts
                    if o in parser._option_string_actions]
        if existing:
            action = existing[0]
            if isinstance(param.type, click.Choice) and action.choices is not None:
                extra = [c for c in param.type.choices if c not in action.choices]
                action.choices = [*action.choices, *extra]
                if extra and action.help:
                    action.help += f"; with massgen-plugins also: {', '.join(extra)}"
            if param.name == MODE and action.dest == MODE:
                _MODE_DEFAULTS.update(massgen=action.default, ours=param.default)
                action.default = None
            continue
        _SPELLING[param.name] = next((o for o in opts if o.startswith("--")), opts[0])
        spec: dict[str, Any] = {"dest": DEST + param.name, "help": param.help,
                                "default": None}
        if param.is_flag:
            spec["action"] = "store_true"
            spec["default"] = False
        else:
            if isinstance(param.type, click.Choice):
                spec["choices"] = list(param.type.choices)
            elif isinstance(param.type, (click.types.FloatParamType, click.types.FloatRange)):
                spec["type"] = float
            elif isinstance(param.type, (click.types.IntParamType, click.types.IntRange)):
                spec["type"] = int
            spec["metavar"] = param.metavar
        parser.add_argument(*opts, **spec)


def _dispatch(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    namespace = args[0] if args else kwargs.get("args")
    try:
        argv = ours(namespace)
    except _Refused as refused:
        import click

        click.echo(f"{runtime.PREFIX}: error: {refused}", err=True)
        return 2
    if argv is None:
        if _MODE_DEFAULTS and getattr(namespace, MODE, "") is None:
            setattr(namespace, MODE, _MODE_DEFAULTS["massgen"])
        return wrapped(*args, **kwargs)
    return run_ours(argv)


class _Refused(Exception):
    """A combination of options neither MassGen nor we can run."""


def _given(namespace: Any) -> dict[str, Any]:
    """Our options the user gave: name -> value."""
    return {k[len(DEST):]: v for k, v in vars(namespace).items()
            if k.startswith(DEST) and v not in (None, False)}


def ours(namespace: Any) -> list[str] | None:
    """Our command line for this `massgen logs` invocation, or None when it is MassGen's."""
    command = getattr(namespace, "logs_command", None)
    given = _given(namespace)
    if command != "analyze":
        if command is None or not any(k.startswith(DEST) for k in vars(namespace)):
            return None  # one of MassGen's own commands
        positional = [str(v) for k, v in given.items() if k in _ARGUMENTS]
        return ["logs", command, *positional, *_flags(given, skip=_ARGUMENTS)]
    mode = getattr(namespace, MODE, None)
    if mode is None and given:  # our options without --mode: our command's default mode
        mode = _MODE_DEFAULTS.get("ours", "report")
    if mode == "report" or (mode == "self" and given):
        if getattr(namespace, "config", None):
            raise _Refused(f"--config (MassGen's own analysis config) does not go with "
                           f"{', '.join(_typed(given)) or '--mode ' + mode}; drop one of them")
        argv = ["logs", "analyze", _log_dir(namespace), "--mode", mode]
        if getattr(namespace, "turn", None):
            argv += ["--turn", str(namespace.turn)]
        if getattr(namespace, "force", False):
            argv.append("--force")
        if mode == "self":
            argv += ["--ui", getattr(namespace, "ui", None) or "automation"]
        return argv + _flags(given, skip=_ARGUMENTS)
    if given:
        typed = _typed(given)
        verb, them = ("applies", "it") if len(typed) == 1 else ("apply", "them")
        raise _Refused(f"{', '.join(typed)} {verb} to --mode report and --mode self, not to "
                       f"MassGen's own --mode {mode}; drop {them}, or choose one of those modes")
    return None


def _typed(given: dict[str, Any]) -> list[str]:
    """Our options the user gave, as they typed them: `--model`, `--dry-run`."""
    return [_SPELLING[name] for name in given if name not in _ARGUMENTS]


def _flags(given: dict[str, Any], skip: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Our options back as command-line words, under their click spelling."""
    out: list[str] = []
    for name, value in given.items():
        if name in skip:
            continue
        flag = _SPELLING[name]
        out += [flag] if value is True else [flag, str(value)]
    return out


def _log_dir(namespace: Any) -> str:
    """MassGen's --log-dir, or as MassGen chooses: the latest log_* of its own logs dir."""
    if getattr(namespace, "log_dir", None):
        return str(namespace.log_dir)
    from massgen.logs_analyzer import get_logs_dir

    base = get_logs_dir()
    found = sorted(base.glob("log_*"), reverse=True)
    return str(found[0] if found else base)


def run_ours(argv: list[str]) -> int:
    """Run our command line in this process; its exit code."""
    import click

    from massgen_plugins.cli import make_cli

    try:
        result = make_cli().main(args=argv, prog_name="massgen-plugins", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except Exception as exc:  # our bug: one line, not a traceback in MassGen's CLI
        click.echo(f"{runtime.PREFIX}: error: `{' '.join(argv)}` failed "
                   f"({type(exc).__name__}: {exc}); please report it", err=True)
        return 1
    return result if isinstance(result, int) else 0
