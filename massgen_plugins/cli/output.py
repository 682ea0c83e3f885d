"""Printing for commands: JSON for machines, Rich tables for people."""

from __future__ import annotations

import json
from typing import Any

import click


def emit_json(data: Any) -> None:
    """Print `data` as indented JSON with a stable key order."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def table(title: str | None, columns: list[str], rows: list[list[str]]) -> None:
    """Print a Rich table."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, title_justify="left", header_style="bold")
    for i, column in enumerate(columns):
        # Names and numbers stay on one line; only the last (free-text) column wraps.
        last = i == len(columns) - 1
        t.add_column(column, overflow="fold", no_wrap=not last)
    for row in rows:
        t.add_row(*row)
    Console(soft_wrap=False).print(t)
