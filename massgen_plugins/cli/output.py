"""Printing for commands: JSON for machines, Rich tables for people; secrets masked in both."""

from __future__ import annotations

import json
from typing import Any

import click


def emit_json(data: Any) -> None:
    """Print `data` as indented JSON with a stable key order, secrets masked.

    JSON escapes every control character and (ASCII-only) every bidi override, so no string
    in it can act on the terminal.
    """
    from massgen_plugins.secrets import redact_data

    click.echo(json.dumps(redact_data(data), indent=2, sort_keys=True, default=str))


def table(title: str | None, columns: list[str], rows: list[list[str]],
          keep: str | None = None) -> None:
    """Print a Rich table that fits the terminal; the `keep` column (default: the first) never wraps.

    Every cell is data, shown as text: never markup, never an escape sequence, never a secret.
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from massgen_plugins.safe_text import rich_text

    t = Table(title=rich_text(title) if title else None, title_justify="left",
              header_style="bold", box=box.SIMPLE_HEAD, collapse_padding=True, pad_edge=False)
    keep = keep or columns[0]
    for column in columns:
        # The key column (a name the user types back) stays whole; the others fold to fit.
        t.add_column(column, overflow="fold", no_wrap=column == keep)
    for row in rows:
        t.add_row(*(rich_text(cell) for cell in row))
    Console(soft_wrap=False).print(t)


def compact(n: int) -> str:
    """A count in few characters: 950, 33.3k, 1.2M."""
    if n < 1000:
        return str(n)
    return f"{n / 1000:.1f}k" if n < 1_000_000 else f"{n / 1_000_000:.1f}M"
