"""Starts the massgen-plugins bridge when a process imports MassGen, and does nothing else.

`massgen_plugins_bridge.pth` imports this module and calls `install()` at every interpreter
start in an environment where massgen-plugins is installed (and `massgen-plugins run` does,
through its sitecustomize). So it imports nothing but `os` and `sys` and costs a fraction of a
millisecond: it puts a finder on `sys.meta_path` that finds nothing, notices the first
`import massgen`, steps aside, and only then loads the bridge (which wraps MassGen's seams as
their modules load).

MASSGEN_PLUGINS_BRIDGE switches it: ON and OFF below are the values it takes, case-blind (the
one definition: `massgen-plugins doctor` reads them from here). Unset or empty is on; any
other value is one warning when MassGen is imported, and the bridge stays on, the default.

PYTEST_DONT_REWRITE: pytest marks every module of a distribution with a pytest11 plugin (ours
has the emulator fixture) for assertion rewriting, and warns in every test session when one is
already imported; this one always is, and holds no assertions.
"""

import os
import sys

ENV = "MASSGEN_PLUGINS_BRIDGE"
ON = ("1", "on", "true", "yes", "enabled")
OFF = ("0", "off", "false", "no", "disabled")
DEFAULT = True


def switch(value: "str | None") -> "tuple[bool, str | None]":
    """(whether the bridge is on, a warning or None) for a value of MASSGEN_PLUGINS_BRIDGE."""
    word = (value or "").strip().lower()
    if not word or word in ON:
        return True, None
    if word in OFF:
        return False, None
    return DEFAULT, (f"{ENV}={value!r} is not one of {', '.join(ON)} (on) or "
                     f"{', '.join(OFF)} (off); the bridge stays on, the default")


class MassgenWatcher:
    """A meta-path finder that finds nothing: it starts the bridge when `massgen` is imported."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        """Start the bridge on `import massgen`; return None so the real finders load it."""
        if name == "massgen" and _exists():
            uninstall()
            start()
        return


def _exists() -> bool:
    # A bare lookup (importlib.util.find_spec("massgen"), as `massgen-plugins doctor` makes)
    # in an environment without MassGen must not start anything.
    from importlib.machinery import PathFinder

    return PathFinder.find_spec("massgen") is not None


def start() -> None:
    """Load the bridge; any failure is one warning and MassGen runs as it would without us."""
    warning = switch(os.environ.get(ENV))[1]
    if warning:
        sys.stderr.write(f"massgen-plugins: warning: {warning}\n")
    try:
        from massgen_plugins.bridge import runtime

        runtime.activate()
    except Exception as exc:
        sys.stderr.write(f"massgen-plugins: warning: the bridge did not start "
                         f"({type(exc).__name__}: {exc}); MassGen runs without plugins\n")


def install() -> None:
    """Watch for `import massgen`, unless switched off or already watching."""
    if not switch(os.environ.get(ENV))[0]:
        return
    if "massgen" in sys.modules:  # imported before us (a late sitecustomize): start now
        start()
        return
    if not any(type(f).__name__ == "MassgenWatcher" for f in sys.meta_path):
        sys.meta_path.insert(0, MassgenWatcher())


def uninstall() -> None:
    """Stop watching (the bridge, once started, stays)."""
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "MassgenWatcher"]
