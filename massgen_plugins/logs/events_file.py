"""Streaming `events.jsonl`: one event at a time, so a huge file costs no memory."""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import BinaryIO

from massgen_plugins.data import check_data
from massgen_plugins.events.model import Event
from massgen_plugins.logs.event_lines import TAIL_BYTES, lines_of_type
from massgen_plugins.logs.files import RunFiles, Warnings

CHUNK = 1 << 20
# No real event line comes near this; a longer "line" is damage (or no newlines at all) and is
# skipped rather than held in memory.
MAX_LINE = 16 * 1024 * 1024
# How far back from the end the last readable event is looked for.
LAST_EVENT_BYTES = 1 << 20
LAST_EVENT_LINES = 1000


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


def _open(path: Path, warn: Warnings, run: RunFiles | None) -> BinaryIO | None:
    """`path` opened through `run` (by default: inside its own folder, not through a link)."""
    return (run or RunFiles(path.parent, warn)).open(path)


def read_events(path: Path, warn: Warnings, types: Collection[str] | None = None,
                run: RunFiles | None = None) -> Iterator[Event]:
    """Yield the events in `path` in order; with `types`, only those types. `run`: the run
    whose files these are (see `_open`).

    Bad lines (truncated, not JSON, not an event) are skipped and reported once, with their
    count and the first line number. With `types`, only lines that may be of those types are
    read at all (see `_typed_lines`), so damage elsewhere goes unnoticed by that scan.
    """
    fh = _open(path, warn, run)
    if fh is None:
        return
    bad = overlong = 0
    first: int | None = None  # where the first bad line starts (a byte offset, or a line number)
    with fh:
        lines = _typed_lines(fh, types) if types else enumerate(_lines(fh), 1)
        for where, line in lines:
            if line is None:
                overlong += 1
                first = where if first is None else first
                continue
            if not line.strip():
                continue
            event = parse_event(line)
            if event is None:
                bad += 1
                first = where if first is None else first
                continue
            if types is None or event.event_type in types:
                yield event
    if bad or overlong:
        number = _line_number(path, first, warn, run) if types else first
        what = f"{bad} line{'s' if bad != 1 else ''} that are not events"
        if overlong:
            what += f" and {overlong} longer than {MAX_LINE // (1024 * 1024)} MB"
        warn.add(path, f"skipped {what} (first at line {number})")


def _type_pattern(types: Collection[str]) -> re.Pattern[bytes]:
    """What finds `"event_type": "<one of types>"` as MassGen's json.dumps spells it.

    It starts at `_type": "`, not at the opening quote: the search looks for the pattern's
    first byte, and `"` is on every line many times, `_` a few (about 1.3x the throughput).
    Any other `..._type` key it also finds only adds a line the caller filters out.
    """
    names = b"|".join(re.escape(json.dumps(t)[1:-1].encode()) for t in sorted(types))
    return re.compile(b'_type": "(?:' + names + b')"')


def _typed_lines(fh: BinaryIO, types: Collection[str]) -> Iterator[tuple[int, bytes | None]]:
    """(byte offset, line) of the lines that may hold an event of `types`, chunk by chunk.

    One regular-expression search over each 1 MiB chunk finds the wanted types' spelling, and
    only those lines are cut out and parsed: a per-line loop in Python ran at ~140 MB/s. The
    chunk is searched where it was read; only the line a chunk boundary cuts is joined on its
    own (joining every chunk to the previous one's tail cost a third of the scan). A nested key
    of that spelling can only widen the set, which the caller filters by the parsed type. A
    line still unfinished past MAX_LINE is reported once (None) and skipped, not held.
    """
    pattern = _type_pattern(types)
    pos = 0  # the file offset of chunk[0]
    start = 0  # the file offset where the line in `pending` (or being skipped) began
    pending = b""  # the start of a line the previous chunk cut
    skipping = False
    while chunk := fh.read(CHUNK):
        first = chunk.find(b"\n")
        if first < 0:  # the line goes on past this chunk
            if not skipping:
                pending += chunk
                if len(pending) > MAX_LINE:
                    yield start, None
                    pending, skipping = b"", True
            pos += len(chunk)
            continue
        if skipping:
            skipping = False
        elif pending or first:
            line = pending + chunk[:first]
            if pattern.search(line):
                yield start, line
        base, end = first + 1, chunk.rfind(b"\n") + 1
        last = -1
        for match in pattern.finditer(chunk, base, end):
            begin = max(chunk.rfind(b"\n", base, match.start()) + 1, base)
            if begin != last:  # a second occurrence in one line is the same line
                last = begin
                yield pos + begin, chunk[begin:chunk.find(b"\n", match.end())]
        start, pending = pos + end, chunk[end:]
        pos += len(chunk)
    if pending and not skipping and pattern.search(pending):
        yield start, pending


def _line_number(path: Path, offset: int | None, warn: Warnings, run: RunFiles | None) -> int:
    """The line number at a byte offset (counted only for a warning, so only when one is due)."""
    fh = _open(path, warn, run) if offset is not None else None
    if fh is None or offset is None:
        return 0
    count = 0
    with fh:
        while offset > 0 and (chunk := fh.read(min(CHUNK, offset))):
            count += chunk.count(b"\n")
            offset -= len(chunk)
    return count + 1


def tail_window(path: Path, warn: Warnings, max_bytes: int = TAIL_BYTES,
                run: RunFiles | None = None) -> tuple[bytes, bool]:
    """The whole lines in the last `max_bytes` of `path`, and whether that is the whole file."""
    fh = _open(path, warn, run)
    if fh is None:
        return b"", True
    try:
        with fh:
            size = os.fstat(fh.fileno()).st_size
            start = max(0, size - max_bytes)
            fh.seek(start)
            data = fh.read(size - start)
    except OSError as exc:
        warn.add(path, f"cannot read ({exc.strerror}); skipped")
        return b"", True
    if start:  # the window's first line began before it
        data = data[data.find(b"\n") + 1:] if b"\n" in data else b""
    return data, start == 0


def last_of_type(data: bytes, event_type: str, start: int = 0) -> tuple[int, Event] | None:
    """The last event of `event_type` in the lines `data` holds at or after byte `start`.

    Searched backwards (see `lines.lines_of_type`): a run's ending is in its last lines, and
    one absent type costs a single pass at memory speed.
    """
    for begin, line in lines_of_type(data, event_type, start):
        event = parse_event(line)
        if event is not None and event.event_type == event_type and begin >= start:
            return begin, event
    return None  # (a spelling inside another value is passed over: the search goes on back)


def events_of(data: bytes, types: Collection[str]) -> tuple[list[Event], Event | None]:
    """The events of `types` among the whole lines `data` holds, in order, and the last
    readable event of any type (see last_event).

    How a run ended (the final presentation, answer_locked, a timeout, a restart) is written in
    its last events: with `tail_window`'s bytes, reading the end costs the same for a 1 GB file
    as for a small one. A line cut by a crash at the end is passed over.
    """
    found = []
    for _, line in _typed_lines(io.BytesIO(data), types):
        event = parse_event(line) if line is not None else None
        if event is not None and event.event_type in types:
            found.append(event)
    return found, last_event(data)


# An event of an agent's output, as MassGen's json.dumps spells its first keys: the agent id
# follows the type.
_OUTPUT = re.compile(rb'"event_type": "(?:text|thinking|tool_start|tool_complete|'
                     rb'answer_submitted|final_presentation_chunk)", "agent_id": '
                     rb'"((?:[^"\\\n]|\\.){1,200})"')


def agents_streaming(data: bytes) -> set[str]:
    """The agents of which `data` (events.jsonl lines) holds output: text, tool calls, answers."""
    found: set[str] = set()
    for raw in set(_OUTPUT.findall(data)):
        try:
            found.add(json.loads(b'"' + raw + b'"'))
        except ValueError:
            continue
    return found


def last_event(data: bytes) -> Event | None:
    """The last readable event among the whole lines `data` holds, looked for in its last
    LAST_EVENT_BYTES, among its last LAST_EVENT_LINES lines that are not blank: a tail of
    blank lines or damage is not parsed line by line."""
    start = max(0, len(data) - LAST_EVENT_BYTES)
    lines = data[start:].split(b"\n")
    if start and data[start - 1:start] != b"\n":
        lines = lines[1:]  # the part of a line before the region
    tried = 0
    for line in reversed(lines):
        if line.strip():
            event = parse_event(line)
            tried += 1
            if event is not None or tried >= LAST_EVENT_LINES:
                return event
    return None


def first_and_last(path: Path, warn: Warnings,
                   run: RunFiles | None = None) -> tuple[Event | None, Event | None]:
    """The first and last readable events, reading only the file's two ends."""
    fh = _open(path, warn, run)
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
