"""The typed scan of events.jsonl (analysis timeline, summaries of huge runs) finds exactly the
lines a line-by-line reading finds, wherever 1 MiB chunks cut them, and skips a line too long to
hold without losing the lines after it."""

from __future__ import annotations

import io
import json
import random

import pytest

from massgen_plugins.logs import events_file as jsonl
from massgen_plugins.logs.files import Warnings

TYPES = ("vote", "answer_locked", "final_answer")


def event(kind: str, text: str = "") -> bytes:
    return json.dumps({"timestamp": "2026-01-01T12:00:00.000001", "event_type": kind,
                       "agent_id": "agent_a", "round_number": 1, "data": {"t": text}}).encode()


def line_by_line(data: bytes) -> list[tuple[int, bytes]]:
    """What the scan must find: each line holding a wanted type's spelling, at its offset."""
    pattern = jsonl._type_pattern(TYPES)
    found, offset = [], 0
    for line in data.split(b"\n"):
        if pattern.search(line):
            found.append((offset, line))
        offset += len(line) + 1
    return found


def scan(data: bytes) -> list[tuple[int, bytes | None]]:
    return list(jsonl._typed_lines(io.BytesIO(data), TYPES))


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_lines_cut_by_chunk_boundaries_are_found_whole(monkeypatch, chunk):
    monkeypatch.setattr(jsonl, "CHUNK", chunk)
    rng = random.Random(chunk)
    for _ in range(200):
        lines = [event(rng.choice(["chunk", "vote", "answer_locked", "status"]), "x" * rng.randint(0, 300))
                 if rng.random() < 0.7 else b"" for _ in range(rng.randint(0, 30))]
        data = b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")
        assert scan(data) == line_by_line(data)


def test_a_line_too_long_is_reported_once_and_the_next_ones_still_found(monkeypatch, tmp_path):
    monkeypatch.setattr(jsonl, "CHUNK", 64)
    monkeypatch.setattr(jsonl, "MAX_LINE", 256)
    before, after = event("vote", "before"), event("answer_locked")
    huge = event("final_answer", "y" * 1000)  # a wanted type, but past MAX_LINE
    data = before + b"\n" + huge + b"\n" + after + b"\n"
    assert scan(data) == [(0, before), (len(before) + 1, None),
                          (len(before) + len(huge) + 2, after)]
    path = tmp_path / "events.jsonl"
    path.write_bytes(data)
    warn = Warnings()
    assert [e.event_type for e in jsonl.read_events(path, warn, TYPES)] == ["vote", "answer_locked"]
    assert list(warn) == [f"{path}: skipped 0 lines that are not events and 1 longer than "
                          "0 MB (first at line 2)"]
