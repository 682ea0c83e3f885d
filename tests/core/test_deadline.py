"""Calls into plugin code with a deadline, on daemon threads (massgen_plugins.deadline)."""

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

from massgen_plugins import deadline


def test_a_call_that_returns_gives_its_value():
    outcome = deadline.call(lambda a, b=0: a + b, (2,), {"b": 3}, plugin="p", timeout=30)
    assert outcome.ok and outcome.value == 5 and outcome.problem == ""


@pytest.mark.parametrize("error, problem", [
    (ValueError("bad\nvalue"), "raised ValueError: bad value"),
    (KeyboardInterrupt(), "raised KeyboardInterrupt"),
    (SystemExit(4), "raised SystemExit: 4"),
])
def test_whatever_the_plugin_raises_is_its_own_failure(error, problem):
    def hook():
        raise error

    outcome = deadline.call(hook, plugin="p", timeout=30)
    assert not outcome.ok and outcome.error is error and outcome.problem == problem


def test_a_call_past_its_deadline_is_abandoned_on_a_daemon_thread():
    release = threading.Event()
    seen: list[threading.Thread] = []

    def hook():
        seen.append(threading.current_thread())
        release.wait(60)

    outcome = deadline.call(hook, plugin="slow", timeout=0.2)
    try:
        assert outcome.timed_out and not outcome.ok
        assert outcome.problem == "did not return within 0.2 s"
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
        return deadline.owner()

    outcome = deadline.call(hook, plugin="spawner", timeout=30,
                            report=lambda plugin, message: reports.append((plugin, message)))
    assert outcome.value == "spawner"
    assert all(t.daemon for t in started)
    assert reports == [("spawner", "started the non-daemon thread 't1'; it runs as a daemon "
                                   "thread, so that it cannot keep the process alive")]
    # Threads started elsewhere are left as they are.
    plain = threading.Thread(target=time.sleep, args=(0,), daemon=False)
    plain.start()
    plain.join()
    assert not plain.daemon and deadline.owner() is None


def test_a_call_made_inside_another_reports_for_its_own_plugin():
    reports: list[str] = []

    def inner():
        threading.Thread(target=time.sleep, args=(0,), daemon=False).start()
        return deadline.owner()

    def outer():
        return deadline.call(inner, plugin="inner", timeout=30,
                             report=lambda plugin, message: reports.append(plugin)).value

    assert deadline.call(outer, plugin="outer", timeout=30).value == "inner"
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
        late = await deadline.acall(release.wait, (60,), plugin="slow", timeout=0.3)
        quick = await deadline.acall(lambda: "done", plugin="quick", timeout=30)
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
        from massgen_plugins import deadline

        def hook():
            threading.Thread(target=time.sleep, args=(3600,), daemon=False).start()
            time.sleep(3600)

        print(deadline.call(hook, plugin="p", timeout=0.5).problem, flush=True)
        sys.exit(3)
    """)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 3 and out == "did not return within 0.5 s\n"


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")
def test_the_users_ctrl_c_still_stops_a_process_waiting_on_a_plugin():
    proc = _python("""
        import time
        from massgen_plugins import deadline
        print("waiting", flush=True)
        deadline.call(time.sleep, (3600,), plugin="p", timeout=None)
        print("not reached", flush=True)
    """)
    assert proc.stdout.readline() == "waiting\n"
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err and "not reached" not in out
