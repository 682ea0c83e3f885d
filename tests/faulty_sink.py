"""The source of a sink plugin that fails on purpose, laid down as a real distribution by tests.

Its setting `plan` (config: `plugins.<name>.plan`) says what each sink it builds does, one
entry per `wrap_event_sink` call (one per MassGen app), in order:

- `raise@N`: raises RuntimeError on its N-th event (before passing it on);
- `base@N`: raises KeyboardInterrupt there (a BaseException);
- `block@N`: never returns from its N-th `emit`;
- `hold@N`: from its N-th event on, keeps every event and passes none on (no call hangs);
- `twice@N`: from its N-th event on, passes each event on twice;
- `build-raise`, `build-block`: `wrap_event_sink` itself raises, or never returns;
- `pass` (or no entry left): passes every event on.
"""

SOURCE = '''
import threading

from massgen_plugins import Setting, hookimpl

BUILT = []


class FaultySink:
    def __init__(self, inner, fault, at):
        self.inner, self.fault, self.at, self.seen = inner, fault, at, 0
        self.held = []

    def emit(self, event):
        self.seen += 1
        if self.fault == "hold" and self.seen >= self.at:
            self.held.append(event)
            return
        if self.seen == self.at:
            if self.fault == "raise":
                raise RuntimeError(f"faulty sink refuses event {{self.seen}}")
            if self.fault == "base":
                raise KeyboardInterrupt(f"faulty sink at event {{self.seen}}")
            if self.fault == "block":
                threading.Event().wait()
        self.inner.emit(event)
        if self.fault == "twice" and self.seen >= self.at:
            self.inner.emit(event)

    def flush(self):
        self.inner.flush()

    def close(self):
        self.inner.close()


@hookimpl
def plugin_settings():
    return {{"plan": Setting(list, default=[], item_type=str, help="one fault per sink built")}}


@hookimpl{marker}
def wrap_event_sink(sink, context):
    plan = list(context.get("plan") or [])
    step = plan[len(BUILT)] if len(BUILT) < len(plan) else "pass"
    BUILT.append(step)
    fault, _, at = step.partition("@")
    if fault == "build-raise":
        raise RuntimeError("faulty sink cannot be built")
    if fault == "build-block":
        threading.Event().wait()
    return FaultySink(sink, fault, int(at or 0))
'''


def faulty_sink(position: str = "") -> str:
    """The plugin's source; `position` is `tryfirst` (next to the TUI), `trylast` or ''."""
    return SOURCE.format(marker=f"({position}=True)" if position else "")
