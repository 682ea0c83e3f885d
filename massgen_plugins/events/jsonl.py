"""Streaming `events.jsonl`: one event at a time, so a huge file costs no memory."""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import BinaryIO

from massgen_plugins.events.model import Event
from massgen_plugins.logs.files import Warnings, check_data, open_regular

CHUNK = 1 << 20
_TYPE_KEY = b'"event_type": "'
# No real event line comes near this; a longer "line" is damage (or no newlines at all) and is
# skipped rather than held in memory.
MAX_LINE = 16 * 1024 * 1024


def _lines(fh: BinaryIO) -> Iterator[bytes | None]:
    """The file's lines without their newline; None stands for one line too long to keep."""
    pending: list[bytes] = []
    pending_size = 0
    overlong = False
    while chunk := fh.read(CHUNK):
        parts = chunk.split(b"\n")
        for part in parts[:-1]:
            if overlong or pending_size + len(part) > MAX_LINE:
                yield None
            else:
                yield b"".join(pending) + part if pending else part
            pending, pending_size, overlong = [], 0, False
        tail = parts[-1]
        if not overlong:
            pending_size += len(tail)
            if pending_size > MAX_LINE:
                overlong, pending = True, []
            elif tail:
                pending.append(tail)
    if overlong:
        yield None
    elif pending:
        yield b"".join(pending)


def parse_event(line: bytes) -> Event | None:
    """The event on one line, or None when the line is not one (or is damage: deep, huge)."""
    try:
        obj = json.loads(line)
        # Only a line with many brackets can be deep; the check walks just those.
        if line.count(b"[") + line.count(b"{") > 64:
            obj, _ = check_data(obj)
        return Event.from_json(obj)
    except (ValueError, RecursionError):  # JSON, UTF-8, digits past int's limit, DataError
        return None


def read_events(path: Path, warn: Warnings, types: Collection[str] | None = None) -> Iterator[Event]:
    """Yield the events in `path` in order; with `types`, only those types.

    Bad lines (truncated, not JSON, not an event) are skipped and reported once, with their
    count and the first line number.
    """
    # MassGen writes each line with json.dumps, so the type sits in a known spelling near the
    # start; checking for it first skips parsing the stream deltas that make up most of a file.
    wanted = {t.encode() for t in types} if types else None
    bad, first_bad, overlong = 0, 0, 0
    fh = open_regular(path, warn)
    if fh is None:
        return
    with fh:
        for number, line in enumerate(_lines(fh), 1):
            if line is None:
                overlong += 1
                first_bad = first_bad or number
                continue
            if wanted is not None:
                at = line.find(_TYPE_KEY, 0, 200)
                if at >= 0:
                    start = at + len(_TYPE_KEY)
                    if line[start:line.find(b'"', start)] not in wanted:
                        continue
            if not line.strip():
                continue
            event = parse_event(line)
            if event is None:
                bad += 1
                first_bad = first_bad or number
                continue
            if types is None or event.event_type in types:
                yield event
    if bad or overlong:
        what = f"{bad} line{'s' if bad != 1 else ''} that are not events"
        if overlong:
            what += f" and {overlong} longer than {MAX_LINE // (1024 * 1024)} MB"
        warn.add(path, f"skipped {what} (first at line {first_bad})")


TAIL_BYTES = 8 * 1024 * 1024


def tail_events(path: Path, warn: Warnings, types: Collection[str],
                max_bytes: int = TAIL_BYTES) -> tuple[list[Event], Event | None, bool]:
    """The events of `types` in the last `max_bytes` of `path` in order, the last readable event
    of any type, and whether that covered the whole file.

    How a run ended (the final presentation, answer_locked, a timeout, a restart) is written in
    its last events: reading the end costs the same for a 1 GB file as for a small one. A line
    cut by a crash at the end is passed over, so the last event is the last whole one.
    """
    fh = open_regular(path, warn)
    if fh is None:
        return [], None, True
    try:
        with fh:
            size = os.fstat(fh.fileno()).st_size
            start = max(0, size - max_bytes)
            fh.seek(start)
            data = fh.read(size - start)
    except OSError as exc:
        warn.add(path, f"cannot read ({exc.strerror}); skipped")
        return [], None, True
    lines = data.split(b"\n")
    if start:
        lines = lines[1:]  # the first is the end of a line that began before the window
    last = None
    for line in reversed(lines):
        if line.strip() and (last := parse_event(line)) is not None:
            break
    wanted = {t.encode() for t in types}
    found = []
    for line in lines:
        at = line.find(_TYPE_KEY, 0, 200)
        if at < 0:
            continue
        begin = at + len(_TYPE_KEY)
        if line[begin:line.find(b'"', begin)] in wanted:
            event = parse_event(line)
            if event is not None and event.event_type in types:
                found.append(event)
    return found, last, start == 0


def first_and_last(path: Path, warn: Warnings) -> tuple[Event | None, Event | None]:
    """The first and last readable events, reading only the file's two ends."""
    fh = open_regular(path, warn)
    if fh is None:
        return None, None
    try:
        with fh:
            head = fh.readline(65536)
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 65536))
            tail = fh.read(65536).splitlines()
    except OSError:
        return None, None
    last = next((e for e in map(parse_event, reversed(tail)) if e is not None), None)
    return parse_event(head), last
