"""The methods an evaluation compares, each on the same conversation, and the recall requests.

- `openai-compact`: this plugin's own call (`compact.compact`), as the bridge makes it inside
  MassGen: POST /responses/compact with the system message as instructions.
- `massgen-summarization`: MassGen's own code in a process of its own (massgen_child), where
  MassGen is installed.
- `full context`: no compression; the recall baseline.

Every figure comes from the API: the compression calls' usage, and the exact size of each
context from /responses/input_tokens (free). A method that fails is recorded with its error and
costs the others nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from massgen_compact_openai.evaluation.recall import Fact

COMPACT = "openai-compact"
SUMMARY = "massgen-summarization"
BASELINE = "full context"
EMULATOR_HEADER = "x-massgen-emulator"
# Room for the recall reply (and a reasoning model's thinking before it).
RECALL_OUTPUT = 8_000
JUDGE_OUTPUT = 4_000
JUDGE_SYSTEM = "You grade answers to recall questions. Reply with the lines asked for, nothing else."
# MassGen's summarizer asks for no output cap; the cost range assumes at most this much.
SUMMARY_OUTPUT_ASSUMED = 16_384
# Beyond the conversation itself: MassGen's summarizer prompts and the recall questions' words.
SUMMARIZER_PROMPT_TOKENS = 1_500
# Seconds MassGen takes to import, on top of the call's own time, for its process's deadline.
MASSGEN_START_S = 120.0


@attrs.define
class Recall:
    """One method's recall request: the reply, its parsed answers and scores, and its cost."""

    reply: str | None = None
    answers: dict[int, str] = attrs.field(factory=dict)
    correct: dict[int, bool] = attrs.field(factory=dict)
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: Decimal | None = None
    error: str | None = None
    judged: bool = False  # scored by the judge model rather than by exact match


@attrs.define
class Outcome:
    """One method's figures: its call's tokens, cost and time, and the context it left."""

    method: str
    skipped: str | None = None
    error: str | None = None
    call_input: int | None = None
    call_output: int | None = None
    cost: Decimal | None = None
    latency: float | None = None
    after: int | None = None  # exact size of the compressed context
    system: str | None = None  # the system message the compressed context is sent with
    items: list[Any] | None = None  # the compressed context
    summary: str | None = None
    recall: Recall | None = None

    @property
    def ok(self) -> bool:
        """True when the method ran and left a context."""
        return self.skipped is None and self.error is None and self.items is not None


def emulated(provider: Any) -> bool:
    """True when the provider's endpoint is the MassGen emulator (a free GET of /models)."""
    try:
        raw = provider.client().with_raw_response.models.list()
        return bool(raw.headers.get(EMULATOR_HEADER) == "1")
    except Exception:  # the count right after says what is wrong, if anything
        return False


def count(provider: Any, model: str, system: str | None, items: Sequence[Any]) -> int:
    """The exact size of a context from the provider's count endpoint (free)."""
    from massgen_plugins import GenerateRequest

    tokens = provider.count_tokens(GenerateRequest(model=model, messages=tuple(items),
                                                   system=system), strict=True).tokens
    return int(tokens)


def price(entry: Any, input_tokens: int | None, output_tokens: int | None) -> Decimal | None:
    """What a call cost by the catalog, or None when its usage or the price is unknown."""
    from massgen_plugins import actual_cost

    if input_tokens is None or output_tokens is None:
        return None
    return actual_cost(entry, input_tokens, output_tokens)


def compaction(subject: Any, credentials: Any, model: str, timeout: float, budget: float,
               entry: Any) -> Outcome:
    """Compact the conversation with /responses/compact, as the bridge does inside MassGen."""
    from massgen_compact_openai.compact import compact
    from massgen_plugins import CompressionRequest

    request = CompressionRequest(
        items=subject.items, provider="openai", model=model, reason="evaluation",
        target_tokens=0, instructions=subject.system, base_url=credentials.base_url,
        api="responses")
    started = time.monotonic()
    try:
        result = compact(request, credentials, model, timeout, budget)
    except Exception as exc:  # one method's failure; the others go on
        return Outcome(COMPACT, error=_why(exc), latency=time.monotonic() - started)
    from massgen_plugins import thaw

    return Outcome(COMPACT, call_input=result.input_tokens, call_output=result.output_tokens,
                   cost=price(entry, result.input_tokens, result.output_tokens),
                   latency=time.monotonic() - started, system=subject.system,
                   items=thaw(result.items))


def massgen_version() -> str | None:
    """The installed MassGen's version, found without importing it; None when it is missing."""
    from importlib.machinery import PathFinder
    from importlib.metadata import PackageNotFoundError, version

    # PathFinder: a lookup through sys.meta_path would start the bridge in this process.
    if PathFinder.find_spec("massgen") is None:
        return None
    try:
        return version("massgen")
    except PackageNotFoundError:
        return "unknown"


def summarization(subject: Any, credentials: Any, backend: dict[str, Any], timeout: float,
                  entry: Any) -> Outcome:
    """MassGen's own summarization, in a process of its own (see massgen_child).

    A reply that cannot be read (it may hold a paid summary) is kept aside, and said where.
    """
    from massgen_compact_openai.evaluation.massgen_child import RESULT
    from massgen_compact_openai.evaluation.subject import to_items
    from massgen_plugins import keep_aside, shown

    job = {"messages": subject.massgen_messages(), "backend": backend,
           "target_ratio": subject.target_ratio, "agent_id": subject.agent}
    with tempfile.TemporaryDirectory(prefix="massgen-compaction-eval-") as folder:
        env = {**os.environ, "MASSGEN_PLUGINS_BRIDGE": "0", "MASSGEN_LOG_BASE_DIR": folder,
               "OPENAI_API_KEY": credentials.api_key}
        if credentials.base_url:
            env["OPENAI_BASE_URL"] = credentials.base_url
        try:
            done = subprocess.run(
                [sys.executable, "-m", "massgen_compact_openai.evaluation.massgen_child"],
                input=json.dumps(job), capture_output=True, text=True, env=env, cwd=folder,
                timeout=timeout + MASSGEN_START_S)
        except subprocess.TimeoutExpired:
            return Outcome(SUMMARY, error=f"MassGen did not finish within "
                                          f"{timeout + MASSGEN_START_S:g} s")
    lines = [x for x in done.stdout.splitlines() if x.startswith(RESULT)]
    try:
        result = json.loads(lines[-1][len(RESULT):])
    except (IndexError, ValueError):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        where = keep_aside(done.stdout, "massgen-summarization", ".txt") \
            if done.stdout.strip() else None
        return Outcome(SUMMARY, error=shown(f"MassGen's process ended with code "
                                            f"{done.returncode}: {last[:300]}")
                       + (f"; its output is saved in {where}" if isinstance(where, Path) else ""))
    base = Outcome(SUMMARY, call_input=result.get("input_tokens"),
                   call_output=result.get("output_tokens"), latency=result.get("latency_s"),
                   summary=result.get("summary"))
    base.cost = price(entry, base.call_input, base.call_output)
    if not result.get("ok"):
        base.error = shown(str(result.get("error"))[:500])
        if result.get("messages"):
            base.error += " (MassGen went on with its fallback note instead of a summary)"
        return base
    system, items, _ = to_items(result["messages"])
    base.system, base.items = system, items
    return base


def recall(provider: Any, model: str, outcome: Outcome, facts: Sequence[Fact],
           entry: Any) -> Recall:
    """Ask every question after the method's context, in one request; parse the answers."""
    from massgen_compact_openai.evaluation.recall import answers, exact, questions
    from massgen_plugins import GenerateRequest

    request = GenerateRequest(
        model=model, messages=(*(outcome.items or ()), {"role": "user",
                                                       "content": questions(facts)}),
        system=outcome.system, max_output_tokens=RECALL_OUTPUT)
    try:
        result = provider.generate(request)
    except Exception as exc:  # this method's recall fails; the others go on
        return Recall(error=_why(exc))
    got = answers(result.text)
    return Recall(reply=result.text, answers=got,
                  correct={f.number: exact(got.get(f.number), f.answer) for f in facts},
                  input_tokens=result.usage.input_tokens,
                  output_tokens=result.usage.output_tokens,
                  cost=price(entry, result.usage.input_tokens, result.usage.output_tokens))


def judge(provider: Any, model: str, facts: Sequence[Fact], done: Recall,
          entry: Any) -> tuple[Decimal | None, str | None]:
    """Have the judge model score `done`'s answers in place; its cost and any error."""
    from massgen_compact_openai.evaluation.recall import grading, verdicts
    from massgen_plugins import GenerateRequest

    request = GenerateRequest(model=model, system=JUDGE_SYSTEM, max_output_tokens=JUDGE_OUTPUT,
                              messages=({"role": "user",
                                         "content": grading(facts, done.answers)},))
    try:
        result = provider.generate(request)
    except Exception as exc:  # the exact-match scores stand
        return None, _why(exc)
    said = verdicts(result.text)
    if not said:
        return (price(entry, result.usage.input_tokens, result.usage.output_tokens),
                "the judge's reply held no verdicts; exact match stands")
    done.correct = {f.number: said.get(f.number, False) for f in facts}
    done.judged = True
    return price(entry, result.usage.input_tokens, result.usage.output_tokens), None


def _why(exc: BaseException) -> str:
    """An error as one line for people (a provider's own message where there is one)."""
    from massgen_plugins import MassgenError, shown

    if isinstance(exc, MassgenError):
        return shown(exc.format_message())
    return shown(f"{type(exc).__name__}: {exc}")
