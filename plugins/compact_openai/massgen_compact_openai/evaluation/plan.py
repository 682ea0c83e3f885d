"""What an evaluation will do and may cost, shown before any paid call.

The conversation's size is exact (the free count endpoint) unless it is a dry run without
--count-tokens; the cost is a range from the catalog, with what it assumes stated: a compaction
writes between 1% and all of its input; MassGen's summary (it asks for no output cap) at most
SUMMARY_OUTPUT_ASSUMED tokens; each recall request reads between a twentieth of the
conversation and all of it (the baseline: all of it).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import click

from massgen_compact_openai.evaluation.methods import (
    BASELINE,
    COMPACT,
    JUDGE_OUTPUT,
    RECALL_OUTPUT,
    SUMMARIZER_PROMPT_TOKENS,
    SUMMARY,
    SUMMARY_OUTPUT_ASSUMED,
)
from massgen_compact_openai.evaluation.recall import Fact


@attrs.frozen
class Cost:
    """One step's cost range (None: no price data for its model)."""

    step: str
    estimate: Any


@attrs.frozen
class Plan:
    """The evaluation as it will run: conversation, model, methods, questions, cost, report."""

    subject: Any
    model: str
    model_source: str
    endpoint: str
    key: str  # where the key comes from, or what is missing
    key_missing: bool
    emulator: bool | None  # None: not asked (a dry run sends nothing)
    tokens: int
    exact: bool
    methods: list[tuple[str, str | None]]  # (method, why it is skipped, or None)
    facts: list[Fact]
    judge: str | None
    massgen: str | None
    target_ratio: float
    costs: list[Cost]
    conversations: list[tuple[str, bool]] = attrs.field(factory=list)  # (line, chosen)

    @property
    def low(self) -> Decimal | None:
        """The least the evaluation may cost; None when a step has no price data."""
        if any(c.estimate is None for c in self.costs):
            return None
        return sum((c.estimate.low for c in self.costs), Decimal(0))

    @property
    def high(self) -> Decimal | None:
        """The most the evaluation may cost; None when a step has no price data."""
        if any(c.estimate is None for c in self.costs):
            return None
        return sum((c.estimate.high for c in self.costs), Decimal(0))

    def figures(self) -> str:
        """Whose figures these are, for every place they are shown."""
        if self.emulator:
            return (f"the MassGen emulator at {self.endpoint}: the emulator's figures, not "
                    "OpenAI's")
        return self.endpoint

    def as_json(self) -> dict[str, Any]:
        """The plan as `--json` prints it."""
        s = self.subject
        return {
            "conversation": s.title, "built_from": s.source, "left_out": s.notes,
            "items": len(s.items), "model": f"openai/{self.model}",
            "model_source": self.model_source, "endpoint": self.endpoint,
            "emulator": self.emulator, "key": None if self.key_missing else self.key,
            "key_missing": self.key if self.key_missing else None,
            "input_tokens": self.tokens, "count_exact": self.exact,
            "methods": [{"method": m, "skipped": why} for m, why in self.methods],
            "massgen": self.massgen, "target_ratio": self.target_ratio,
            "questions": [{"number": f.number, "question": f.cue, "answer": f.answer,
                           "where": f.where} for f in self.facts],
            "scored_by": f"judge {self.judge}" if self.judge else "exact match",
            "cost_usd": None if self.low is None or self.high is None else {
                "low": float(self.low), "high": float(self.high),
                "steps": [{"step": c.step, "low": float(c.estimate.low),
                           "high": float(c.estimate.high)} for c in self.costs]},
            "report": str(s.report),
        }

    def show(self) -> None:
        """Print the plan for a person (text from logs made safe to show)."""
        from massgen_plugins import shown

        s = self.subject
        say = click.echo
        say(shown(f"Conversation {s.title}"))
        say(shown(f"             {s.source}"))
        say(f"             {'a system message and ' if s.system else ''}{len(s.items)} items"
            + "".join(f"; {n}" for n in s.notes))
        say(shown(f"Model        openai/{self.model} (from {self.model_source})"))
        say(shown(f"Endpoint     {self.figures()}"))
        say(shown(f"Key          {'missing: ' if self.key_missing else ''}{self.key}"))
        how = "exact: openai count endpoint" if self.exact else (
            "estimated, about 4 characters a token; --count-tokens counts")
        say(f"Tokens       {self.tokens:,} ({how})")
        for n, (method, skipped) in enumerate(self.methods):
            head = "Methods      " if n == 0 else "             "
            say(shown(f"{head}{method:<22} {(skipped and 'skipped: ' + skipped) or _what(self, method)}"))
        scored = f"judged by {self.judge}" if self.judge else "scored by exact match"
        origin = "planted in the task" if s.facts is not None else "drawn from the conversation"
        say(f"Recall       {len(self.facts)} questions ({origin}), {scored}")
        if self.low is None or self.high is None:
            unpriced = ", ".join(c.step for c in self.costs if c.estimate is None)
            say(f"Cost         unknown: no price data for {unpriced}")
        else:
            source = next((c.estimate.source for c in self.costs), "")
            say(f"Cost         ${self.low:.4f} - ${self.high:.4f} ({source}; assumes a compaction "
                f"writes at most its input and MassGen's summary at most "
                f"{SUMMARY_OUTPUT_ASSUMED:,} tokens)")
        say(shown(f"Report       {s.report}"))
        if len(self.conversations) > 1:
            say("Conversations in this run (--conversation N picks another; * marks this one):")
            for n, (line, chosen) in enumerate(self.conversations, 1):
                say(shown(f"  {'*' if chosen else ' '} {n:>2}  {line}"))


def _what(plan: Plan, method: str) -> str:
    if method == COMPACT:
        return "POST /responses/compact, as this plugin calls it inside MassGen"
    if method == SUMMARY:
        return (f"MassGen {plan.massgen}'s own recovery (target ratio {plan.target_ratio:.2f}), "
                "in a process of its own")
    return "no compression: the recall baseline"


def costs(entry: Any, judge_entry: Any, tokens: int, methods: list[str], facts: list[Fact],
          judged: bool) -> list[Cost]:
    """The cost range of each paid step."""
    from massgen_compact_openai.evaluation.recall import grading, questions
    from massgen_plugins import estimate_cost

    asked = len(questions(facts)) // 4
    out = []
    if COMPACT in methods:
        out.append(Cost(COMPACT, estimate_cost(entry, tokens, max(1, tokens // 100), tokens)))
    if SUMMARY in methods:
        out.append(Cost(SUMMARY, estimate_cost(entry, tokens + SUMMARIZER_PROMPT_TOKENS, 200,
                                               SUMMARY_OUTPUT_ASSUMED)))
    for method in methods:
        least = tokens if method == BASELINE else tokens // 20
        low = estimate_cost(entry, least + asked, 10 * len(facts), RECALL_OUTPUT)
        high = estimate_cost(entry, tokens + asked, 10 * len(facts), RECALL_OUTPUT)
        both = None if low is None or high is None else attrs.evolve(low, high=high.high)
        out.append(Cost(f"recall after {method}", both))
        if judged:
            graded = len(grading(facts, {f.number: f.answer for f in facts})) // 4
            out.append(Cost(f"judging {method}", estimate_cost(judge_entry, graded,
                                                               5 * len(facts), JUDGE_OUTPUT)))
    return out


def conversation_lines(found: list[tuple[Any, Any]], chosen: int) -> list[tuple[str, bool]]:
    """Each conversation of a run in one line, and whether it is the chosen one (1-based)."""
    return [(f"{c.agent or '(agent not named)'}  {a.label}  {c.label}  "
             f"{c.size:,} characters  {'as MassGen handed it over' if c.exact else 'rebuilt'}",
             n == chosen) for n, (a, c) in enumerate(found, 1)]


def report_exists(path: Path) -> bool:
    """True when something (a file, a link) already has the report's name."""
    return path.exists() or path.is_symlink()
