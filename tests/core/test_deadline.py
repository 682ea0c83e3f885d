"""Calling plugin code with a deadline: the caller always gets an answer in time."""

from __future__ import annotations

import threading

from massgen_plugins.deadline import Outcome, call_with_deadline

HANG = 30  # seconds: only a hang reaches it


def test_a_call_that_returns_in_time_gives_its_value():
    outcome = call_with_deadline(lambda: 42, HANG)
    assert outcome == Outcome(value=42) and outcome.ok


def test_whatever_the_call_raises_is_its_failure_even_a_base_exception():
    def interrupt():
        raise KeyboardInterrupt("from a plugin, not the user")

    for fn, kind in ((interrupt, KeyboardInterrupt), (lambda: 1 / 0, ZeroDivisionError),
                     (lambda: exit(3), SystemExit)):
        outcome = call_with_deadline(fn, HANG)
        assert isinstance(outcome.error, kind) and not outcome.ok
    assert outcome.problem(HANG) == "raised SystemExit: 3"


def test_a_call_past_its_deadline_is_abandoned_and_what_it_makes_later_is_released():
    go, released = threading.Event(), threading.Event()

    def slow():
        go.wait(HANG)
        return "a sink"

    outcome = call_with_deadline(slow, 0.05, on_late=lambda made: released.set())
    assert outcome.timed_out and not outcome.ok
    assert outcome.problem(0.05) == "did not return within 0.05 s"
    go.set()
    assert released.wait(HANG), "on_late got what the call made after its deadline"
