"""The hooks MassGen calls. These docstrings are the plugin author's manual.

A plugin is a module (or object) named by an entry point in the group ``massgen``::

    [project.entry-points.massgen]
    my_plugin = "my_package.plugin"

The entry-point name is the plugin's name and its config key: its settings live under
``plugins.my_plugin`` and ``plugins.my_plugin.enabled: false`` switches it off. Implement any of
the hooks below with the ``hookimpl`` marker from ``massgen_plugins``. An implementation may take
fewer arguments than the spec names, and should: it keeps working when the spec grows a new
keyword argument. Every hook may take ``context``, a ``PluginContext`` holding the plugin's own
validated settings.

A hook that raises is reported as a one-line warning naming the plugin, and the host carries on
as if that plugin had not answered. To report the *user's* mistake instead (a bad model spec, a
missing key), raise ``massgen_plugins.errors.MassgenError`` or a subclass: the command then stops
with that one-line message and its exit code (not inside MassGen's context recovery, where
MassGen summarizes instead). Set ``MASSGEN_STRICT_PLUGINS=1`` in a plugin's CI to turn those
warnings into errors.

Every hook call, and the plugin's import, runs on a daemon thread of its own with a deadline
(``deadlines.<hook>`` in config, seconds). Past it the call is abandoned: one warning, the
host's own path, and that hook of that plugin is not asked again in the process. A
KeyboardInterrupt or SystemExit raised in your hook is your plugin's failure, not the user's.
Threads you start are daemons (one warning when you ask for ``daemon=False``): nothing of a
plugin's may keep MassGen or the CLI alive past its end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    import click

    from massgen_plugins.events.classes import Classifier
    from massgen_plugins.events.sink import EventSink
    from massgen_plugins.values import (
        CompressionRequest,
        CompressionResult,
        ModelChoice,
        PluginContext,
        Setting,
    )

PROJECT = "massgen"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def plugin_settings() -> Mapping[str, Setting] | None:
    """Declare the settings this plugin reads, as a mapping of key to ``Setting``.

    The host validates ``plugins.<name>`` in every config file against it: an unknown key or a
    wrong type is a config error naming the file and key. Defaults fill ``context.settings``.
    ``enabled`` is the host's and need not be declared.
    """


@hookspec
def register_commands(cli: click.Group, context: PluginContext) -> None:
    """Add click commands or groups to the ``massgen-plugins`` command line.

    Add to ``cli`` or to one of its groups, e.g. ``cli.commands["logs"].add_command(cmd)``.
    Replacing a command that already exists is refused with a warning. Keep heavy imports
    (SDKs, Textual) inside the command's function: ``massgen-plugins --help`` must stay fast.
    """


@hookspec(firstresult=True)
def compress_context(
    request: CompressionRequest, context: PluginContext
) -> CompressionResult | None:
    """Compress a conversation's working context, or return None for "not mine".

    Asked through the bridge inside MassGen, in a worker thread with a deadline
    (``deadlines.compress_context``, 120 s; block as you need, within it): by its context
    recovery after the API refused a request as too long (``request.reason == "reactive"``),
    and, for agents on its Responses backend, before a request past
    ``compression.trigger_ratio`` of the model's window (``"proactive"``; None then sends the
    request as MassGen built it). ``request.api`` says what format the items are in; answer
    only for the ones you know. The
    first plugin that returns a result wins. When every plugin returns None, raises, or returns
    something that is not a ``CompressionResult``, MassGen summarizes instead. So it does when
    the result would break the conversation (a tool call without its output), is not under
    ``request.target_tokens`` (items and instructions, about four characters a token), or when
    the request MassGen retries with it is still too long for the model (then also for that
    agent's later overflows).
    """


@hookspec(firstresult=True)
def compression_settings(provider: str, model: str, base_url: str | None,
                         context: PluginContext) -> Mapping[str, float] | None:
    """Override when the core compacts this conversation before a request, or return None.

    Return a mapping with any of ``trigger_ratio`` and ``target_ratio`` (shares of the model's
    window, over ``compression.*`` in config) for conversations your ``compress_context`` will
    handle. Asked once per MassGen agent, before its first request; the first plugin that
    answers wins. A pair that does not hold (the target at least 0.1 below the trigger) is one
    warning, and the config's ratios apply.
    """


@hookspec(firstresult=True)
def resolve_analysis_model(spec: str | None, context: PluginContext) -> ModelChoice | None:
    """Turn a model spec (``provider/model``, a provider, an alias, or None) into a ``ModelChoice``.

    ``spec`` is what the user passed with ``--model``, or None. The first plugin that returns a
    choice wins; return None to let the next one try. Fill ``source`` with where the choice came
    from, for the plan the user sees.
    """


@hookspec
def wrap_event_sink(sink: EventSink, classify: Classifier,
                    context: PluginContext) -> EventSink | None:
    """Wrap the event sink that feeds MassGen's TUI, or return None to leave it as it is.

    Through the bridge, MassGen's own Textual TUI (live runs and `massgen viewer`) gets its
    events through this chain. Events are ``massgen_plugins.events.model.Event`` values in
    MassGen's vocabulary. ``classify.of(event)`` says what each is to that TUI (streaming,
    state or critical, see ``events/classes.py``). ``classify.join(event, parts)`` gives the
    contents a run of merged deltas becomes, each with how many of the parts it stands for
    (MassGen's TUI cleans each delta on its own, so a plain concatenation would show other
    text there).
    Called once when the sink chain is built, never per event. The host asks the plugins in
    pluggy's call order (``tryfirst`` ones first, then the others by plugin name in reverse
    alphabetical order; ``trylast`` ones last) and each answer wraps the chain built so far, so
    the first plugin asked sits innermost, next to the TUI. The returned object must provide
    ``emit(event)``, ``flush()`` and ``close()``, and must flush what it holds on ``close()``.

    Each event carries ``seq``, its place in the stream. Pass every event on, alone or merged
    into a later one of the same agent and type, and those of one agent and type in the order
    they came; an event that stands for several (merged deltas, a superseding state) carries
    the ``seq`` of the last of them (``attrs.evolve`` on that one keeps it). Each call has a
    deadline (``deadlines.wrap_event_sink`` for this hook, ``deadlines.event_sink`` for each
    call into the sink and for how long it may hold an event): past it, or when the hook or
    the sink raises anything, the TUI gets its events directly from then on, every event the
    chain held delivered once, in order, and one warning names the plugin.
    """


@hookspec
def doctor_notes(backends: Sequence[Mapping[str, Any]],
                 context: PluginContext) -> Sequence[str] | None:
    """Say what in this setup keeps the plugin from doing its work, one line each, for doctor.

    ``backends`` are the MassGen agents' ``backend`` sections (``type``, ``model``,
    ``base_url``...) in the config files read, a run config given with ``--config`` included.
    ``massgen-plugins doctor`` shows each line under the plugin's name. Return None, or
    nothing, when all is well.
    """
