"""What a comparison shows: each model's figures, and the reports side by side, section by section.

The reports are lined up by their sections: the analysis asks every model for the same ones
(Summary, Coordination, ...), so "## 1. Summary" in one reply and "# Summary:" in another are
one row. In the terminal each model's part of a section is cut to its first lines: in columns
when each gets COLUMN_MIN cells or more, else one model under another. ANALYSIS_COMPARISON.md
holds every section whole. Text from the models is data: secrets masked, controls made
visible, never markup.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from massgen_plugins import shown, shown_block

COLUMN_MIN = 34
CELL_LINES = 8
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


@attrs.frozen
class Outcome:
    """How one compared model ended: its report and figures, or what failed and what was kept."""

    model: str
    report: Path
    written: bool
    error: str | None = None
    kept: Path | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: Decimal | None = None
    seconds: float | None = None
    reply: str = ""
    report_text: str = ""

    @classmethod
    def done(cls, job: Any, plan: Any, result: Any, settled: Any, text: str,
             seconds: float) -> Outcome:
        """A report written."""
        return cls(model=job.choice.spec, report=job.report, written=True,
                   input_tokens=settled.input_tokens, output_tokens=settled.output_tokens,
                   cost=settled.cost, seconds=seconds, reply=result.text, report_text=text)

    @classmethod
    def failed(cls, job: Any, error: Any, seconds: float | None) -> Outcome:
        """No report: the error, and the side file holding what was paid for, if any."""
        return cls(model=job.choice.spec, report=job.report, written=False,
                   error=error.format_message(), kept=getattr(error, "kept", None),
                   seconds=seconds)

    def as_json(self) -> dict[str, Any]:
        """The result as `--json` prints it."""
        return {"model": self.model, "status": "written" if self.written else "failed",
                "report": str(self.report) if self.written else None, "error": self.error,
                "kept": None if self.kept is None else str(self.kept),
                "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cost_usd": None if self.cost is None else float(self.cost),
                "seconds": None if self.seconds is None else round(self.seconds, 3)}


@attrs.frozen
class Total:
    """The plans' cost ranges added up; the models without price data named apart."""

    count: int
    low: Decimal | None
    high: Decimal | None
    unpriced: tuple[str, ...]
    source: str | None

    def as_json(self) -> dict[str, Any]:
        """`low` and `high` add up the priced models; the total is whole when `unpriced` is empty."""
        return {"low": None if self.low is None else float(self.low),
                "high": None if self.high is None else float(self.high),
                "unpriced": list(self.unpriced), "prices": self.source}

    def line(self) -> str:
        """The plan's total line."""
        if not self.unpriced:
            return (f"Total      ${self.low:.4f} - ${self.high:.4f} for the {self.count} "
                    f"models ({self.source})")
        if self.low is None:
            return "Total      unknown: no price data for any of these models"
        return (f"Total      unknown: no price data for {', '.join(self.unpriced)}; the others "
                f"${self.low:.4f} - ${self.high:.4f}")


def total_cost(jobs: list[Any]) -> Total:
    """The total of the jobs' planned cost ranges."""
    priced = [j.plan.cost for j in jobs if j.plan.cost is not None]
    return Total(count=len(jobs),
                 low=sum((c.low for c in priced), Decimal(0)) if priced else None,
                 high=sum((c.high for c in priced), Decimal(0)) if priced else None,
                 unpriced=tuple(j.choice.spec for j in jobs if j.plan.cost is None),
                 source=priced[0].source if priced else None)


@attrs.frozen
class Spent:
    """What the comparison cost: the known costs added up, and the models whose cost is unknown."""

    total: Decimal | None
    unknown: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """`total` adds up the known costs; it is the whole cost when `unknown` is empty."""
        return {"total": None if self.total is None else float(self.total),
                "unknown": list(self.unknown)}

    def text(self) -> str:
        """`$0.0123`, `$0.0100 + unknown`, or `unknown`."""
        if self.total is None:
            return "unknown"
        return f"${self.total:.4f}" + (" + unknown" if self.unknown else "")


def spent(outcomes: list[Outcome]) -> Spent:
    """The cost of the outcomes, known and unknown."""
    known = [o.cost for o in outcomes if o.cost is not None]
    return Spent(sum(known, Decimal(0)) if known else None,
                 tuple(o.model for o in outcomes if o.cost is None))


def sections(reply: str) -> list[tuple[str, str]]:
    """A reply's sections as (title, text), cut at its main heading level.

    The main level is the highest one used twice or more (a lone "# Title" above "## Summary",
    "## Errors" is no section). Headings inside code fences are text. Text before the first
    section that is more than headings becomes "Opening"; a reply without headings is one
    section, "Report".
    """
    lines = reply.splitlines()
    heads, fenced = [], False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := _HEADING.match(line)):
            heads.append((i, len(m.group(1)), m.group(2)))
    levels = sorted({level for _, level, _ in heads})
    main = next((lv for lv in levels if sum(h[1] == lv for h in heads) > 1),
                levels[0] if levels else None)
    if main is None:
        return [("Report", reply.strip())]
    cuts = [(i, title) for i, level, title in heads if level == main]
    found = []
    opening = [x for x in lines[:cuts[0][0]] if x.strip() and not _HEADING.match(x)]
    if opening:
        found.append(("Opening", "\n".join(lines[:cuts[0][0]]).strip()))
    for n, (i, title) in enumerate(cuts):
        end = cuts[n + 1][0] if n + 1 < len(cuts) else len(lines)
        found.append((title or "(untitled)", "\n".join(lines[i + 1:end]).strip()))
    return found


def _key(title: str) -> str:
    """A section title reduced to compare across models: "1. **Summary**:" -> "summary"."""
    words = re.sub(r"[^\w\s]", " ", title.lower())
    words = re.sub(r"^\s*(\d+|[ivx]+)\s+", "", words)  # a leading number, arabic or roman
    return " ".join(words.split())


def align(replies: list[str]) -> list[tuple[str, list[str | None]]]:
    """The sections of every reply lined up: (title, each reply's text or None).

    The sections come in the order first seen, an opening first; a title is shown as first
    seen, without its number.
    """
    rows: dict[str, tuple[str, list[str | None]]] = {}
    for n, reply in enumerate(replies):
        for title, text in sections(reply):
            key = _key(title) or title
            shown_title = re.sub(r"^\s*(\d+|[ivxIVX]+)[.):]\s+", "", title) or title
            row = rows.setdefault(key, (shown_title, [None] * len(replies)))
            row[1][n] = text if row[1][n] is None else f"{row[1][n]}\n\n{text}"
    return sorted(rows.values(), key=lambda row: row[0] != "Opening")


def _cell(text: str | None, width: int) -> list[str]:
    """A section's first CELL_LINES lines, wrapped to `width` cells, and how many more there are."""
    from rich.console import Console
    from rich.text import Text

    if text is None:
        return ["(no such section)"]
    console = Console(width=max(width, 10))
    wrapped: list[str] = []
    for line in shown_block(text).splitlines():
        if not line.strip():
            continue
        # A list item's lines hang under its text, not its marker.
        marker = _ITEM.match(line)
        hang = len(marker.group(0)) if marker and marker.end() < width // 2 else 0
        pieces = Text(line).wrap(console, width - hang) if hang else Text(line).wrap(console, width)
        for n, piece in enumerate(pieces):
            wrapped.append((" " * hang if n else "") + piece.plain.rstrip())
    if len(wrapped) > CELL_LINES:
        more = len(wrapped) - CELL_LINES + 1
        wrapped = [*wrapped[:CELL_LINES - 1], f"… {more} more lines"]
    return wrapped or ["(empty)"]


def _side_by_side(cells: list[list[str]], width: int, gap: int) -> str:
    """Cells next to each other, `width` cells each, lines without trailing spaces."""
    from rich.cells import cell_len

    rows = []
    for n in range(max(len(c) for c in cells)):
        parts = [c[n] if n < len(c) else "" for c in cells]
        rows.append((" " * gap).join(p + " " * (width - cell_len(p)) for p in parts).rstrip())
    return "\n".join(rows)


def show(outcomes: list[Outcome], turn_dir: Path, elapsed: float) -> None:
    """Print the reports side by side (each section's first lines), then the figures."""
    from rich.console import Console
    from rich.measure import Measurement
    from rich.rule import Rule
    from rich.text import Text

    console = Console(soft_wrap=False, highlight=False)
    width = console.width
    written = [o for o in outcomes if o.written]
    gap = 3
    cell = (width - gap * (len(written) - 1)) // max(1, len(written))
    if len(written) > 1 and cell >= COLUMN_MIN:
        # Columns: the models' names once on top, then each section under its rule.
        names = [[shown(o.model)[:cell]] for o in written]
        console.print(Text(_side_by_side(names, cell, gap), style="bold"))
        for title, texts in align([o.reply for o in written]):
            console.print(Rule(Text(shown(title), style="bold"), align="left"))
            console.print(Text(_side_by_side([_cell(t, cell) for t in texts], cell, gap)))
    else:
        for title, texts in align([o.reply for o in written]):
            console.print(Rule(Text(shown(title), style="bold"), align="left"))
            for o, text in zip(written, texts, strict=True):
                if text is not None:
                    console.print(Text(shown(o.model), style="bold"))
                    console.print(Text("\n".join("  " + x for x in _cell(text, width - 2))))
            lacking = [o.model for o, text in zip(written, texts, strict=True) if text is None]
            if lacking:
                console.print(Text(shown(f"(no such section from {', '.join(lacking)})"),
                                   style="dim"))
    if written:
        console.print(Rule())
    rows = [_figures(o) for o in outcomes]
    total = spent(outcomes)
    last = ["Total", total.text(), _sum(o.input_tokens for o in outcomes),
            _sum(o.output_tokens for o in outcomes), f"{elapsed:.1f} s", ""]
    figures = _figures_table(rows, last, with_reports=True)
    # Where the report names do not fit beside the figures, they go below, one a line.
    below = Measurement.get(console, console.options.update_width(10**4), figures).maximum > width
    if below:
        figures = _figures_table(rows, last, with_reports=False)
    console.print(figures)
    console.print(Text(shown(f"Reports in {turn_dir}" + (":" if below else "")), style="bold"))
    if below:
        for row in rows:
            console.print(Text(shown(f"  {row[0]}: {row[-1]}")))


def _figures_table(rows: list[list[str]], last: list[str], with_reports: bool) -> Any:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    figures = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold", pad_edge=False)
    heads = ["Model", "Cost", "In", "Out", "Time"] + (["Report"] if with_reports else [])
    for name in heads:
        figures.add_column(name, justify="left" if name in ("Model", "Report") else "right",
                           no_wrap=True)
    for row in [*rows, last]:
        figures.add_row(*(Text(shown(x)) for x in row[:len(heads)]),
                        style="bold" if row is last else None)
    return figures


def _figures(o: Outcome) -> list[str]:
    """A row of the figures: model, cost, tokens in and out, time, report (or what failed)."""
    if o.written:
        where = o.report.name
    elif o.kept is not None:
        where = f"failed: the reply is kept in {o.kept}"
    else:
        where = "failed (see below)"
    return [o.model, "unknown" if o.cost is None else f"${o.cost:.4f}", _count(o.input_tokens),
            _count(o.output_tokens), "-" if o.seconds is None else f"{o.seconds:.1f} s", where]


def _count(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def _sum(values: Any) -> str:
    values = list(values)
    known = [v for v in values if v is not None]
    if not known:
        return "unknown"
    return f"{sum(known):,}" + (" + unknown" if len(known) < len(values) else "")


def markdown(attempt: Any, outcomes: list[Outcome], total: Total, elapsed: float,
             copied_from: str | None) -> str:
    """ANALYSIS_COMPARISON.md: the figures, links to the reports, and every section side by side."""
    turn_dir = attempt.path.parent
    cost = spent(outcomes)
    lines = [
        f"# MassGen run analysis: {len(outcomes)} models compared", "",
        f"- Run: {turn_dir.parent.name}, {turn_dir.name}",
        f"- Date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- Planned: {total.line().removeprefix('Total').strip()}",
        f"- Spent: {cost.text()}"
        + (f" (unknown for {', '.join(cost.unknown)})" if cost.unknown and cost.total else ""),
        f"- Time: {elapsed:.1f} s, the models running at once",
        "- ANALYSIS_REPORT.md: " + (f"the report of {copied_from}" if copied_from
                                    else "not written by this comparison"),
        "",
        "| Model | Cost | Input tokens | Output tokens | Time | Report |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for o in outcomes:
        model, price, tin, tout, time, where = (_md_cell(x) for x in _figures(o))
        if o.written:
            where = f"[{o.report.name}]({o.report.name})"
        lines.append(f"| {model} | {price} | {tin} | {tout} | {time} | {where} |")
    written = [o for o in outcomes if o.written]
    if written:
        lines += ["", "Below, section by section, what each model wrote (its whole report, with "
                      "how it was made, is in the file the table links).", ""]
        for title, texts in align([o.reply for o in written]):
            lines += [f"## {_md_line(title)}", ""]
            for o, text in zip(written, texts, strict=True):
                lines += [f"### {_md_line(o.model)}", ""]
                if text is None:
                    lines += ["_(no such section)_", ""]
                    continue
                body = shown_block(text) or "(empty)"
                lines += [f"> {x}".rstrip() for x in body.splitlines()] + [""]
    return "\n".join(lines).rstrip() + "\n"


def _md_cell(text: str) -> str:
    return shown(text).replace("|", "\\|")


def _md_line(text: str) -> str:
    return shown(text).lstrip("#").strip()
