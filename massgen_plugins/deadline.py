"""Calling plugin code with a deadline on the whole call.

`call_with_deadline(fn, timeout)` runs `fn()` on a daemon thread of its own and waits at most
`timeout` seconds. The caller always gets an `Outcome` back in time: the value, what `fn`
raised (any BaseException: a plugin's KeyboardInterrupt or SystemExit is its failure, not
the user's), or that it ran out of time. A call that overruns is abandoned, not stopped
(Python cannot stop a thread): it goes on in the background and cannot keep the process
alive; what it returns later is handed to `on_late`, so whatever it made can be released.
A Ctrl-C while the caller waits interrupts the wait as it would any other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import attrs

T = TypeVar("T")


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

    def problem(self, timeout: float) -> str:
        """What went wrong, as the end of a warning line ("raised X: m", "did not return ...")."""
        if self.timed_out:
            return f"did not return within {seconds(timeout)}"
        if self.error is not None:
            return f"raised {type(self.error).__name__}: {self.error}"
        return "returned"


def seconds(value: float) -> str:
    """A deadline as the user reads it: `2 s`, `0.5 s`."""
    return f"{value:g} s"


def call_with_deadline(fn: Callable[[], T], timeout: float, name: str = "massgen-plugins call",
                       on_late: Callable[[T], Any] | None = None) -> Outcome[T]:
    """Run `fn()` on a daemon thread and wait at most `timeout` seconds for how it ends."""
    lock = threading.Lock()
    done = threading.Event()
    box: list[Outcome[T]] = []
    abandoned = [False]

    def run() -> None:
        try:
            outcome: Outcome[T] = Outcome(value=fn())
        except BaseException as exc:  # noqa: BLE001 - the plugin's failure, whatever it is
            outcome = Outcome(error=exc)
        with lock:
            late = abandoned[0]
            box.append(outcome)
            done.set()
        if late and on_late is not None and outcome.ok:
            try:
                on_late(outcome.value)  # type: ignore[arg-type]
            except BaseException:  # noqa: BLE001 - nobody waits for it any more
                pass

    threading.Thread(target=run, name=name, daemon=True).start()
    done.wait(timeout)
    with lock:
        if not box:
            abandoned[0] = True
            return Outcome(timed_out=True)
    return box[0]
