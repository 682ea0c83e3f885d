"""The evaluation's results: a table for people, figures for `--json`, and the Markdown report.

Every place that shows a figure says whose it is: on the MassGen emulator, the emulator's. The
report is written whole or not at all, inside the run (or the working folder), never over
another without --force; when it cannot be written it is saved to a side file the error names,
so nothing paid for is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from massgen_compact_openai.evaluation.methods import Outcome


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _usd(value: Decimal | None, ran: bool = True) -> str:
    return "-" if not ran else "unknown" if value is None else f"${value:.4f}"


def _recall(o: Outcome) -> str:
    r = o.recall
    if r is None:
        return "-"
    if r.error:
        return "failed"
    return f"{sum(r.correct.values())}/{len(r.correct)}"


def rows(plan: Any, outcomes: Sequence[Outcome]) -> list[list[str]]:
    """One row per method: tokens before and after, the call's tokens, cost, time, recall."""
    out = []
    for o in outcomes:
        ran = o.skipped is None and (o.call_input is not None or o.latency is not None)
        call = (f"{_n(o.call_input)} / {_n(o.call_output)}"
                if o.call_input is not None or o.call_output is not None else "-")
        out.append([o.method, _n(plan.tokens), _n(o.after), call, _usd(o.cost, ran),
                    "-" if o.latency is None else f"{o.latency:.2f} s", _recall(o)])
    return out


COLUMNS = ["method", "tokens before", "tokens after", "call in / out", "cost", "latency",
           "recall"]


def lost(plan: Any, o: Outcome) -> list[str]:
    """The facts a method's context did not give back, one line each."""
    r = o.recall
    if r is None or r.error:
        return []
    return [f"#{f.number} {f.cue} (expected {f.answer!r}, answered "
            f"{(r.answers.get(f.number) or 'nothing')!r})"
            for f in plan.facts if not r.correct.get(f.number)]


def notes(o: Outcome) -> list[str]:
    """Why a method has no figures, or what went wrong on the way."""
    out = []
    if o.skipped:
        out.append(f"{o.method}: skipped: {o.skipped}")
    if o.error:
        out.append(f"{o.method}: failed: {o.error}")
    if o.recall is not None and o.recall.error:
        out.append(f"{o.method}: the recall request failed: {o.recall.error}")
    return out


def total(outcomes: Sequence[Outcome], extra: Sequence[Decimal | None]) -> tuple[Decimal, bool]:
    """What everything paid for cost, and whether every part of it is known."""
    parts: list[Decimal | None] = [*extra]
    for o in outcomes:
        if o.call_input is not None or o.call_output is not None:
            parts.append(o.cost)
        if o.recall is not None and o.recall.reply is not None:
            parts.append(o.recall.cost)
    return sum((p for p in parts if p is not None), Decimal(0)), all(p is not None for p in parts)


def show(plan: Any, outcomes: Sequence[Outcome], spent: tuple[Decimal, bool]) -> None:
    """Print the table, then what was lost and what went wrong."""
    from massgen_plugins import shown, table

    title = "Compaction evaluation" + (" (MassGen emulator figures, not OpenAI's)"
                                       if plan.emulator else "")
    table(title, COLUMNS, rows(plan, outcomes))
    if plan.emulator:
        click.echo(shown(f"Figures from {plan.figures()}."))
    scored = f"judged by {plan.judge}" if plan.judge else "exact match"
    click.echo(f"Recall: {len(plan.facts)} questions, {scored}. "
               f"Spent ${spent[0]:.4f}{'' if spent[1] else ' and more (some prices unknown)'}"
               f" in all, recall requests included.")
    for o in outcomes:
        for line in lost(plan, o):
            click.echo(shown(f"  {o.method} lost {line}"))
    for o in outcomes:
        for line in notes(o):
            click.echo(shown(line), err=True)


def as_json(plan: Any, outcomes: Sequence[Outcome], spent: tuple[Decimal, bool],
            report: Path | None) -> dict[str, Any]:
    """The figures as `--json` prints them."""
    def usd(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    methods = []
    for o in outcomes:
        r = o.recall
        methods.append({
            "method": o.method, "skipped": o.skipped, "error": o.error,
            "tokens_before": plan.tokens, "tokens_after": o.after,
            "call_input_tokens": o.call_input, "call_output_tokens": o.call_output,
            "cost_usd": usd(o.cost), "latency_s": None if o.latency is None else round(o.latency, 3),
            "recall": None if r is None else {
                "asked": len(plan.facts), "correct": sum(r.correct.values()) if not r.error
                else None, "error": r.error,
                "scored_by": f"judge {plan.judge}" if r.judged else "exact match",
                "lost": [{"number": f.number, "question": f.cue, "expected": f.answer,
                          "given": r.answers.get(f.number)}
                         for f in plan.facts if not r.error and not r.correct.get(f.number)],
                "input_tokens": r.input_tokens, "output_tokens": r.output_tokens,
                "cost_usd": usd(r.cost)},
        })
    return {"plan": plan.as_json(), "figures_from": plan.figures(), "emulator": plan.emulator,
            "methods": methods, "spent_usd": float(spent[0]), "spent_known": spent[1],
            "report": None if report is None else str(report)}


def markdown(plan: Any, outcomes: Sequence[Outcome], spent: tuple[Decimal, bool]) -> str:
    """The report: how it was made, the table, the facts lost, every answer, MassGen's summary."""
    from massgen_plugins import shown_block

    s = plan.subject
    head = ["# Compaction evaluation", ""]
    if plan.emulator:
        head += [f"> **Emulator figures.** Every figure below comes from {plan.figures()}. "
                 "They show that the evaluation runs, not how the methods compare.", ""]
    head += [f"- Conversation: {s.title}", f"- Built from: {s.source}",
             f"- Size: {plan.tokens:,} tokens ({'exact' if plan.exact else 'estimated'}), "
             f"{len(s.items)} items" + "".join(f"; {n}" for n in s.notes),
             f"- Model: openai/{plan.model} (from {plan.model_source}) at {plan.figures()}",
             f"- Recall: {len(plan.facts)} questions "
             f"({'planted in the task' if s.facts is not None else 'drawn from the conversation'}), "
             + (f"judged by {plan.judge}" if plan.judge else "scored by exact match"),
             f"- Spent: ${spent[0]:.4f}{'' if spent[1] else ' and more (some prices unknown)'}",
             f"- Date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}", ""]
    table = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    table += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows(plan, outcomes)]
    body = ["## Results", "", *table, ""]
    for o in outcomes:
        body += [f"- {_cell(n)}" for n in notes(o)]
    body += ["", "## Facts lost", ""]
    for o in outcomes:
        gone = lost(plan, o)
        if o.recall is not None and not o.recall.error:
            body.append(f"- {o.method}: {len(gone)} of {len(plan.facts)}")
            body += [f"  - {_cell(line)}" for line in gone]
    body += ["", "## Questions and answers", ""]
    asked = [o for o in outcomes if o.recall is not None and not o.recall.error]
    for f in plan.facts:
        body.append(f"{f.number}. `{_cell(f.cue)}` (expected `{_cell(f.answer)}`, {f.where})")
        for o in asked:
            r = o.recall
            assert r is not None
            mark = "right" if r.correct.get(f.number) else "wrong"
            body.append(f"   - {o.method}: {_cell(r.answers.get(f.number) or '(no answer)')} "
                        f"({mark})")
    summary = next((o.summary for o in outcomes if o.summary), None)
    if summary:
        body += ["", "## MassGen's summary", "", "```text", summary.replace("```", "'''"),
                 "```"]
    return shown_block("\n".join(head + body)).rstrip() + "\n"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def write(plan: Any, text: str, force: bool) -> tuple[Path | None, str | None]:
    """Write the report; (its path, None), or (None, why not and where the text was saved)."""
    from massgen_plugins import keep_aside, write_in_run

    s = plan.subject
    try:
        write_in_run(s.root, s.report, text, replace=force)
        return s.report, None
    except FileExistsError:
        why = f"{s.report} appeared while the evaluation ran"
    except OSError as exc:
        why = f"cannot write {s.report} ({exc.strerror or exc})"
    kept = keep_aside(text, s.report.stem)
    return None, why + (f"; the report is saved in {kept}" if isinstance(kept, Path) else
                        f"; it could not be saved elsewhere either ({kept})")
