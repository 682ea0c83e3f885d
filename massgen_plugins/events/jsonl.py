"""Streaming `events.jsonl`: one event at a time, so a huge file costs no memory."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from pathlib import Path

from massgen_plugins.events.model import Event
from massgen_plugins.logs.files import Warnings


def read_events(path: Path, warn: Warnings, types: Collection[str] | None = None) -> Iterator[Event]:
    """Yield the events in `path` in order; with `types`, only those types.

    Bad lines (truncated, not JSON, not an event) are skipped and reported once, with their
    count and the first line number.
    """
    # MassGen writes each line with json.dumps, so the type sits in a known spelling near the
    # start; checking for it first skips parsing the stream deltas that make up most of a file.
    needles = [f'"event_type": "{t}"'.encode() for t in types] if types else None
    bad, first_bad = 0, 0
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return
    except OSError as exc:
        warn.add(path, f"cannot read ({exc.strerror or type(exc).__name__}); skipped")
        return
    with fh:
        for number, line in enumerate(fh, 1):
            if needles is not None:
                head = line[:200]
                if b'"event_type": "' in head and not any(n in head for n in needles):
                    continue
            if not line.strip():
                continue
            try:
                event = Event.from_json(json.loads(line))
            except (json.JSONDecodeError, UnicodeDecodeError):
                event = None
            if event is None:
                bad += 1
                first_bad = first_bad or number
                continue
            if types is None or event.event_type in types:
                yield event
    if bad:
        warn.add(path, f"skipped {bad} line{'s' if bad > 1 else ''} that are not events "
                       f"(first at line {first_bad})")


def first_and_last(path: Path, warn: Warnings) -> tuple[Event | None, Event | None]:
    """The first and last readable events, reading only the file's two ends."""
    try:
        with path.open("rb") as fh:
            head = fh.readline()
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 65536))
            tail = fh.read().splitlines()
    except OSError:
        return None, None

    def parse(raw: bytes) -> Event | None:
        try:
            return Event.from_json(json.loads(raw))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None

    last = next((e for e in map(parse, reversed(tail)) if e is not None), None)
    return parse(head), last
