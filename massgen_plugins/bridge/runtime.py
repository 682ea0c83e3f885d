"""The bridge inside a MassGen process: which MassGen this is, its seams, and the plugin host.

`activate()` runs once, when the process first imports `massgen` (see autoload/). It checks
MassGen's version and registers a post-import hook for each seam's module; each seam wraps its
MassGen functions as that module loads, or, when they are not what it was built against, is one
warning line and leaves MassGen as it is. The plugin host is made on first use, after MassGen
has read its run config, so that `plugins:` in `massgen --config run.yaml` switches plugins
for that run.

Nothing here may take MassGen down: every failure is reported once and MassGen carries on.
"""

from __future__ import annotations

import functools
import importlib.metadata as md
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

# The MassGen releases the bridge is proven with (`make matrix`, docs/massgen-versions.md) are
# this distribution's `massgen` extra, where installers read them too. Outside the range each
# seam is still checked before it is wrapped, and one warning says so.
DISTRIBUTION = "massgen-plugins"
EXTRA = "massgen"
PREFIX = "massgen-plugins"


@attrs.define
class SeamState:
    """One seam as this process sees it: waiting for its module, wrapped, or left alone."""

    name: str
    module: str
    targets: tuple[str, ...]
    status: str = "waiting"  # waiting | wrapped | partial | missing | failed | off
    detail: str = ""


@attrs.define
class Bridge:
    """The process's bridge: MassGen's version, the seams, the run config and the host."""

    massgen_version: str | None = None
    active: bool = False
    seams: dict[str, SeamState] = attrs.Factory(dict)
    run_config: Path | None = None
    host_error: str | None = None
    _host: Any = None
    _warned: set[str] = attrs.Factory(set)
    _lock: threading.RLock = attrs.Factory(threading.RLock)


BRIDGE = Bridge()


def version_tuple(text: str) -> tuple[int, ...]:
    """`0.1.97` as (0, 1, 97); a suffix such as `rc1` or `.dev3` is ignored."""
    import re

    match = re.match(r"\d+(?:\.\d+)*", text)
    return tuple(int(p) for p in match.group(0).split(".")) if match else ()


@functools.cache  # our installed metadata does not change within a process
def supported_range() -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """The MassGen versions of massgen-plugins' `massgen` extra (>=LOW,<=HIGH); None: unreadable."""
    import re

    try:
        requires = md.requires(DISTRIBUTION) or []
    except Exception:  # not installed as a distribution, or unreadable metadata
        return None
    for line in requires:
        requirement, _, marker = line.partition(";")
        if (re.match(r"\s*massgen\s*[<>=!~(]", requirement)
                and re.search(rf"""extra\s*==\s*['"]{EXTRA}['"]""", marker)):
            low = re.search(r">=\s*([\d.]+)", requirement)
            high = re.search(r"<=\s*([\d.]+)", requirement)
            if low and high:
                return version_tuple(low.group(1)), version_tuple(high.group(1))
    return None


def built_against() -> str:
    """The MassGen versions the bridge was built against, as the user reads them."""
    bounds = supported_range()
    if bounds is None:
        return f"(unknown: {DISTRIBUTION}'s metadata has no '{EXTRA}' extra to read)"
    low, high = (".".join(map(str, v)) for v in bounds)
    return f"{low} to {high}"


def known_version(version: str | None) -> bool:
    """True for a MassGen release inside the supported range (False when that is unknown)."""
    bounds = supported_range()
    if not version or bounds is None:
        return False
    return bounds[0] <= version_tuple(version)[:3] <= bounds[1]


def activate() -> None:
    """Start the bridge in this process: check MassGen's version, watch for each seam's module."""
    import wrapt

    from massgen_plugins.bridge.seams import SEAMS, absent, massgen_package, variant

    with BRIDGE._lock:
        if BRIDGE.active:
            return
        BRIDGE.active = True
        try:
            BRIDGE.massgen_version = md.version("massgen")
        except md.PackageNotFoundError:
            BRIDGE.massgen_version = None
        if not known_version(BRIDGE.massgen_version):
            warn(f"bridge: MassGen {BRIDGE.massgen_version or '(version unknown)'} is not a "
                 f"version this bridge was built against ({built_against()}); each seam is "
                 "checked before it is wrapped")
        package = massgen_package()
        for seam in SEAMS:
            chosen = variant(seam, package)
            if chosen is None:
                # A hook on a module MassGen does not have would never fire: say so now.
                BRIDGE.seams[seam.name] = SeamState(seam.name, seam.trigger, seam.labels,
                                                    "missing", absent(seam))
                warn(f"bridge: seam '{seam.name}' not found in MassGen "
                     f"{BRIDGE.massgen_version or '(version unknown)'}: {absent(seam)}; "
                     f"{seam.fallback}")
                continue
            BRIDGE.seams[seam.name] = SeamState(seam.name, chosen.trigger, chosen.labels)
            wrapt.register_post_import_hook(_on_import(chosen), chosen.trigger)


def _on_import(seam: Any) -> Callable[[Any], None]:
    from massgen_plugins.bridge.seams import SeamMissing

    def hook(module: Any) -> None:
        state = BRIDGE.seams[seam.name]
        try:
            seam.instrument()
        except SeamMissing as missing:
            state.status, state.detail = "missing", str(missing)
            warn(f"bridge: seam '{seam.name}' not found in MassGen "
                 f"{BRIDGE.massgen_version or '(version unknown)'}: {missing}; "
                 f"{seam.fallback}")
        except Exception as exc:
            state.status, state.detail = "failed", f"{type(exc).__name__}: {exc}"
            warn(f"bridge: seam '{seam.name}' could not be wrapped ({state.detail}); "
                 f"{seam.fallback}")
        else:
            state.status = "wrapped"
            try:
                lacking = seam.missing_uses()
            except Exception as exc:
                lacking = [f"{type(exc).__name__}: {exc}"]
            if lacking:
                state.status, state.detail = "partial", "; ".join(lacking)
                warn(f"bridge: seam '{seam.name}' in MassGen "
                     f"{BRIDGE.massgen_version or '(version unknown)'}: {state.detail}; "
                     f"{seam.uses_fallback}")
    return hook


def host() -> Any:
    """The plugin host of this MassGen run, made on first use; None when it cannot be made."""
    with BRIDGE._lock:
        if BRIDGE._host is None and BRIDGE.host_error is None:
            from massgen_plugins.config import Config
            from massgen_plugins.errors import MassgenError
            from massgen_plugins.host import Host

            try:
                BRIDGE._host = Host(Config.load(BRIDGE.run_config), echo=_echo)
            except MassgenError as exc:
                BRIDGE.host_error = exc.format_message()
                warn(f"bridge: {BRIDGE.host_error}; this run uses no plugins")
        return BRIDGE._host


def current_host() -> Any:
    """The plugin host if it has been made already, else None (never makes it)."""
    return BRIDGE._host


def _echo(line: str) -> None:
    """The host's own lines (already prefixed and masked), through MassGen's logging."""
    say(line, level="WARNING")


def warn(message: str) -> None:
    """One warning line, once per process, secrets masked."""
    line = f"{PREFIX}: warning: {message}"
    with BRIDGE._lock:
        if line in BRIDGE._warned:
            return
        BRIDGE._warned.add(line)
    say(line, level="WARNING")


def say(line: str, level: str = "INFO", console: bool = False) -> None:
    """Write a line where MassGen writes its own: massgen.log once logging is set up.

    Before that (seams load at import time), warnings go to stderr. `console` also puts an
    INFO line on stderr, except while MassGen's TUI owns the terminal. The line is made safe
    to show (secrets masked, controls visible): agent ids and messages come from configs.
    """
    from massgen_plugins.safe_text import shown

    line = shown(line)
    config = sys.modules.get("massgen.logger_config")
    if config is not None and getattr(config, "_MAIN_LOG_HANDLER_ID", None) is not None:
        config.logger.log(level, line)
        if console and level == "INFO" and not getattr(config, "_CONSOLE_SUPPRESSED", False):
            sys.stderr.write(line + "\n")
        return
    if level != "INFO" or console:
        sys.stderr.write(line + "\n")


def run_dir() -> Path | None:
    """The attempt directory MassGen is logging this run into, once it has one."""
    config = sys.modules.get("massgen.logger_config")
    if config is None or getattr(config, "_MAIN_LOG_HANDLER_ID", None) is None:
        return None  # asking earlier would make MassGen create a directory
    try:
        return Path(config.get_log_session_dir())
    except Exception:
        return None


def report() -> dict[str, Any]:
    """What the bridge did in this process, for `massgen-plugins doctor --live`."""
    host_ = BRIDGE._host
    return {
        "active": BRIDGE.active, "massgen_version": BRIDGE.massgen_version,
        "known_version": known_version(BRIDGE.massgen_version), "built_against": built_against(),
        "seams": [attrs.asdict(s) for s in BRIDGE.seams.values()],
        "run_config": None if BRIDGE.run_config is None else str(BRIDGE.run_config),
        "plugins": None if host_ is None else host_.enabled,
        "host_error": BRIDGE.host_error,
    }
