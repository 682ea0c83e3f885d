"""Event lines found by their type in raw `events.jsonl` bytes, as MassGen spells them, unparsed.

How a run ended is in the last events of its file; finding those lines costs a search from the
end at memory speed. Parsing them is the caller's (`events.jsonl.last_of_type` makes Events;
a listing's short path reads only two fields and loads no event model).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

# How much of events.jsonl's end the readers look at for how a run ended.
TAIL_BYTES = 8 * 1024 * 1024


def window_start(data: bytes, size: int) -> int | None:
    """Where the whole lines of the last TAIL_BYTES of `data` (`size` bytes) begin; None when
    no line begins there (one line longer than the window)."""
    if size <= TAIL_BYTES:
        return 0
    begin = data.find(b"\n", size - TAIL_BYTES) + 1
    return begin or None


def tail_holding(fd: int, size: int, event_type: str,
                 first: int = 1 << 16) -> tuple[bytes, int, bool] | None:
    """The end of the open events.jsonl `fd` of `size` bytes, read back from its end until it
    holds the window's last line of `event_type` (see lines_of_type), or the whole window.

    Returns (the bytes, where the window's whole lines begin in them, whether the window is the
    whole file); None when no line begins in the window (see window_start), or the file lost
    bytes while it was read. Read, not mapped: a mapped file that another process truncates
    kills the reader with SIGBUS, and MassGen may be writing the file being listed.
    """
    low = max(0, size - TAIL_BYTES)
    want = min(first, size)
    while True:
        pos = max(low, size - want)
        # The whole end again, not the new part joined to the old: the join cost more.
        data = os.pread(fd, size - pos, pos)
        if len(data) != size - pos:
            return None
        if pos == low:
            begin = 0 if low == 0 else data.find(b"\n") + 1
            return (data, begin, low == 0) if low == 0 or begin else None
        # The first line of `data` may have begun before it: only the lines after it count.
        cut = data.find(b"\n") + 1
        if cut and next(lines_of_type(data, event_type, cut), None) is not None:
            return data, cut, low == 0
        want *= 4


def lines_of_type(data: bytes, event_type: str, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """(offset, line) of each line after byte `start` that holds the type's spelling, last first.

    A line is any that holds `"event_type": "<type>"` as MassGen's json.dumps spells it: the
    spelling inside another value yields a line the caller must reject by parsing it.
    """
    needle = b'"event_type": ' + json.dumps(event_type).encode()
    end = len(data)
    while (at := data.rfind(needle, start, end)) >= 0:
        begin = data.rfind(b"\n", 0, at) + 1
        stop = data.find(b"\n", at)
        yield begin, data[begin: stop if stop >= 0 else len(data)]
        end = at
