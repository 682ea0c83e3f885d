"""The context compressions of a run: MassGen's own traces and log lines, and the bridge's records.

MassGen 0.1.97 leaves no event, status or metric for a reactive compression, only:

- `compression_debug/` files: `compression_<ms>_input.json` (the message counts),
  `_result.json` (what it kept: `compressed_message_count`, the summary) and, when it
  retried the request, `_retry_input.json` (the size sent again, and the error if that
  failed too);
- massgen.log lines: "[<Backend>] Context length exceeded ..., triggering reactive
  compression", "[CompressionUtils] Compressing N messages", "Compression recovery
  successful[ via summarization (M items)]". They name no agent, but they tell of a
  compression whose traces are missing. A compression an agent starts itself, before a
  request, is logged with its agent: "Attempting algorithmic compression for <agent> (N → M
  tokens)"; a trace or line that close in time is that agent's.

The bridge writes one JSON line per compression, ours or MassGen's, to
`massgen_plugins/compressions.jsonl` with the agent, method, reason (`reactive` after the API
refused a request, `proactive` before a request past the trigger), sizes, cost and latency. The same
compression is shown once: a bridge record wins over a trace, and a trace over log lines.
For a `--continue` turn, MassGen writes these into the turn_1/attempt_1 that holds the turn's
events (the stub), so that folder is read too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from massgen_plugins.data import DataError, parse_json
from massgen_plugins.logs.files import RunFiles
from massgen_plugins.logs.model import Compression

RECORDS = Path("massgen_plugins") / "compressions.jsonl"
_DEBUG = re.compile(r"^compression_(\d+)_(input|result|retry_input)\.json$")
# A trace this close to a bridge record (seconds) is the same compression.
_SAME = 2.0
# massgen.log times are whole seconds: a line and its trace may lie this far apart.
_SAME_LOG = 3.0
_BACKEND = re.compile(r"^\[([^\]]{1,60})\]")
_COUNT = re.compile(r"Compressing (\d+) messages")
_ITEMS = re.compile(r"via summarization \((\d+) items\)")
_AGENT_COMPRESSES = re.compile(r"Attempting algorithmic compression for (\S{1,100}) "
                               r"\(([\d,]{1,20}) \S+ ([\d,]{1,20}) tokens\)")


def read_compressions(path: Path, run: RunFiles, stub: Path | None = None,
                      log: Sequence[tuple[str, str, str]] = (),
                      day: str | None = None) -> tuple[Compression, ...]:
    """Every compression of the attempt in `path` (and its --continue `stub`), oldest first.

    `log` holds massgen.log's compression lines as (HH:MM:SS, level, message), `day` the
    run's date (YYYY-MM-DD) to place them.
    """
    folders = [path] + ([stub] if stub is not None else [])
    recorded = [c for folder in folders for c in _records(folder / RECORDS, run)]
    traced = [c for folder in folders for c in _traces(folder / "compression_debug", run)
              if not any(abs(c.time - r.time) <= _SAME + (r.latency_s or 0) for r in recorded)]
    known = [*recorded, *traced]
    from_log = _log_compressions(log, day)
    # A trace names no agent: the log's line of the same moment may.
    known = [k if k.agent is not None else attrs.evolve(k, agent=next(
        (c.agent for c in from_log if c.agent and abs(c.time - k.time) <= _SAME_LOG
         + (k.latency_s or 0)), None)) for k in known]
    logged = [c for c in from_log
              if not any(abs(c.time - k.time) <= _SAME_LOG + (k.latency_s or 0) for k in known)]
    return tuple(sorted([*known, *logged], key=lambda c: c.time))


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
            note=_text(entry.get("note")) or "", source="massgen-plugins bridge",
            # Records written before proactive compaction existed were all reactive.
            reason=_text(entry.get("reason")) or "reactive"))
    if bad:
        run.warn.add(file, f"skipped {bad} line{'s' * (bad != 1)} that are not compression records")
    return out


def _traces(folder: Path, run: RunFiles) -> list[Compression]:
    files = sorted(((int(m.group(1)), m.group(2), p) for p in run.list_dir(folder)
                    if (m := _DEBUG.match(p.name))), key=lambda x: x[0])
    out: list[Compression] = []
    last_input: dict[str, Any] | None = None
    for stamp, kind, file in files:
        data = run.read_json(file)
        if not isinstance(data, dict):
            continue
        if kind == "input":
            last_input = data
            continue
        if kind == "retry_input":
            # The request sent again after the compression before it: its size, and the
            # error when even the compressed context was refused.
            if out:
                prev = out[-1]
                error = _text(data.get("error"))
                out[-1] = attrs.evolve(
                    prev, tokens_after=_int(data.get("compressed_message_tokens")),
                    ok=prev.ok and error is None,
                    note=prev.note + (f"; the retry failed: {error[:200]}" if error else ""))
            continue
        before = _int((last_input or {}).get("original_message_count"))
        out.append(Compression(
            time=((last_input and _int(last_input.get("timestamp"))) or stamp) / 1000,
            agent=None, method="massgen-summarization", ok=True,
            messages_before=before, messages_after=_int(data.get("compressed_message_count")),
            note=f"summary of {_int(data.get('summary_length_chars')) or 0:,} characters",
            source="MassGen compression_debug", reason="reactive"))
        last_input = None
    return out


def _log_compressions(lines: Sequence[tuple[str, str, str]], day: str | None) -> list[Compression]:
    """Compressions told by massgen.log alone: a start line, then its counts and its result."""
    if day is None:
        return []  # a time of day with no date cannot be placed
    out: list[dict[str, Any]] = []
    for clock, _level, message in lines:
        try:
            when = datetime.fromisoformat(f"{day}T{clock}").timestamp()
        except ValueError:
            continue
        if "triggering reactive compression" in message:
            backend = _BACKEND.match(message)
            out.append({"time": when, "before": None, "after": None, "ok": None,
                        "backend": backend.group(1) if backend else None})
        elif m := _AGENT_COMPRESSES.search(message):
            out.append({"time": when, "before": None, "after": None, "ok": None,
                        "backend": None, "agent": m.group(1), "method": "massgen-algorithmic",
                        "tokens": (_number(m.group(2)), _number(m.group(3)))})
        elif not out:
            continue
        elif m := _COUNT.search(message):
            out[-1]["before"] = int(m.group(1))
        elif "Compression recovery successful" in message:
            out[-1]["ok"] = True
            if m := _ITEMS.search(message):
                out[-1]["after"] = int(m.group(1))
        elif "Summarization failed" in message:
            out[-1]["summary_failed"] = True
    return [Compression(
        time=c["time"], agent=c.get("agent"), method=c.get("method", "massgen-summarization"),
        ok=c["ok"] is True or ("agent" in c and c["ok"] is None),
        messages_before=c["before"], messages_after=c["after"],
        tokens_before=c["tokens"][0] if "tokens" in c else None,
        note="; ".join(x for x in (
            f"{c['backend']} backend" if c["backend"] else "",
            f"aimed at ~{c['tokens'][1]:,} tokens" if c.get("tokens", (0, None))[1] else "",
            "summarization failed; MassGen kept fallback guidance" if c.get("summary_failed")
            else "", "" if c["ok"] or "agent" in c else "no line says it recovered") if x),
        # MassGen's own algorithmic compression runs on its count of the last request.
        source="massgen.log", reason="proactive" if "agent" in c else "reactive") for c in out]


def _number(text: str) -> int | None:
    try:
        return int(text.replace(",", ""))
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
