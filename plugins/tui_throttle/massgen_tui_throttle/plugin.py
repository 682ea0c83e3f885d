"""The `tui_throttle` plugin: wraps the TUI's event sink with a coalescing, paced ThrottleSink.

Kept light: this module is imported on every `massgen` invocation while the plugin is enabled.
"""

from __future__ import annotations

from collections.abc import Mapping

from massgen_plugins import Classifier, EventSink, PluginContext, Setting, hookimpl


@hookimpl
def plugin_settings() -> Mapping[str, Setting]:
    """Settings under `plugins.tui_throttle` (times in milliseconds)."""
    return {
        "intervals": Setting(dict, default={"text": 50, "thinking": 50, "status": 250},
                             item_type=float,
                             help="ms an event type (or class: streaming, state) may wait"),
        "max_latency_ms": Setting(float, default=300.0,
                                  help="no pending event waits longer than this"),
        "max_fps": Setting(float, default=20.0,
                           help="timed flushes per second at most (critical events go at once)"),
    }


@hookimpl
def wrap_event_sink(sink: EventSink, classify: Classifier, context: PluginContext) -> EventSink:
    """Wrap the TUI's sink once, when the chain is built."""
    from massgen_tui_throttle.throttle import ThrottleSink

    intervals = {k: float(v) / 1000 for k, v in (context.get("intervals") or {}).items()}
    return ThrottleSink(sink, classify, intervals,
                        max_latency=float(context.get("max_latency_ms")) / 1000,
                        max_fps=float(context.get("max_fps")))
