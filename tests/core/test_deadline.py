"""Calling plugin code with a deadline: the caller always gets an answer in time, on daemon
threads that no plugin can keep the process alive with."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from massgen_plugins.deadline import Outcome, acall_with_deadline, call_with_deadline, owner

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


@pytest.mark.parametrize("error, problem", [
    (ValueError("bad\nvalue"), "raised ValueError: bad value"),
    (KeyboardInterrupt(), "raised KeyboardInterrupt"),
    (SystemExit(4), "raised SystemExit: 4"),
])
def test_the_problem_is_one_line(error, problem):
    def hook():
        raise error

    outcome = call_with_deadline(hook, HANG, plugin="p")
    assert not outcome.ok and outcome.error is error and outcome.problem(HANG) == problem


def test_a_call_past_its_deadline_is_abandoned_on_a_daemon_thread():
    release = threading.Event()
    seen: list[threading.Thread] = []

    def hook():
        seen.append(threading.current_thread())
        release.wait(60)

    outcome = call_with_deadline(hook, 0.2, plugin="slow")
    try:
        assert outcome.timed_out and not outcome.ok
        assert outcome.problem(0.2) == "did not return within 0.2 s"
        assert seen[0].is_alive() and seen[0].daemon
    finally:
        release.set()


def test_threads_a_plugin_starts_are_daemons_and_an_explicit_non_daemon_is_reported():
    reports: list[tuple[str, str]] = []
    started: list[threading.Thread] = []

    def hook():
        for daemon in (None, False, False):
            t = threading.Thread(target=time.sleep, args=(0,), daemon=daemon, name=f"t{len(started)}")
            t.start()
            started.append(t)
        return owner()

    outcome = call_with_deadline(hook, HANG, plugin="spawner",
                                 report=lambda plugin, message: reports.append((plugin, message)))
    assert outcome.value == "spawner"
    assert all(t.daemon for t in started)
    assert reports == [("spawner", "started the non-daemon thread 't1'; it runs as a daemon "
                                   "thread, so that it cannot keep the process alive")]
    # Threads started elsewhere are left as they are.
    plain = threading.Thread(target=time.sleep, args=(0,), daemon=False)
    plain.start()
    plain.join()
    assert not plain.daemon and owner() is None


def test_a_call_made_inside_another_reports_for_its_own_plugin():
    reports: list[str] = []

    def inner():
        threading.Thread(target=time.sleep, args=(0,), daemon=False).start()
        return owner()

    def outer():
        return call_with_deadline(inner, HANG, plugin="inner",
                                  report=lambda plugin, message: reports.append(plugin)).value

    assert call_with_deadline(outer, HANG, plugin="outer").value == "inner"
    assert reports == ["inner"]


def test_the_async_call_leaves_the_loop_free_and_keeps_its_deadline():
    release = threading.Event()

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        late = await acall_with_deadline(lambda: release.wait(60), 0.3, plugin="slow")
        quick = await acall_with_deadline(lambda: "done", HANG, plugin="quick")
        task.cancel()
        return late, quick, ticks

    try:
        late, quick, ticks = asyncio.run(main())
    finally:
        release.set()
    assert late.timed_out and quick.ok and quick.value == "done"
    assert ticks > 3, "the event loop ran while the plugin's call was pending"


def _python(code: str, **kw) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_a_process_ends_with_its_own_status_whatever_its_plugins_left_running():
    proc = _python("""
        import sys, threading, time
        from massgen_plugins.deadline import call_with_deadline

        def hook():
            threading.Thread(target=time.sleep, args=(3600,), daemon=False).start()
            time.sleep(3600)

        print(call_with_deadline(hook, 0.5, plugin="p").problem(0.5), flush=True)
        sys.exit(3)
    """)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 3 and out == "did not return within 0.5 s\n"


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")
def test_the_users_ctrl_c_still_stops_a_process_waiting_on_a_plugin():
    proc = _python("""
        import time
        from massgen_plugins.deadline import call_with_deadline
        print("waiting", flush=True)
        call_with_deadline(lambda: time.sleep(3600), None, plugin="p")
        print("not reached", flush=True)
    """)
    assert proc.stdout.readline() == "waiting\n"
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err and "not reached" not in out
