"""`massgen-plugins doctor` and `massgen-plugins run`: is the bridge into MassGen at work, and how.

`doctor` answers without importing MassGen (that takes over ten seconds): it finds MassGen's
package, reads its version, looks for the bridge's start-up hook, and checks every seam in
MassGen's source. `--live` imports MassGen in a child process with the bridge on and reports
what was actually wrapped.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from massgen_plugins.cli import get_host
from massgen_plugins.cli.output import emit_json

PTH = "massgen_plugins_bridge.pth"
BOOTSTRAP = "_massgen_plugins_bridge"
ENV = "MASSGEN_PLUGINS_BRIDGE"
LIVE_MARK = "MASSGEN_PLUGINS_DOCTOR "


def installed_hook() -> Path | None:
    """The bridge's .pth file, where the interpreter will find it at start-up."""
    for entry in sys.path:
        candidate = Path(entry or ".") / PTH
        if candidate.is_file():
            return candidate
    return None


def bridge_switch(value: str | None) -> tuple[bool, str | None]:
    """What MASSGEN_PLUGINS_BRIDGE=value does: on or off, and the warning for a value unknown."""
    import importlib

    try:  # the start-up module is the one definition of the values it takes
        startup = importlib.import_module("massgen_plugins.bridge.autoload._massgen_plugins_bridge")
    except ImportError:  # a wheel moves it to the top of site-packages
        startup = importlib.import_module("_massgen_plugins_bridge")
    on, warning = startup.switch(value)
    return bool(on), warning


def diagnose(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """What `doctor --json` prints, without importing MassGen."""
    from massgen_plugins.bridge.runtime import built_against, known_version
    from massgen_plugins.bridge.seams import SEAMS, absent, check_source, massgen_package, variant
    from massgen_plugins.entry_points import installed_version

    env = os.environ if environ is None else environ
    package = massgen_package()
    version = installed_version("massgen")
    pth = installed_hook()
    on, unknown = bridge_switch(env.get(ENV))
    if package is None:
        active, why = False, "MassGen is not installed in this environment"
    elif not on:
        active, why = False, f"switched off: {ENV}={env.get(ENV)}"
    elif pth is None:
        active, why = False, (f"no {PTH} on this interpreter's path (an install that skipped "
                              "it?); start runs with `massgen-plugins run -- massgen ...`")
    else:
        active, why = True, f"starts in every massgen process ({pth})"
        if unknown:
            why += f"; {unknown}"
    seams = []
    for newest in SEAMS:
        seam = variant(newest, package)
        if seam is None:  # a hook on a module this MassGen lacks would never fire
            seam, problems, lacking = newest, [absent(newest)], []
        else:
            # Several targets in one missing class or module say the same: once each.
            problems = list(dict.fromkeys(
                p for t in seam.targets if (p := check_source(t, package)))) if package else []
            lacking = list(dict.fromkeys(
                p for t in seam.uses if (p := check_source(t, package)))) if package else []
        status = ("not checked" if package is None else "missing" if problems
                  else "partial" if lacking else "ok")
        seams.append({"name": seam.name, "targets": list(seam.labels), "status": status,
                      "detail": "; ".join(problems or lacking), "fallback": seam.fallback,
                      "hooks": list(seam.hooks), "uses": [str(t) for t in seam.uses],
                      "uses_fallback": seam.uses_fallback})
    return {"massgen": {"found": package is not None, "version": version,
                        "path": None if package is None else str(package),
                        "known_version": known_version(version),
                        "built_against": built_against()},
            "bridge": {"active": active, "why": why, "hook": None if pth is None else str(pth),
                       "checked": "source"},
            "seams": seams}


def live(timeout: float) -> dict[str, Any]:
    """The bridge's own report from a child process that imports MassGen with the bridge on."""
    from massgen_plugins.bridge.seams import SEAMS, massgen_package, variant

    package = massgen_package()
    # Only the modules this MassGen has: a missing seam is reported by the bridge itself.
    modules = sorted({t.module for s in SEAMS if (v := variant(s, package))
                      for t in v.targets})
    # A module that fails to import leaves its seam waiting: the report says why.
    code = (f"import {BOOTSTRAP}, importlib, json\n{BOOTSTRAP}.install()\nfailed = {{}}\n"
            f"for m in {modules!r}:\n"
            "    try:\n        importlib.import_module(m)\n"
            "    except Exception as e:\n        failed[m] = f'{type(e).__name__}: {e}'\n"
            "from massgen_plugins.bridge import runtime\n"
            f"print({LIVE_MARK!r} + json.dumps({{**runtime.report(), 'import_errors': failed}}))\n")
    env = {**os.environ, ENV: "1"}
    import subprocess  # here, not at the top: it is a tenth of `massgen-plugins --help`

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=timeout)
    for out in done.stdout.splitlines():
        if out.startswith(LIVE_MARK):
            report: dict[str, Any] = json.loads(out[len(LIVE_MARK):])
            return report
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    raise click.ClickException(f"importing MassGen with the bridge failed: {last}")


def command() -> click.Command:
    """The `massgen-plugins doctor` command."""

    @click.command()
    @click.option("--live", "go_live", is_flag=True,
                  help="Import MassGen (10 s or more) with the bridge on and report what it wrapped.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (stable keys).")
    @click.option("--verbose", "-v", is_flag=True,
                  help="Also show the MassGen functions each seam wraps and uses.")
    @click.pass_context
    def doctor(ctx: click.Context, go_live: bool, as_json: bool, verbose: bool) -> None:
        """Show MassGen and its version, whether the bridge is active and why, and each seam.

        JSON: {"massgen": {"found", "version", "path", "known_version", "built_against"},
        "bridge": {"active", "why", "hook", "checked"}, "seams": [{"name", "targets", "status",
        "detail", "fallback", "hooks", "uses", "uses_fallback", "plugins"}],
        "notes": [{"plugin", "note"}]}
        """
        report = diagnose()
        if go_live and report["massgen"]["found"]:
            found = live(timeout=300)
            seen = {s["name"]: s for s in found["seams"]}
            report["bridge"]["checked"] = "live"
            for seam in report["seams"]:
                state = seen.get(seam["name"], {})
                seam["status"] = {"wrapped": "ok"}.get(state.get("status"), state.get("status"))
                seam["detail"] = state.get("detail", "")
                error = found.get("import_errors", {}).get(state.get("module"))
                if seam["status"] == "waiting" and error:
                    seam["detail"] = f"MassGen's {state['module']} does not import: {error}"
        host = get_host(ctx)
        for seam in report["seams"]:
            seam["plugins"] = sorted({name for hook in seam["hooks"]
                                      for name in host.implementers(hook)})
        report["notes"] = [{"plugin": name, "note": str(note)}
                           for name, notes in host.call_all("doctor_notes",
                                                            backends=backends(host.config))
                           if isinstance(notes, (list, tuple)) for note in notes]
        if as_json:
            emit_json(report)
            return
        show(report, verbose)

    return doctor


def backends(config: Any) -> list[dict[str, Any]]:
    """The MassGen agents' backend sections in the config files read (`--config` too)."""
    from massgen_plugins.config import plain

    found = []
    for _, data in config.raw:
        agents = data.get("agents")
        agents = [data.get("agent")] if agents is None else agents
        for agent in agents if isinstance(agents, list) else []:
            backend = agent.get("backend") if isinstance(agent, dict) else None
            if isinstance(backend, dict):
                found.append(plain(backend))
    return found


def show(report: dict[str, Any], verbose: bool = False) -> None:
    """The report for a person, fitted to the terminal: a line per fact, a line per seam.

    `verbose` adds what each seam wraps and uses, and what MassGen does without it; a seam that
    is not ok always says why and what MassGen does instead.
    """
    from massgen_plugins.cli.output import echo_fitted

    def echo(line: str, indent: int = 9) -> None:
        # Versions, paths and notes come from installed metadata and configs: shown safely.
        echo_fitted(line, indent)

    mg, bridge = report["massgen"], report["bridge"]
    if mg["found"]:
        known = "" if mg["known_version"] else " (outside the supported range)"
        echo(f"MassGen  {mg['version']}{known} at {mg['path']}")
        echo(f"         the bridge supports MassGen {mg['built_against']}")
    else:
        echo("MassGen  not installed here: the bridge has nothing to do")
    echo(f"Bridge   {'active' if bridge['active'] else 'inactive'}: {bridge['why']}")
    seams = report["seams"]
    if not mg["found"]:
        echo(f"Seams    not checked without MassGen ({', '.join(s['name'] for s in seams)})")
    else:
        how = ("as wrapped in a MassGen process" if bridge["checked"] == "live"
               else "checked in MassGen's source; --live imports it")
        echo(f"Seams    ({how})")
        for seam in seams:
            users = (", ".join(seam["plugins"]) or "no enabled plugin") if seam["hooks"] else ""
            calls = f"{', '.join(seam['hooks'])}: {users}" if seam["hooks"] else ""
            echo(f"  {seam['name']:<12} {seam['status']:<8} {calls}".rstrip(), indent=24)
            if seam["detail"]:
                echo(f"    why: {seam['detail']}", indent=6)
            if seam["status"] not in ("ok",) or verbose:
                if verbose:
                    for target in seam["targets"]:
                        echo(f"    wraps {_where(target)}", indent=10)
                    for target in seam.get("uses", []):
                        echo(f"    uses  {_where(target)}", indent=10)
                echo(f"    without it: {seam['fallback']}", indent=6)
                if seam.get("uses") and (verbose or seam["status"] == "partial"):
                    echo(f"    without what it uses: {seam['uses_fallback']}", indent=6)
    for note in report.get("notes", []):
        echo(f"Note     {note['plugin']}: {note['note']}")


def _where(target: str) -> str:
    """`module.Class.method` as `Class.method (in module)`, so a narrow terminal breaks it."""
    parts = target.removeprefix("massgen.").split(".")
    cut = next((i for i, p in enumerate(parts) if p[:1].isupper()), len(parts) - 1)
    return f"{'.'.join(parts[cut:])} (in {'.'.join(parts[:cut])})"


def run_command() -> click.Command:
    """The `massgen-plugins run` command."""

    @click.command(context_settings={"ignore_unknown_options": True,
                                     "allow_interspersed_args": False})
    @click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
    def run(argv: tuple[str, ...]) -> None:
        """Run a command (`massgen ...`) with the bridge on, in it and in its children.

        For an environment where the automatic start is switched off (MASSGEN_PLUGINS_BRIDGE=0)
        or not installed: `massgen-plugins run -- massgen --config run.yaml "question"`.
        """
        from massgen_plugins import bridge

        # Its sitecustomize starts the bridge where .pth files are not read (an install into
        # a PYTHONPATH folder); elsewhere MASSGEN_PLUGINS_BRIDGE=1 alone does it.
        folder = str(Path(bridge.__file__).parent / "autoload")
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, ENV: "1",
               "PYTHONPATH": folder + (os.pathsep + path if path else "")}
        try:
            os.execvpe(argv[0], list(argv), env)
        except OSError as exc:
            from massgen_plugins.errors import UsageError

            raise UsageError(f"cannot run {argv[0]!r}: {exc.strerror}; check the command") from None

    return run
