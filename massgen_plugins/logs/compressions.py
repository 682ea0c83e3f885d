"""The context compressions of a run: MassGen's own traces, and the bridge's records.

MassGen 0.1.97 leaves no event for a reactive compression, only `compression_debug/` files
(`compression_<ms>_input.json` with the message counts, `_result.json` with what it kept)
and WARNING lines in massgen.log. The bridge writes one JSON line per compression, ours or
MassGen's, to `massgen_plugins/compressions.jsonl` with the agent, method, sizes, cost and
latency. A MassGen trace the bridge also recorded (same moment) is shown once, as the record.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from massgen_plugins.logs.files import DataError, RunFiles, parse_json
from massgen_plugins.logs.model import Compression

RECORDS = Path("massgen_plugins") / "compressions.jsonl"
_DEBUG = re.compile(r"^compression_(\d+)_(input|result)\.json$")
# A trace this close to a bridge record (seconds) is the same compression.
_SAME = 2.0


def read_compressions(path: Path, run: RunFiles) -> tuple[Compression, ...]:
    """Every compression of the attempt in `path`, oldest first."""
    recorded = _records(path / RECORDS, run)
    traced = [c for c in _traces(path / "compression_debug", run)
              if not any(abs(c.time - r.time) <= _SAME + (r.latency_s or 0) for r in recorded)]
    return tuple(sorted([*recorded, *traced], key=lambda c: c.time))


def _records(file: Path, run: RunFiles) -> list[Compression]:
    text = run.read_text(file)
    if not text:
        return []
    out, bad = [], 0
    for line in text.splitlines():
        try:
            entry, _ = parse_json(line)
        except DataError:
            entry = None
        if not isinstance(entry, dict) or not isinstance(entry.get("time"), (int, float)):
            bad += 1
            continue
        out.append(Compression(
            time=float(entry["time"]), agent=_text(entry.get("agent")),
            method=_text(entry.get("method")) or "?", ok=entry.get("ok") is not False,
            messages_before=_int(entry.get("items_before")),
            messages_after=_int(entry.get("items_after")),
            tokens_before=_int(entry.get("tokens_before")),
            tokens_after=_int(entry.get("tokens_after")),
            cost_usd=_float(entry.get("cost_usd")), latency_s=_float(entry.get("latency_s")),
            note=_text(entry.get("note")) or "", source="massgen-plugins bridge"))
    if bad:
        run.warn.add(file, f"skipped {bad} line{'s' * (bad != 1)} that are not compression records")
    return out


def _traces(folder: Path, run: RunFiles) -> list[Compression]:
    files = sorted(((int(m.group(1)), m.group(2), p) for p in run.list_dir(folder)
                    if (m := _DEBUG.match(p.name))), key=lambda x: x[0])
    out, last_input = [], None
    for stamp, kind, file in files:
        data = run.read_json(file)
        if not isinstance(data, dict):
            continue
        if kind == "input":
            last_input = data
            continue
        before = _int((last_input or {}).get("original_message_count"))
        out.append(Compression(
            time=stamp / 1000, agent=None, method="massgen-summarization", ok=True,
            messages_before=before, messages_after=_int(data.get("compressed_message_count")),
            note=f"summary of {_int(data.get('summary_length_chars')) or 0:,} characters",
            source="MassGen compression_debug"))
        last_input = None
    return out


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
