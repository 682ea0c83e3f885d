"""Printing for commands: JSON for machines, Rich tables for people."""

from __future__ import annotations

import json
from typing import Any

import click


def emit_json(data: Any) -> None:
    """Print `data` as indented JSON with a stable key order."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def table(title: str | None, columns: list[str], rows: list[list[str]],
          keep: str | None = None) -> None:
    """Print a Rich table that fits the terminal; the `keep` column (default: the first) never wraps."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD,
              collapse_padding=True, pad_edge=False)
    keep = keep or columns[0]
    for column in columns:
        # The key column (a name the user types back) stays whole; the others fold to fit.
        t.add_column(column, overflow="fold", no_wrap=column == keep)
    for row in rows:
        t.add_row(*row)
    Console(soft_wrap=False).print(t)


def compact(n: int) -> str:
    """A count in few characters: 950, 33.3k, 1.2M."""
    if n < 1000:
        return str(n)
    return f"{n / 1000:.1f}k" if n < 1_000_000 else f"{n / 1_000_000:.1f}M"
