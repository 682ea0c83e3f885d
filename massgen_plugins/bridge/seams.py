"""The MassGen functions the bridge wraps ("seams"), and the checks made before wrapping one.

Each seam names the MassGen module whose import triggers it, the functions it wraps with the
parameters it relies on, and what MassGen does when the seam is missing (its own behaviour,
unchanged). The same table serves two checks: `resolve()` on the loaded module, just before
wrapping, and `check_source()` on MassGen's files without importing them (`massgen-plugins
doctor`, since `import massgen` takes over ten seconds). Wrapping uses wrapt, as
OpenTelemetry's instrumentations do; `uninstrument()` puts every original back.

A seam whose code sat elsewhere in older MassGen releases lists those places as `older`
variants; `variant()` picks, by the files of the installed MassGen, the one to wrap.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
from collections.abc import Callable
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Any

import attrs


class SeamMissing(Exception):
    """A MassGen function a seam wraps is absent or not what the seam was built against."""


@attrs.frozen
class Target:
    """One MassGen function a seam wraps: where it is, and the parameters the seam relies on."""

    module: str
    qualname: str  # "function" or "Class.method"
    params: tuple[str, ...]
    coroutine: bool = False

    def __str__(self) -> str:
        """`module.Class.method`."""
        return f"{self.module}.{self.qualname}"


@attrs.frozen
class Seam:
    """A place where the bridge reaches into MassGen."""

    name: str
    trigger: str  # the module whose import starts the seam; every target's module is loaded
    targets: tuple[Target, ...]
    fallback: str
    installer: str  # "module:function" taking the seam, raising SeamMissing
    hooks: tuple[str, ...] = ()  # the plugin hooks it calls
    # MassGen functions the seam calls (never wraps) to do better when they are there; without
    # them it still works, as `uses_fallback` says.
    uses: tuple[Target, ...] = ()
    uses_fallback: str = ""
    # The same seam where older MassGen releases had its code, newest first.
    older: tuple[Seam, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        """The targets as the user reads them."""
        return tuple(map(str, self.targets))

    def missing_uses(self) -> list[str]:
        """Why each of the functions it uses is unavailable in this process (none: all there)."""
        problems = []
        for target in self.uses:
            try:
                resolve(target)
            except SeamMissing as missing:
                problems.append(str(missing))
        return problems

    def instrument(self) -> None:
        """Check every target, then wrap them."""
        where, _, function = self.installer.partition(":")
        getattr(importlib.import_module(where), function)(self)


_RESPONSE = "massgen.backend.response"
_BASE = "massgen.backend.base_with_custom_tool_and_mcp"
_RECOVER = ("messages", "buffer_content")

_RUN_CONFIG_FALLBACK = ("plugins: in the run config given with --config is not read (the user "
                        "and project files still are)")
SEAMS: tuple[Seam, ...] = (
    Seam("run_config", "massgen.cli.config_loading",
         (Target("massgen.cli.config_loading", "load_config_file", ("config_path",)),),
         _RUN_CONFIG_FALLBACK, "massgen_plugins.bridge.run_config:instrument",
         # Before 0.1.93 the CLI was one module, massgen/cli.py, whose main() calls
         # load_config_file by its module-level name.
         older=(Seam("run_config", "massgen.cli",
                     (Target("massgen.cli", "load_config_file", ("config_path",)),),
                     _RUN_CONFIG_FALLBACK, "massgen_plugins.bridge.run_config:instrument"),)),
    Seam("compression", _RESPONSE,
         (Target(_RESPONSE, "ResponseBackend._compress_messages_for_context_recovery", _RECOVER,
                 coroutine=True),
          Target(_RESPONSE, "ResponseBackend._create_response_stream", ("api_params",),
                 coroutine=True),
          Target(_BASE, "CustomToolAndMCPBackend._compress_messages_for_context_recovery",
                 _RECOVER, coroutine=True)),
         "MassGen's own summarization handles every context overflow",
         "massgen_plugins.bridge.compression:instrument", ("compress_context",)),
)

_TUI = "massgen.frontend.displays.textual_terminal_display"
_TIMELINE = "massgen.frontend.displays.textual_widgets.content_sections"
SEAMS += (
    Seam("tui", _TUI,
         (Target(_TUI, "TextualApp._handle_event_from_emitter", ("event",)),
          Target(_TUI, "TextualApp.update_turn_header", ("turn", "question")),
          Target(_TUI, "TextualApp.on_unmount", ()),
          Target(_TIMELINE, "TimelineSection.watch_scroll_y", ("old_value", "new_value")),
          Target(_TIMELINE, "TimelineSection._scroll_to_end", ("animate", "duration", "force"))),
         "MassGen's TUI gets its events unthrottled, as without the bridge",
         "massgen_plugins.bridge.tui:instrument", ("wrap_event_sink",),
         # How MassGen cleans each delta, so that merged deltas show as they would one by one
         # (bridge/tui_render.py).
         uses=(Target("massgen.frontend.displays.content_processor",
                      "ContentProcessor.process_event", ("event", "round_number")),
               Target("massgen.frontend.displays.tui_event_pipeline",
                      "_sanitize_textual_retry_text", ("text",)),
               Target("massgen.frontend.displays.textual_widgets.collapsible_text_card",
                      "CollapsibleTextCard._clean_content", ("content",))),
         uses_fallback="event sinks pace MassGen's TUI but merge no deltas"),
)

_LOGS = "massgen.logs_analyzer"
SEAMS += (
    Seam("logs_cli", _LOGS,
         (Target(_LOGS, "logs_command", ("args",)),
          # MassGen builds its `massgen logs` parser inline; only that parser (by its prog)
          # is touched.
          Target("argparse", "ArgumentParser.parse_args", ("args", "namespace"))),
         "`massgen logs` has only MassGen's own commands and options",
         "massgen_plugins.cli.massgen_logs:instrument",
         ("register_commands", "resolve_analysis_model")),
)

_WRAPPED: list[tuple[Any, str, Any]] = []


def resolve(target: Target) -> tuple[Any, str]:
    """The loaded owner (module or class) and attribute name of `target`, checked; or SeamMissing."""
    module = sys.modules.get(target.module)
    if module is None:
        try:  # a module MassGen loads with the trigger's, not yet in this process
            module = importlib.import_module(target.module)
        except ImportError:
            raise SeamMissing(f"{target.module} cannot be imported") from None
    *path, name = target.qualname.split(".")
    owner: Any = module
    for part in path:
        owner = getattr(owner, part, None)
        if not isinstance(owner, type):
            raise SeamMissing(f"{target.module}.{part} is not a class")
    function = inspect.getattr_static(owner, name, None)
    function = getattr(function, "__wrapped__", function)
    if function is None or not callable(function):
        raise SeamMissing(f"{target} does not exist")
    if target.coroutine and not inspect.iscoroutinefunction(function):
        raise SeamMissing(f"{target} is no longer a coroutine function")
    names = [p for p in inspect.signature(function).parameters if p != "self"]
    _check_params(target, names)
    return owner, name


def _check_params(target: Target, names: list[str]) -> None:
    if tuple(names[:len(target.params)]) != target.params:
        raise SeamMissing(f"{target} takes ({', '.join(names)}), not "
                          f"({', '.join(target.params)})")


def massgen_package() -> Path | None:
    """The folder of the installed `massgen` package, found without importing it."""
    # PathFinder, not importlib.util.find_spec: no meta-path finder (the bridge's) is asked,
    # and no parent package is imported.
    spec = PathFinder.find_spec("massgen")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def source_file(module: str, package: Path) -> Path:
    """The file of MassGen module `module` under `package` (it may not exist)."""
    relative = Path(*module.split(".")[1:])
    path = package / relative.with_suffix(".py")
    return path if path.is_file() else package / relative / "__init__.py"


def variant(seam: Seam, package: Path | None) -> Seam | None:
    """The variant of `seam` whose trigger module the MassGen under `package` has; None: none.

    With no package folder to look in (an unusual install), the newest variant is tried.
    """
    if package is None:
        return seam
    return next((v for v in (seam, *seam.older) if source_file(v.trigger, package).is_file()),
                None)


def absent(seam: Seam) -> str:
    """Why a seam with no variant in the installed MassGen is missing."""
    return f"no module {' or '.join(v.trigger for v in (seam, *seam.older))} in this MassGen"


def check_source(target: Target, package: Path) -> str | None:
    """Why `target` is missing from MassGen's source under `package`, or None when it is there."""
    if target.module.split(".")[0] != "massgen":
        return None  # the standard library's: here whatever MassGen does
    path = source_file(target.module, package)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError) as exc:
        return f"{target.module} cannot be read ({type(exc).__name__})"
    body: list[ast.stmt] = tree.body
    *path_, name = target.qualname.split(".")
    for part in path_:
        # A class may sit inside `if TEXTUAL_AVAILABLE:` or `try:`: search the whole module.
        cls = next((n for n in ast.walk(ast.Module(body=body, type_ignores=[]))
                    if isinstance(n, ast.ClassDef) and n.name == part), None)
        if cls is None:
            return f"{target.module}.{part} does not exist"
        body = cls.body
    found = [n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
             and n.name == name]
    if not found:
        return f"{target} does not exist"
    node = found[-1]  # the last definition wins, as at run time
    if target.coroutine and not isinstance(node, ast.AsyncFunctionDef):
        return f"{target} is no longer a coroutine function"
    args = node.args
    names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs] if a.arg != "self"]
    try:
        _check_params(target, names)
    except SeamMissing as missing:
        return str(missing)
    return None


def wrap(owner: Any, name: str, wrapper: Callable[..., Any]) -> None:
    """Wrap `owner.name` with a wrapt wrapper `(wrapped, instance, args, kwargs)`."""
    import wrapt

    original = inspect.getattr_static(owner, name)
    _WRAPPED.append((owner, name, original))
    wrapt.wrap_function_wrapper(owner, name, wrapper)


def uninstrument() -> None:
    """Put back every MassGen function the bridge wrapped in this process."""
    while _WRAPPED:
        owner, name, original = _WRAPPED.pop()
        setattr(owner, name, original)
