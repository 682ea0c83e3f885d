"""Printing for commands: JSON for machines, Rich tables for people; secrets masked in both.

Tables fit the terminal (80 columns too) without breaking a word letter by letter: each column
gets a width planned here, not by Rich's proportional squeeze. A table may name a flexible
column (the question, a message) that takes the room the others leave, never less than its
minimum; columns marked droppable go first, least important first, when even that does not
fit; text too long for its cell ends in an ellipsis, or wraps at spaces where the column allows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import click

# Columns stand two cells apart; the table has no edge padding.
_GAP = 2
EXTRA = 5


def emit_json(data: Any) -> None:
    """Print `data` as indented JSON with a stable key order, secrets masked.

    JSON escapes every control character and (ASCII-only) every bidi override, so no string
    in it can act on the terminal.
    """
    from massgen_plugins.secrets import redact_data

    click.echo(json.dumps(redact_data(data), indent=2, sort_keys=True, default=str))


def emit_json_list(head: dict[str, Any], key: str, items: Iterable[str]) -> None:
    """Print `head` with `key` holding `items` (json_text each) as emit_json would, item by item.

    Every key of `head` must sort before `key`; items are printed as they come.
    """
    from massgen_plugins.secrets import redact_data

    opening = json.dumps({**redact_data(head), key: []}, indent=2, sort_keys=True, default=str)
    cut = opening.rindex("[]")
    started = False
    for text in items:
        body = "    " + text.replace("\n", "\n    ")
        # color=True only spares click's search for ANSI codes to strip from each row: JSON
        # text holds none (json escapes every control character).
        click.echo((",\n" if started else opening[:cut] + "[\n") + body, nl=False, color=True)
        started = True
    click.echo("\n  ]\n}" if started else opening)


class Col(NamedTuple):
    """A table column and how it gives way when the table is wider than the terminal."""

    header: str
    flex: bool = False   # takes the room the others leave, at least `min`
    min: int = 0         # the narrowest it may become (0: its header's width)
    want: int = 0        # a flexible column this wide (or its content's width) outranks droppable ones
    max: int = 0         # the widest it may become (0: its content's width)
    # 0: always shown; otherwise dropped when the table does not fit, highest first. An extra
    # (EXTRA and up) also gives way to a flexible column that has less than its `want`.
    drop: int = 0
    wrap: bool = False   # wrap at spaces; otherwise one line, cut with an ellipsis
    justify: str = "left"


def echo_fitted(line: str, indent: int = 0) -> None:
    """Print `line` made safe, wrapped to the terminal, later lines indented."""
    from massgen_plugins.safe_text import shown

    click.echo("\n".join(fitted(shown(line), max(40, console_width()), indent)))


def fitted(text: str, width: int, indent: int = 0) -> list[str]:
    """`text` in lines of at most `width` cells, broken at spaces, or after a dot in a dotted
    name too long for a line (`massgen.backend.response.ResponseBackend...`); a path with no
    dot or space to break at is the one thing that may stay longer."""
    body = text.lstrip(" ")
    pieces: list[tuple[str, bool]] = []  # (piece, whether a space goes before it)
    for word in body.split(" "):
        parts = [word]
        if len(word) > width - indent and "." in word and "/" not in word:
            parts = [p + "." for p in word.split(".")[:-1]] + [word.rsplit(".", 1)[1]]
        pieces += [(part, i == 0) for i, part in enumerate(parts)]
    lines: list[str] = []
    line, fresh = text[: len(text) - len(body)], True
    for piece, spaced in pieces:
        joined = line + (" " if spaced and not fresh else "") + piece
        if not fresh and len(joined) > width:
            lines.append(line.rstrip(" "))
            line = " " * indent + piece
        else:
            line = joined
        fresh = False
    return [*lines, line]


def console_width() -> int:
    """The terminal's width as Rich sees it ($COLUMNS, the terminal, or 80)."""
    from rich.console import Console

    return Console().width


def _cells(value: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in value.split("\n")), default=0)


def plan(columns: Sequence[Col], rows: Sequence[Sequence[str]],
         width: int) -> list[tuple[int, int]]:
    """(column index, width) for each column shown, in order, so the table fits `width`."""
    natural = []
    for i, c in enumerate(columns):
        content = max([_cells(c.header), *(_cells(r[i]) for r in rows)])
        natural.append(min(content, c.max) if c.max else content)
    floor = [min(natural[i], max(c.min, _cells(c.header))) for i, c in enumerate(columns)]
    shown = list(range(len(columns)))

    # First the flexible columns at their minimum; then at their `want` (or all they hold),
    # which only extras give way to.
    for least, flexed in ((1, floor), (EXTRA, [min(natural[i], max(floor[i], c.want))
                                               for i, c in enumerate(columns)])):
        wanted = [flexed[i] if c.flex else natural[i] for i, c in enumerate(columns)]
        while (sum(wanted[i] for i in shown) + _GAP * (len(shown) - 1) > width
               and any(columns[i].drop >= least for i in shown)):
            shown.remove(max((i for i in shown if columns[i].drop >= least),
                             key=lambda i: (columns[i].drop, i)))
    widths = {i: natural[i] for i in shown}
    room = width - _GAP * (len(shown) - 1)
    flex = [i for i in shown if columns[i].flex]
    fixed = sum(widths[i] for i in shown if i not in flex)
    if flex:
        share = max(0, room - fixed) // len(flex)
        for i in flex:
            widths[i] = max(floor[i], min(natural[i], share))
    # Still too wide: shrink the widest columns first, never below their floor.
    over = sum(widths.values()) - room
    while over > 0:
        shrinkable = [i for i in shown if widths[i] > floor[i]]
        if not shrinkable:
            break
        widths[max(shrinkable, key=lambda i: widths[i])] -= 1
        over -= 1
    return [(i, widths[i]) for i in shown]


def fitted_table(title: str | None, columns: Sequence[Col], rows: Sequence[Sequence[str]],
                 width: int | None = None) -> Any:
    """A Rich table of `rows` planned to fit `width` (the terminal's by default); cells are text."""
    from rich import box
    from rich.table import Table

    from massgen_plugins.safe_text import rich_text, shown

    width = width or console_width()
    safe = [[shown(cell) for cell in row] for row in rows]
    # Each cell is padded one space on its right (so columns stand _GAP apart with the box's
    # own space): these settings render alike in Rich 14.1 (MassGen's pin) and 15, where
    # pad_edge=False and collapse_padding did not. The last cell's pad is the 1 held back.
    layout = plan(columns, safe, width - 1)
    t = Table(title=rich_text(shorten(title, width)) if title else None, title_justify="left",
              header_style="bold", box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), show_edge=False)
    for i, w in layout:
        c = columns[i]
        t.add_column(c.header, width=w, no_wrap=not c.wrap, overflow="ellipsis",
                     justify=c.justify)  # type: ignore[arg-type]
    for row in safe:
        t.add_row(*(rich_text(row[i]) for i, _ in layout))
    return t


def print_table(title: str | None, columns: Sequence[Col], rows: Sequence[Sequence[str]]) -> None:
    """Print a table planned to fit the terminal."""
    from rich.console import Console

    Console(soft_wrap=False).print(fitted_table(title, columns, rows))


def table(title: str | None, columns: list[str], rows: list[list[str]],
          keep: str | None = None) -> None:
    """Print a Rich table that fits the terminal; the `keep` column (default: the first) stays whole.

    The other columns give way widest first, wrapping at spaces. Every cell is data, shown as
    text: never markup, never an escape sequence, never a secret.
    """
    keep = keep or columns[0]
    print_table(title, [Col(c, min=10_000 if c == keep else 8, wrap=c != keep)
                        for c in columns], rows)


def shorten(text: str, width: int) -> str:
    """`text` cut in the middle with an ellipsis to fit `width` cells (a path keeps both ends)."""
    if _cells(text) <= width or width < 5:
        return text
    head = (width - 1) // 3
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def compact(n: int) -> str:
    """A count in few characters: 950, 33.3k, 1.2M."""
    if n < 1000:
        return str(n)
    return f"{n / 1000:.1f}k" if n < 1_000_000 else f"{n / 1_000_000:.1f}M"
