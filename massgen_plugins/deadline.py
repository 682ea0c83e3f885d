"""Calling plugin code with a deadline on the whole call.

`call_with_deadline(fn, timeout)` runs `fn()` on a daemon thread of its own and waits at most
`timeout` seconds (`acall_with_deadline` awaits it from an event loop, leaving the loop free).
The caller always gets an `Outcome` back in time: the value, what `fn` raised (any
BaseException: a plugin's KeyboardInterrupt or SystemExit is its failure, not the user's), or
that it ran out of time. A call that overruns is abandoned, not stopped (Python cannot stop a
thread): it goes on in the background and cannot keep the process alive; what it returns later
is handed to `on_late`, so whatever it made can be released. A Ctrl-C while the caller waits
interrupts the wait as it would any other.

Given the `plugin` whose code runs, threads that code starts are daemons too: the default,
inherited from the calling thread, and forced (with one `report` naming the plugin) when it
asks for `daemon=False`, so that no plugin can keep MassGen or our CLI alive past its end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import attrs

T = TypeVar("T")
# Told (plugin, message) when the plugin starts a thread it wanted non-daemon.
Report = Callable[[str, str], None]
# The plugin whose code a thread runs, and its Report: set on the threads running a call for a
# plugin, copied to the threads those start. A Thread attribute: threads inherit no context.
_OWNER = "_massgen_plugin"


@attrs.frozen
class Outcome(Generic[T]):
    """How a call with a deadline ended: its value, what it raised, or that it ran out of time."""

    value: T | None = None
    error: BaseException | None = None
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """Whether the call returned in time."""
        return self.error is None and not self.timed_out

    def problem(self, timeout: float | None) -> str:
        """What went wrong, as the end of a warning line ("raised X: m", "did not return ...")."""
        if self.timed_out:
            return f"did not return within {seconds(timeout or 0)}"
        if self.error is not None:
            text = " ".join(str(self.error).split())
            return f"raised {type(self.error).__name__}" + (f": {text}" if text else "")
        return "returned"


def seconds(value: float) -> str:
    """A deadline as the user reads it: `2 s`, `0.5 s`."""
    return f"{value:g} s"


def call_with_deadline(fn: Callable[[], T], timeout: float | None,
                       name: str = "massgen-plugins call",
                       on_late: Callable[[T], Any] | None = None, plugin: str | None = None,
                       report: Report | None = None) -> Outcome[T]:
    """Run `fn()` on a daemon thread and wait at most `timeout` seconds for how it ends.

    `plugin` names whose code `fn` runs (see the module's docstring for `report`).
    """
    lock = threading.Lock()
    done = threading.Event()
    box: list[Outcome[T]] = []
    abandoned = [False]

    def finish(outcome: Outcome[T]) -> None:
        with lock:
            late = abandoned[0]
            box.append(outcome)
            done.set()
        if late and on_late is not None and outcome.ok:
            try:
                on_late(outcome.value)  # type: ignore[arg-type]
            except BaseException:  # nobody waits for it any more
                pass

    _start(fn, name, plugin, report, finish)
    done.wait(timeout)
    with lock:
        if not box:
            abandoned[0] = True
            return Outcome(timed_out=True)
    return box[0]


async def acall_with_deadline(fn: Callable[[], T], timeout: float | None,
                              name: str = "massgen-plugins call", plugin: str | None = None,
                              report: Report | None = None) -> Outcome[T]:
    """`call_with_deadline` for a coroutine: awaits the daemon thread, the event loop free.

    Unlike `asyncio.to_thread`, whose executor threads are joined at exit, an abandoned call
    never delays the process's end. Cancelling the awaiting task abandons the call.
    """
    import asyncio  # not at the top: the CLI's start-up never needs it

    loop = asyncio.get_running_loop()
    future: asyncio.Future[Outcome[T]] = loop.create_future()

    def settle(outcome: Outcome[T]) -> None:
        if not future.done():
            future.set_result(outcome)

    def finish(outcome: Outcome[T]) -> None:
        try:
            loop.call_soon_threadsafe(settle, outcome)
        except RuntimeError:
            pass  # the loop is closed: nobody waits for this answer any more

    _start(fn, name, plugin, report, finish)
    try:
        return await asyncio.wait_for(asyncio.shield(future), timeout)
    except TimeoutError:
        return Outcome(timed_out=True)


def owner() -> str | None:
    """The plugin whose call the current thread is running, or None."""
    found = getattr(threading.current_thread(), _OWNER, None)
    return found[0] if found else None


def _start(fn: Callable[[], T], name: str, plugin: str | None, report: Report | None,
           finish: Callable[[Outcome[T]], None]) -> None:
    def run() -> None:
        try:
            outcome: Outcome[T] = Outcome(value=fn())
        except BaseException as exc:  # the plugin's failure, whatever it is
            outcome = Outcome(error=exc)
        finish(outcome)

    worker = threading.Thread(target=run, name=name, daemon=True)
    if plugin is not None:
        _guard_threads()
        setattr(worker, _OWNER, (plugin, report))
    worker.start()


_GUARD = threading.Lock()
_GUARDED = [False]
_FORCED: set[str] = set()


def _guard_threads() -> None:
    """Make every thread started from a plugin's thread a daemon, once per process."""
    with _GUARD:
        if _GUARDED[0]:
            return
        _GUARDED[0] = True
        original = threading.Thread.start

        def start(self: threading.Thread) -> None:
            found = getattr(threading.current_thread(), _OWNER, None)
            forced = found is not None and not self.daemon
            if found is not None:
                if getattr(self, _OWNER, None) is None:  # a call's own worker keeps its plugin
                    setattr(self, _OWNER, found)
                self.daemon = True
            original(self)
            if forced and found is not None:
                _forced(found, self.name)

        start.__doc__ = original.__doc__
        threading.Thread.start = start  # type: ignore[method-assign]


def _forced(found: tuple[str, Report | None], thread: str) -> None:
    plugin, report = found
    with _GUARD:
        first = plugin not in _FORCED
        _FORCED.add(plugin)
    if first and report is not None:
        report(plugin, f"started the non-daemon thread '{thread}'; it runs as a daemon thread, "
                       "so that it cannot keep the process alive")
