"""Calls into plugin code with a deadline on the whole call, each on a daemon thread of its own.

    outcome = call(plugin_function, (arg,), plugin="name", timeout=5.0)
    if not outcome.ok:
        warn(f"plugin 'name': hook X {outcome.problem}")   # then the host's own path

A call that outlives its deadline is abandoned, not stopped (Python cannot stop a thread):
its thread is a daemon, so it never holds the process open at exit. Whatever the plugin raises,
KeyboardInterrupt and SystemExit included, is its own failure, returned in the Outcome: the
user's Ctrl-C arrives in the main thread, which is the one waiting, and goes on as it would.

Threads a plugin starts from such a call are daemons too: the default, inherited from the
calling thread, and forced (with one warning naming the plugin) when it asks for
`daemon=False`, so that no plugin can keep MassGen or our CLI alive past its end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

# The plugin whose code a thread runs: set on our worker threads, copied to the threads those
# start. A Thread attribute, not a context variable: threads do not inherit context.
_OWNER = "_massgen_plugin"
Report = Callable[[str, str], None]


@attrs.frozen
class Outcome:
    """What became of one call into a plugin: its value, or what went wrong."""

    ok: bool
    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    timeout: float | None = None
    seconds: float = 0.0

    @property
    def problem(self) -> str:
        """What went wrong, for a warning line ("" when the call returned)."""
        if self.timed_out:
            return f"did not return within {self.timeout:g} s"
        if self.error is not None:
            text = " ".join(str(self.error).split())
            return f"raised {type(self.error).__name__}" + (f": {text}" if text else "")
        return ""


def call(fn: Callable[..., Any], args: tuple[Any, ...] = (),
         kwargs: Mapping[str, Any] | None = None, *, plugin: str,
         timeout: float | None, report: Report | None = None) -> Outcome:
    """Run `fn(*args, **kwargs)` for `plugin` on a daemon thread; wait at most `timeout` s.

    `report(plugin, message)` is told when the plugin starts a thread it wanted non-daemon.
    """
    done = threading.Event()
    box: list[Outcome] = []

    def deliver(outcome: Outcome) -> None:
        box.append(outcome)
        done.set()

    _start(fn, args, kwargs, plugin, report, deliver)
    if not done.wait(timeout):
        return Outcome(ok=False, timed_out=True, timeout=timeout, seconds=timeout or 0.0)
    return box[0]


async def acall(fn: Callable[..., Any], args: tuple[Any, ...] = (),
                kwargs: Mapping[str, Any] | None = None, *, plugin: str,
                timeout: float | None, report: Report | None = None) -> Outcome:
    """`call` for an event loop: awaits the daemon thread without blocking the loop.

    Unlike `asyncio.to_thread`, whose executor threads are joined at exit, an abandoned call
    here never delays the process's end. Cancelling the awaiting task abandons the call.
    """
    import asyncio  # not at the top: the CLI's start-up never needs it

    loop = asyncio.get_running_loop()
    future: asyncio.Future[Outcome] = loop.create_future()

    def settle(outcome: Outcome) -> None:
        if not future.done():
            future.set_result(outcome)

    def deliver(outcome: Outcome) -> None:
        try:
            loop.call_soon_threadsafe(settle, outcome)
        except RuntimeError:
            pass  # the loop is closed: nobody waits for this answer any more

    _start(fn, args, kwargs, plugin, report, deliver)
    try:
        return await asyncio.wait_for(asyncio.shield(future), timeout)
    except asyncio.TimeoutError:
        return Outcome(ok=False, timed_out=True, timeout=timeout, seconds=timeout or 0.0)


def owner() -> str | None:
    """The plugin whose call the current thread is running, or None."""
    found = getattr(threading.current_thread(), _OWNER, None)
    return found[0] if found else None


def _start(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any] | None,
           plugin: str, report: Report | None, deliver: Callable[[Outcome], None]) -> None:
    _guard_threads()

    def run() -> None:
        started = time.monotonic()
        try:
            value = fn(*args, **(kwargs or {}))
        except BaseException as exc:  # the plugin's own KeyboardInterrupt or SystemExit too
            outcome = Outcome(ok=False, error=exc, seconds=time.monotonic() - started)
        else:
            outcome = Outcome(ok=True, value=value, seconds=time.monotonic() - started)
        deliver(outcome)

    worker = threading.Thread(target=run, name=f"massgen-plugins:{plugin}", daemon=True)
    setattr(worker, _OWNER, (plugin, report))
    worker.start()


_GUARD = threading.Lock()
_GUARDED = False
_FORCED: set[str] = set()


def _guard_threads() -> None:
    """Make every thread started from a plugin's thread a daemon, once per process."""
    global _GUARDED
    with _GUARD:
        if _GUARDED:
            return
        _GUARDED = True
        original = threading.Thread.start

        def start(self: threading.Thread) -> None:
            found = getattr(threading.current_thread(), _OWNER, None)
            forced = found is not None and not self.daemon
            if found is not None:
                if getattr(self, _OWNER, None) is None:  # a call's own worker keeps its plugin
                    setattr(self, _OWNER, found)
                self.daemon = True
            original(self)
            if forced:
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
