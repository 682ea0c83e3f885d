"""Replaying a recorded run through the same sink chain the live producer uses."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from massgen_plugins.events.classes import CRITICAL, Classifier
from massgen_plugins.events.model import Event
from massgen_plugins.logs.files import Warnings


def produce(events: Iterable[Event], sink: Any, stats: Any, classify: Classifier,
            speed: float | None) -> None:
    """Emit `events` into `sink` at their recorded pace divided by `speed` (None: no pauses)."""
    start = time.monotonic()
    first: float | None = None
    for event in events:
        if speed is not None:
            t = event.time
            first = t if first is None else first
            wait = (t - first) / speed - (time.monotonic() - start)
            if wait > 0:
                time.sleep(wait)
        stats.events_in += 1
        if classify.of(event) == CRITICAL:
            stats.critical_in += 1
        sink.emit(event.stamped(time.monotonic()))


def replay(events: Iterable[Event], host: Any, speed: float | None, headless: bool,
           size: tuple[int, int] = (160, 48), info: Any = None) -> Any:
    """Run the app on `events`; return its Stats once the app has exited.

    `info` (a `tui.state.RunInfo`) is what the run's files say: the question, the agents'
    order, how it ended, the final answer.
    """
    from massgen_plugins.tui.app import AppSink, MassgenApp, Stats

    classify = Classifier(host.config.get("tui.event_classes") or {})
    stats = Stats()
    errors: list[BaseException] = []
    cpu0, wall0 = time.process_time(), time.monotonic()

    def start(app: MassgenApp) -> None:
        sink = AppSink(app)
        chain = host.build_event_sink(sink, classify)

        def work() -> None:
            try:
                produce(events, chain, stats, classify, speed)
            except BaseException as exc:  # reported after the app exits
                errors.append(exc)
            finally:
                chain.close()  # wrappers deliver what they hold before this returns
                metrics = getattr(chain, "metrics", None)
                if callable(metrics):
                    stats.extra["sink_metrics"] = metrics()
                sink.when_drained(lambda: app.finish(headless))

        threading.Thread(target=work, name="massgen-replay", daemon=True).start()

    app = MassgenApp(classify, stats, on_ready=start, info=info)
    app.run(headless=headless, size=size if headless else None)
    stats.cpu_s = time.process_time() - cpu0
    stats.wall_s = time.monotonic() - wall0
    if errors:
        raise errors[0]
    return stats


def replay_source(path: Path, logs_dir: str | None, warn: Warnings) -> tuple[Path, Any]:
    """The events.jsonl PATH names and, when it belongs to a run's attempt, that run's RunInfo.

    PATH is an events.jsonl (its run is read when it sits in an attempt_N dir, or in the
    turn_1/attempt_1 of a --continue turn), or a log dir: its latest attempt with events.
    """
    from massgen_plugins.logs.locate import LogsError, logs_base, resolve
    from massgen_plugins.logs.reader import read_session
    from massgen_plugins.tui.state import RunInfo

    if path.is_file():
        session = _session_of(path)
        if session is None:
            return path, None
        # The run's own warnings are for `logs summary`; a replay reports the events only.
        attempts = [a for a in read_session(session, Warnings()).attempts
                    if a.events_path is not None and _same(a.events_path, path)]
        return path, RunInfo.of(attempts[-1]) if attempts else None
    if path.exists() and not path.is_dir():
        raise LogsError(f"{path}: is not a regular file (a FIFO, socket or device); give an "
                        "events.jsonl or a log directory")
    target = resolve(str(path), logs_base(logs_dir))
    session = read_session(target.session, warn)
    attempts = [a for a in session.attempts
                if (target.turn is None or a.turn == target.turn)
                and (target.attempt is None or a.number == target.attempt) and a.events_path]
    if not attempts:
        raise LogsError(f"{path}: no events.jsonl in this run; nothing to replay")
    return attempts[-1].events_path, RunInfo.of(attempts[-1])


def _session_of(events: Path) -> Path | None:
    """The log_* dir an events.jsonl sits in (as <log>/turn_N/attempt_N/events.jsonl), or None."""
    attempt = events.resolve().parent
    if attempt.name.startswith("attempt_") and attempt.parent.name.startswith("turn_"):
        return attempt.parent.parent
    return None


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
