"""Conversations: the working context, its on-disk transcript, and context compression.

The transcript (JSONL) is the record: every item ever added, and every compression with what
it replaced the working context with. Compression replaces the *working context* only; the
transcript is appended to, never rewritten. Resuming a session replays the transcript.
Its first line is a header, so a file that is not a session is recognised before anything is
appended to it; a last record cut by a crash is set aside in a side file, not glued to the next
one; records are written with their secrets masked.

Compression (proactive before a request, reactive on a context-length error, or manual) asks
the `compress_context` hook first; when no plugin answers, or one fails or answers with items
that would break the conversation, the core summarizes with the same provider. If that fails
too, the working context stays as it was and the failure is reported: no message is lost.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from massgen_plugins.compression import estimate, refusal
from massgen_plugins.errors import MassgenError, UsageError
from massgen_plugins.secrets import redact_data
from massgen_plugins.values import CompressionRequest, CompressionResult, thaw

SUMMARY_PROMPT = (
    "You are compressing the earlier part of a conversation that is STILL IN PROGRESS, so that "
    "it can continue with less context. Write a structured summary with these sections: Goal; "
    "Decisions and facts established; Work done so far; Open questions and next steps; "
    "Important details to keep verbatim (names, numbers, code, file paths). Do not answer "
    "anything new and do not conclude the conversation."
)
SUMMARY_TAG = "[Summary of the earlier conversation]"


class CompressionError(MassgenError):
    """Compression could not bring the context under its target (exit code 1)."""


class SessionError(UsageError):
    """A session file that cannot be used: not a session, or in use by another chat (exit code 2)."""


HEADER = "massgen-plugins-session"
# Kinds of record a transcript holds; a file whose first line is one of them is a session
# written before the header existed.
RECORD_KINDS = frozenset({"item", "system", "compression", "compression_measured"})
MAX_RECORD = 64 * 1024 * 1024


@attrs.frozen
class CompressionRecord:
    """What one compression did and cost."""

    method: str
    reason: str
    tokens_before: int
    tokens_after: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    latency_s: float
    ok: bool = True
    note: str = ""
    # Input tokens of the next request, as the provider reported them (set after it).
    measured_after: int | None = None

    def line(self) -> str:
        """The one line shown in the chat."""
        if not self.ok:
            return f"[compression failed ({self.reason}): {self.note}; context unchanged]"
        cost = "cost unknown" if self.cost_usd is None else f"${self.cost_usd:.4f}"
        return (f"[compressed ({self.reason}, {self.method}): {self.tokens_before:,} -> "
                f"{self.tokens_after:,} tokens; call {self.input_tokens:,} in / "
                f"{self.output_tokens:,} out, {cost}, {self.latency_s:.2f} s]")


def safe_split(items: list[Mapping[str, Any]], keep_tokens: int) -> int:
    """Index splitting older items from the recent ones kept verbatim (about `keep_tokens`).

    Never inside a tool call/output pair: the split moves earlier until the recent part holds
    no output whose call is older.
    """
    total, split = 0, len(items)
    while split > 0 and total + estimate(items[split - 1]) <= keep_tokens:
        split -= 1
        total += estimate(items[split])
    split = max(split, 0)
    while split > 0:
        recent_outputs = {i.get("call_id") for i in items[split:]
                          if i.get("type") == "function_call_output"}
        recent_calls = {i.get("call_id") for i in items[split:]
                        if i.get("type") == "function_call"}
        if recent_outputs <= recent_calls:
            break
        split -= 1
    return split


class Transcript:
    """The append-only JSONL record of a conversation."""

    def __init__(self, path: Path, exclusive: bool = False) -> None:
        """Append to `path`: a new file gets a header; an existing one must be a session.

        A last record cut off by a crash is moved to a side file first, so the next record
        starts on a line of its own. `exclusive` takes the session for this process before
        anything is read or written: a second chat on it is refused while this one runs.
        Problems worth telling the user go to `warnings`.
        """
        self.path = path
        self.warnings: list[str] = []
        self._lock: Any = None
        path.parent.mkdir(parents=True, exist_ok=True)
        if exclusive:
            self._hold()
        try:
            size = path.stat().st_size if path.exists() else 0
            if size == 0:
                self.append(HEADER, version=1)
                return
            self._recognise()
            self._set_aside_torn_end(size)
        except BaseException:
            self.release()
            raise

    def _hold(self) -> None:
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.path.parent / f".{self.path.name}.lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise SessionError(f"{self.path}: another massgen-plugins chat is using this session; "
                               "wait for it to end, or give another --session file") from None
        self._lock = lock

    def release(self) -> None:
        """Let another chat take the session."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _recognise(self) -> None:
        with self.path.open("rb") as fh:
            first = fh.readline(MAX_RECORD)
        try:
            kind = json.loads(first).get("kind")
        except (ValueError, AttributeError, RecursionError):
            kind = None
        if kind != HEADER and kind not in RECORD_KINDS:
            raise SessionError(f"{self.path}: not a massgen-plugins session (its first line is no "
                               "session record), so nothing was written to it; give a new file "
                               "or a session file to --session")

    def _set_aside_torn_end(self, size: int) -> None:
        with self.path.open("rb+") as fh:
            fh.seek(max(0, size - MAX_RECORD))
            tail = fh.read()
            if tail.endswith(b"\n"):
                return
            cut = size - len(tail) + tail.rfind(b"\n") + 1
            side = self._side_file()
            side.write_bytes(tail[tail.rfind(b"\n") + 1:])
            fh.truncate(cut)
            fh.flush()
            os.fsync(fh.fileno())
        self.warnings.append(f"{self.path}: its last record was cut off (a crash?); it is kept in "
                             f"{side} and the session resumes without it")

    def _side_file(self) -> Path:
        stamp = time.strftime("%Y%m%d_%H%M%S")
        for n in range(1000):
            side = self.path.with_name(f"{self.path.name}.torn-{stamp}{f'-{n}' if n else ''}")
            if not side.exists():  # never overwrite what an earlier repair kept
                return side
        raise SessionError(f"{self.path}: too many set-aside records beside it; move them away")

    def append(self, kind: str, **fields: Any) -> None:
        """Add one record, with its secrets masked."""
        record = redact_data({"kind": kind, "time": time.time(), **fields})
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")

    def records(self) -> Iterator[dict[str, Any]]:
        """Every readable record, in order; unreadable lines are skipped and counted in `warnings`."""
        if not self.path.exists():
            return
        bad, first_bad = 0, 0
        with self.path.open("rb") as fh:
            for number, line in enumerate(iter(lambda: fh.readline(MAX_RECORD), b""), 1):
                try:
                    record = json.loads(line)
                except (ValueError, RecursionError):
                    record = None
                if _well_formed(record):
                    if record["kind"] != HEADER:
                        yield record
                elif line.strip():
                    bad, first_bad = bad + 1, first_bad or number
        if bad:
            warning = (f"{self.path}: skipped {bad} line{'s' * (bad != 1)} that are not session "
                       f"records (first at line {first_bad})")
            if warning not in self.warnings:
                self.warnings.append(warning)

    def working_context(self) -> tuple[str | None, list[dict[str, Any]]]:
        """The system prompt and working context the transcript leads to."""
        system, items = None, []
        for rec in self.records():
            if rec["kind"] == "system":
                system = rec.get("content")
            elif rec["kind"] == "item":
                items.append(rec["item"])
            elif rec["kind"] == "compression" and rec.get("ok", True):
                items = list(rec.get("items") or items)
        return system, items


class Conversation:
    """A provider-neutral conversation: system prompt, working context, transcript, usage."""

    def __init__(self, provider: Any, model: str, window: int, transcript: Transcript,
                 host: Any = None, system: str | None = None,
                 settings: Mapping[str, Any] | None = None) -> None:
        """Start (or resume, when the transcript has records) a conversation."""
        self.provider, self.model, self.window = provider, model, window
        self.transcript, self.host = transcript, host
        s = dict(settings or {})
        self.trigger_ratio = float(s.get("trigger_ratio", 0.8))
        self.target_ratio = float(s.get("target_ratio", 0.5))
        self.max_consecutive = int(s.get("max_consecutive", 2))
        self.keep_ratio = float(s.get("keep_ratio", 0.2))
        if host is not None:
            # A plugin that will compress this conversation may say when it should happen.
            override = host.call_first("compression_settings", provider=provider.name,
                                       model=model, base_url=provider.credentials.base_url)
            if isinstance(override, Mapping):
                self.trigger_ratio = float(override.get("trigger_ratio", self.trigger_ratio))
                self.target_ratio = float(override.get("target_ratio", self.target_ratio))
        saved_system, self.items = transcript.working_context()
        self.system = system if system is not None else saved_system
        if system is not None and system != saved_system:
            transcript.append("system", content=system)
        self.last_usage_tokens: int | None = None
        self.added_since_usage = 0
        self.consecutive = 0
        self.records: list[CompressionRecord] = []
        self.on_compress: Any = None  # called with each CompressionRecord as it happens

    # -- size -------------------------------------------------------------------------------

    def size(self) -> int:
        """The working context's size: last reported usage + what was added since + system."""
        system = estimate(self.system or "")
        if self.last_usage_tokens is None:
            return system + estimate(self.items)
        return self.last_usage_tokens + self.added_since_usage

    def add(self, item: Mapping[str, Any]) -> None:
        """Append an item to the working context and the transcript."""
        item = thaw(item)
        self.items.append(item)
        self.added_since_usage += estimate(item)
        self.transcript.append("item", item=item)

    # -- a turn -----------------------------------------------------------------------------

    def send(self, text: str) -> Iterator[str]:
        """Add a user turn and stream the reply; compresses first when the context is full."""
        from massgen_plugins.providers.errors import BadRequestError, ContextLengthError

        self.add({"role": "user", "content": text})
        if self.size() > self.trigger_ratio * self.window:
            self.compress("proactive")
        for attempt in (1, 2):
            stream = self.provider.stream(self._request())
            try:
                yield from stream
            except ContextLengthError:
                if attempt == 2:
                    raise
                self.compress("reactive")  # then retry once
                continue
            except BadRequestError as exc:
                # A compaction item the service no longer accepts (key rotation, another
                # account or backend): rebuild from the transcript, compress once, retry.
                if attempt == 2 or "encrypted content" not in str(exc).lower():
                    raise
                self.rebuild()
                self.compress("recovery")
                continue
            break
        result = stream.result
        if self.records and self.records[-1].ok and self.records[-1].measured_after is None:
            # The first request after a compression measures what it really left.
            last = attrs.evolve(self.records[-1], measured_after=result.usage.input_tokens)
            self.records[-1] = last
            self.transcript.append("compression_measured", method=last.method,
                                   reason=last.reason, measured_after=last.measured_after)
        self.last_usage_tokens = result.usage.input_tokens + result.usage.output_tokens
        self.added_since_usage = 0
        self.consecutive = 0
        self.add({"role": "assistant", "content": result.text})
        self.added_since_usage = 0

    def rebuild(self) -> None:
        """Working context := every message of the transcript, with no compression applied."""
        self.items = [r["item"] for r in self.transcript.records() if r["kind"] == "item"]
        self.last_usage_tokens = None
        self.added_since_usage = 0
        self.consecutive = 0

    def _request(self) -> Any:
        from massgen_plugins.providers.types import GenerateRequest

        return GenerateRequest(model=self.model, messages=self.items, system=self.system)

    # -- compression ------------------------------------------------------------------------

    def compress(self, reason: str) -> CompressionRecord:
        """Compress the working context (hook first, then summarization); record what it did."""
        self.consecutive += 1
        if self.consecutive > self.max_consecutive:
            raise CompressionError(
                f"the context is still {self.size():,} tokens after {self.max_consecutive} "
                f"compressions in a row (window {self.window:,}); start a new session or "
                "choose a model with a larger window")
        before = self.size()
        target = int(self.target_ratio * self.window)
        started = time.monotonic()
        record = self._via_hook(reason, before, target, started) or self._summarize(
            reason, before, started)
        self.records.append(record)
        self.transcript.append("compression", **attrs.asdict(record),
                               items=self.items if record.ok else None)
        if self.on_compress is not None:
            self.on_compress(record)
        if record.ok and record.tokens_after > target and reason != "manual":
            raise CompressionError(f"compression left {record.tokens_after:,} tokens, above the "
                                   f"target {target:,}; the recent messages alone are too large")
        return record

    def _accept(self, items: list[dict[str, Any]]) -> int:
        self.items = items
        self.last_usage_tokens = None
        self.added_since_usage = 0
        return self.size()

    def _via_hook(self, reason: str, before: int, target: int,
                  started: float) -> CompressionRecord | None:
        if self.host is None:
            return None
        request = CompressionRequest(
            items=self.items, provider=self.provider.name, model=self.model, reason=reason,
            target_tokens=target, instructions=self.system,
            base_url=self.provider.credentials.base_url, api=self.provider.api,
            api_key=self.provider.credentials.api_key)
        result = self.host.call_first("compress_context", expect=CompressionResult,
                                      request=request)
        if result is None:
            return None
        why = refusal(request, result)
        if why is not None:
            # Treated like a failure: summarization may still get under the target where the
            # plugin could not (compaction keeps every user message verbatim).
            self.host.report(f"massgen-plugins: warning: compress_context ({result.method}) was "
                             f"refused: {why}; summarizing instead")
            return None
        after = self._accept(thaw(result.items))
        return CompressionRecord(result.method, reason, before, after, result.input_tokens,
                                 result.output_tokens, self._cost(result.input_tokens,
                                                                  result.output_tokens),
                                 time.monotonic() - started)

    def _summarize(self, reason: str, before: int, started: float) -> CompressionRecord:
        from massgen_plugins.providers.errors import ProviderError
        from massgen_plugins.providers.types import GenerateRequest

        split = safe_split(self.items, int(self.keep_ratio * before))
        older, recent = self.items[:split], self.items[split:]
        if not older:
            return CompressionRecord("summarize", reason, before, before, 0, 0, None,
                                     time.monotonic() - started, ok=False,
                                     note="nothing old enough to summarize")
        rendered = "\n\n".join(_render(i) for i in older)
        try:
            result = self.provider.generate(GenerateRequest(
                model=self.model, system=SUMMARY_PROMPT, max_output_tokens=2048,
                messages=[{"role": "user", "content": rendered}]))
        except ProviderError as exc:
            return CompressionRecord("summarize", reason, before, before, 0, 0, None,
                                     time.monotonic() - started, ok=False,
                                     note=exc.format_message())
        summary = {"role": "user", "content": f"{SUMMARY_TAG}\n{result.text}"}
        after = self._accept([summary, *recent])
        return CompressionRecord("summarize", reason, before, after, result.usage.input_tokens,
                                 result.usage.output_tokens,
                                 self._cost(result.usage.input_tokens, result.usage.output_tokens),
                                 time.monotonic() - started)

    def _cost(self, input_tokens: int, output_tokens: int) -> float | None:
        from massgen_plugins.providers.catalog import actual_cost, lookup
        from massgen_plugins.providers.specs import ModelSpec

        cost = actual_cost(lookup(ModelSpec(self.provider.name, self.model)), input_tokens,
                           output_tokens)
        return None if cost is None else float(cost)


def _well_formed(record: Any) -> bool:
    """True for a record whose fields have the types the conversation reads."""
    if not isinstance(record, dict) or not isinstance(record.get("kind"), str):
        return False
    kind = record["kind"]
    if kind == "item":
        return isinstance(record.get("item"), dict)
    if kind == "system":
        return isinstance(record.get("content"), (str, type(None)))
    if kind == "compression":
        items = record.get("items")
        return items is None or isinstance(items, list) and all(isinstance(i, dict) for i in items)
    return True


def _render(item: Mapping[str, Any]) -> str:
    kind = item.get("type", "message")
    if kind == "function_call":
        return f"[tool call {item.get('name')}({item.get('arguments')})]"
    if kind == "function_call_output":
        return f"[tool output: {item.get('output')}]"
    if "role" in item:
        content = item.get("content")
        if not isinstance(content, str):
            content = json.dumps(content, default=str)
        return f"{item['role']}: {content}"
    return f"[{kind} item]"
