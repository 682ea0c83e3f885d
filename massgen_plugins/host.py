"""The host: config plus loaded plugins, and hook calls that a misbehaving plugin cannot break."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import click
import pluggy

from massgen_plugins import plugins as discovery
from massgen_plugins.config import ENABLED, PLUGINS, Config
from massgen_plugins.deadline import call_with_deadline
from massgen_plugins.errors import MassgenError, PluginError
from massgen_plugins.values import PluginContext, Setting

if TYPE_CHECKING:
    from massgen_plugins.events.classes import Classifier
    from massgen_plugins.events.sink import EventSink

STRICT_ENV = "MASSGEN_STRICT_PLUGINS"
SINK_METHODS = ("emit", "flush", "close")
DEADLINES = "deadlines"
# Seconds, per hook (config: `deadlines.<hook>`). Building the TUI's chain takes each plugin a
# few milliseconds (importing its sink module, starting a thread); meanwhile the TUI's events
# wait for it, so a hung plugin costs the first events this long, once. `event_sink`: one
# call into the chain it built (emit, flush, close), and how long an event it took may wait
# before it reaches the TUI: tui_throttle holds an event at most 0.3 s, and a full garbage
# collection in a MassGen process stops every thread for up to 0.75 s.
DEFAULT_DEADLINES = {"wrap_event_sink": 3.0, "event_sink": 2.0,
                     # An import pulls in the plugin's SDKs: seconds on a cold disk.
                     "import": 30.0,
                     # Above compact_openai's own worst case (timeout_s 60, retry_budget_s 20):
                     # a working compaction is never cut short; a hung one costs its agent
                     # two minutes, once (the plugin is not asked again).
                     "compress_context": 120.0,
                     # Hooks that read settings or wire objects together: no network by
                     # contract; resolving a model may look a key or a catalog up.
                     "plugin_settings": 10.0, "register_commands": 10.0,
                     "compression_settings": 10.0, "doctor_notes": 10.0,
                     "resolve_analysis_model": 30.0}


class Host:
    """What MassGen core holds once per process: the config and the enabled plugins."""

    def __init__(self, config: Config, environ: Mapping[str, str] | None = None,
                 echo: Callable[[str], None] | None = None) -> None:
        """Discover, switch and load the plugins named by entry points, after `config` is read."""
        self.config = config
        self._reported = 0
        self.environ = dict(os.environ if environ is None else environ)
        self.strict = self.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes"}
        self._echo = echo or (lambda line: click.echo(line, err=True))
        self.pm: pluggy.PluginManager = discovery.new_manager()
        self.records, conflicts = discovery.discover()
        for line in [*config.warnings, *conflicts]:
            self.report(f"massgen-plugins: warning: {line}")
        self._switch()
        self._stalled: set[tuple[str, str]] = set()  # (plugin, hook) calls that timed out
        discovery.load(self.pm, self.records, self.warn, self.deadline("import"))
        self._contexts: dict[str, PluginContext] = {}
        self._load_settings()

    @classmethod
    def create(cls, config_path: str | os.PathLike[str] | None = None,
               environ: Mapping[str, str] | None = None) -> Host:
        """Read the config (and `--config PATH`), then load the plugins."""
        return cls(Config.load(config_path, environ), environ)

    # -- switches and settings ---------------------------------------------------------------

    def _switch(self) -> None:
        switches, unknown = discovery.env_switches([r.name for r in self.records], self.environ)
        for line in unknown:
            self.report(f"massgen-plugins: warning: {line}")
        for record in self.records:
            key = f"{PLUGINS}.{record.name}.{ENABLED}"
            if record.name in switches:
                enabled, source = switches[record.name]
                self.config.set(key, enabled, source)
            record.enabled = self.config.get(key, True) is not False
            record.disabled_by = None if record.enabled else self.config.source(key)

    def _load_settings(self) -> None:
        for record in self.records:
            if not record.loaded:
                continue
            schema: dict[str, Setting] = {}
            for _, declared in self.call_all("plugin_settings", only=record.name):
                if isinstance(declared, Mapping) and all(
                        isinstance(v, Setting) for v in declared.values()):
                    schema.update(declared)
                elif declared is not None:
                    self.warn(record.name, "plugin_settings returned "
                              f"{type(declared).__name__}, not a mapping of Setting; ignored")
            values = self.config.plugin_settings(record.name, schema, self.environ)
            prefix = f"{PLUGINS}.{record.name}."
            sources = {k[len(prefix):]: v for k, v in self.config.sources.items()
                       if k.startswith(prefix)}
            core = {k: v for k, v in self.config.values.items() if k != PLUGINS}
            self._contexts[record.name] = PluginContext(name=record.name, settings=values,
                                                        sources=sources, core=core)

    def context(self, name: str) -> PluginContext:
        """The context handed to plugin `name`: its own validated settings."""
        return self._contexts.get(name) or PluginContext(name=name)

    @property
    def enabled(self) -> list[str]:
        """The names of the plugins that are switched on and loaded."""
        return [r.name for r in self.records if r.loaded]

    def unknown_in_config(self) -> list[str]:
        """Plugin names configured under `plugins` that no installed distribution provides."""
        installed = {r.name for r in self.records}
        return [n for n in self.config.plugin_names() if n not in installed]

    # -- reporting ---------------------------------------------------------------------------

    def report(self, line: str) -> None:
        """Print one line for the user on stderr, secrets masked and controls made visible."""
        self._reported += 1
        from massgen_plugins.safe_text import neutralise
        from massgen_plugins.secrets import redact

        self._echo(neutralise(redact(line, self.environ), newlines=False))

    def warn(self, plugin: str, message: str) -> None:
        """Report that a plugin misbehaved: one line, or an error under MASSGEN_STRICT_PLUGINS."""
        from massgen_plugins.secrets import redact

        message = redact(" ".join(message.split()), self.environ)
        for record in self.records:
            if record.name == plugin:
                record.errors.append(message)
        if self.strict:
            raise PluginError(f"plugin '{plugin}': {message} ({STRICT_ENV} is set)")
        self.report(f"massgen-plugins: warning: plugin '{plugin}': {message}")

    # -- calling hooks -----------------------------------------------------------------------
    # pluggy ends a whole hook call when one implementation raises, and passes every plugin the
    # same arguments; the host calls implementations one at a time instead, so each gets its
    # own context and a failure is reported and skipped.

    def _impls(self, hook: str, only: str | None = None) -> list[Any]:
        """The implementations of `hook` in pluggy's call order (tryfirst first, LIFO)."""
        impls = reversed(getattr(self.pm.hook, hook).get_hookimpls())
        return [i for i in impls if not (i.hookwrapper or i.wrapper)
                and (only is None or i.plugin_name == only)]

    def implementers(self, hook: str) -> list[str]:
        """The enabled plugins that implement `hook`, in call order."""
        return [impl.plugin_name for impl in self._impls(hook)]

    def _call(self, impl: Any, hook: str, kwargs: Mapping[str, Any], user_errors: bool = True,
              fallback: str = "") -> tuple[bool, Any]:
        """One implementation's answer, within the hook's deadline, on a daemon thread.

        A MassgenError is the user's error (re-raised) where `user_errors`; anything else the
        plugin raises, or a deadline passed, is one warning, ending with `fallback`.
        """
        name = impl.plugin_name
        if (name, hook) in self._stalled:
            return False, None  # its last call still runs: asking again would wait again
        args = {**kwargs, "context": self.context(name)}
        timeout = self.deadline(hook)
        outcome = call_with_deadline(lambda: impl.function(*(args[a] for a in impl.argnames)),
                                     timeout, f"massgen-plugins {name}: {hook}", plugin=name,
                                     report=self.warn)
        if outcome.ok:
            return True, outcome.value
        if user_errors and isinstance(outcome.error, MassgenError):
            raise outcome.error  # the plugin is reporting the user's error, not failing itself
        if outcome.timed_out:
            self._stalled.add((name, hook))
        self.warn(name, f"hook {hook} {outcome.problem(timeout)}"
                  + ("; not asked again in this process" if outcome.timed_out else "")
                  + (f"; {fallback}" if fallback else ""))
        return False, None

    def call_all(self, hook: str, only: str | None = None, **kwargs: Any) -> list[tuple[str, Any]]:
        """Each plugin's answer to `hook`, skipping the ones that failed (each reported)."""
        answers = []
        for impl in self._impls(hook, only):
            ok, value = self._call(impl, hook, kwargs)
            if ok:
                answers.append((impl.plugin_name, value))
        return answers

    def call_first(self, hook: str, expect: type | None = None, user_errors: bool = True,
                   fallback: str = "", **kwargs: Any) -> Any:
        """The first non-None answer of a firstresult hook that is an `expect`, or None.

        A plugin that raises, runs past the hook's deadline or answers something else is
        reported (the line ends with `fallback`) and the next one is asked. `user_errors`:
        a MassgenError stops the command as the user's error (see hookspecs).
        """
        for impl in self._impls(hook):
            ok, value = self._call(impl, hook, kwargs, user_errors, fallback)
            if not ok or value is None:
                continue
            if expect is not None and not isinstance(value, expect):
                self.warn(impl.plugin_name, f"hook {hook} returned {type(value).__name__}, "
                                            f"not {expect.__name__}; ignored")
                continue
            return value
        return None

    def deadline(self, name: str) -> float:
        """Seconds one call may take under `deadlines.<name>` in config (DEADLINES: defaults)."""
        key = f"{DEADLINES}.{name}"
        value = self.config.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0:
            self.report(f"massgen-plugins: warning: {self.config.source(key)}: {key}: expected "
                        f"more than 0 seconds, got {value}; using {DEFAULT_DEADLINES[name]:g}")
            self.config.set(key, DEFAULT_DEADLINES[name], "default")
            return DEFAULT_DEADLINES[name]
        return float(value) if isinstance(value, (int, float)) else DEFAULT_DEADLINES[name]

    def build_event_sink(self, sink: EventSink, classify: Classifier,
                         guard: Callable[[str, EventSink], EventSink] | None = None) -> EventSink:
        """The TUI's sink wrapped by every enabled plugin's `wrap_event_sink`, built once.

        `classify` gives each event's class as the TUI being fed reads it. Each plugin's call
        has the `deadlines.wrap_event_sink` deadline. A plugin that raises or overruns it
        leaves the TUI's own sink unwrapped (one warning names it): nothing has gone through
        the chain yet. `guard(plugin, sink)` wraps each plugin's sink where the next plugin, or
        the caller, calls it.
        """
        timeout = self.deadline("wrap_event_sink")
        chain, owner = sink, None
        for impl in self._impls("wrap_event_sink"):
            inner = chain if guard is None or owner is None else guard(owner, chain)
            args = {"sink": inner, "classify": classify, "context": self.context(impl.plugin_name)}
            outcome = call_with_deadline(
                functools.partial(impl.function, *(args[a] for a in impl.argnames)), timeout,
                f"massgen-plugins {impl.plugin_name}: wrap_event_sink",
                on_late=_close_late, plugin=impl.plugin_name, report=self.warn)
            if not outcome.ok:
                self.warn(impl.plugin_name, f"hook wrap_event_sink {outcome.problem(timeout)}; "
                          "the TUI gets its events unwrapped")
                if chain is not sink:
                    _close_late(chain)
                return sink
            wrapped = outcome.value
            if wrapped is None:
                continue
            if not all(callable(getattr(wrapped, m, None)) for m in SINK_METHODS):
                self.warn(impl.plugin_name, f"hook wrap_event_sink returned "
                          f"{type(wrapped).__name__}, which lacks emit/flush/close; ignored")
                continue
            chain, owner = wrapped, impl.plugin_name
        return chain if guard is None or owner is None else guard(owner, chain)

    def register_commands(self, cli: click.Group) -> list[dict[str, Any]]:
        """Let each enabled plugin add commands; undo any that would replace an existing one.

        Returns what was added: each command's path, short help, and whether it is a group.
        """
        first = _command_tree(cli)
        for impl in self._impls("register_commands"):
            before = _command_tree(cli)
            ok, _ = self._call(impl, "register_commands", {"cli": cli})
            for path in _restore(cli, before, drop_added=not ok):
                self.warn(impl.plugin_name, f"tried to replace the command 'massgen-plugins {path}'; "
                                            "kept the existing one")
        return [{"path": list(path), "help": cmd.get_short_help_str(120),
                 "group": isinstance(cmd, click.Group)}
                for path, cmd in _command_tree(cli).items() if path not in first]

    @property
    def problems(self) -> bool:
        """Whether anything was reported while loading: a plugin's error, a config warning."""
        return self._reported > 0


def _close_late(sink: Any) -> None:
    """Close a sink nobody will use (its plugin overran or another failed), in the background."""
    import threading

    def close() -> None:
        try:
            sink.close()
        except BaseException:  # nobody uses it; its thread just ends
            pass

    threading.Thread(target=close, name="massgen-plugins: closing an unused sink",
                     daemon=True).start()


def _command_tree(group: click.Group, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...],
                                                                            click.Command]:
    tree: dict[tuple[str, ...], click.Command] = {}
    for name, cmd in list(group.commands.items()):
        tree[(*prefix, name)] = cmd
        if isinstance(cmd, click.Group):
            tree.update(_command_tree(cmd, (*prefix, name)))
    return tree


def _restore(root: click.Group, before: dict[tuple[str, ...], click.Command],
             drop_added: bool) -> list[str]:
    """Put back every command a registration replaced; drop its additions if it failed."""
    replaced = []
    for path in sorted(before, key=len):
        parent = root if len(path) == 1 else before[path[:-1]]
        if isinstance(parent, click.Group) and parent.commands.get(path[-1]) is not before[path]:
            parent.commands[path[-1]] = before[path]
            replaced.append(" ".join(path))
    if drop_added:
        after = _command_tree(root)
        for path in sorted(set(after) - set(before), key=len, reverse=True):
            parent = root if len(path) == 1 else after[path[:-1]]
            if isinstance(parent, click.Group):
                parent.commands.pop(path[-1], None)
    return replaced
