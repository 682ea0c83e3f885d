"""Writing ANALYSIS_REPORT.md without ever losing a report or a paid reply.

The report is whole or absent: it is written to a synced temporary file in its directory and
only then given its name (`place`), so a full disk or a crash never leaves a partial or empty
report that would block the next analysis and mark the run analyzed. It is written through the
run's folders as the reader opens them, following no link: a turn swapped for a link while the
model wrote cannot send it out of the run. Without `--force` the name is taken with a link that
fails if a report appeared meanwhile (the first check ran before a model call that can take
minutes), so two analyses never overwrite each other. If the report cannot be made or written,
the reply is saved to a side file the message names.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from massgen_plugins import MassgenError


class ReportNotWritten(MassgenError):
    """The report could not be written; the reply was kept elsewhere (exit code 1)."""

    kept: Path | None = None  # the side file holding the reply, when it could be saved


@attrs.frozen
class Settled:
    """A finished call's token counts as numbers (None where the provider's is not one), and cost."""

    input_tokens: int | None
    output_tokens: int | None
    cost: Decimal | None
    doubts: tuple[str, ...] = ()


def tokens(value: Any) -> int | None:
    """A reported token count as a non-negative int, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and math.isfinite(value) and value >= 0 and value.is_integer():
        return int(value)
    return None


def settle(entry: Any, usage: Any) -> Settled:
    """The usage a provider reported, checked, and what it cost (None when unknown)."""
    from massgen_plugins import actual_cost

    counts, doubts = {}, []
    for name in ("input_tokens", "output_tokens"):
        raw = getattr(usage, name, None)
        counts[name] = tokens(raw)
        if counts[name] is None:
            doubts.append(f"{name}={str(raw)[:40]!r}")
    cost = None
    input_tokens, output_tokens = counts["input_tokens"], counts["output_tokens"]
    if input_tokens is not None and output_tokens is not None:
        cost = actual_cost(entry, input_tokens, output_tokens)
    return Settled(counts["input_tokens"], counts["output_tokens"], cost, tuple(doubts))


def render(plan: Any, result: Any, settled: Settled) -> str:
    """The report: a header saying how it was made, then the model's reply.

    The model's text is data: secrets masked, escape sequences made visible (a report is read
    with cat as often as with an editor).
    """
    from massgen_plugins import shown_block

    c = plan.choice
    cuts = "".join(f"\n  - {x}" for x in plan.cuts)
    cost = settled.cost
    header = (
        "# MassGen run analysis\n\n"
        f"- Model: {c.model}\n- Provider: {c.provider}\n"
        f"- Tokens: {count_text(settled.input_tokens)} in, "
        f"{count_text(settled.output_tokens)} out"
        + (f" (the provider reported {', '.join(settled.doubts)})" if settled.doubts else "")
        + "\n"
        f"- Cost: {'unknown' if cost is None else f'${cost:.4f}'} "
        f"({plan.cost.source if plan.cost else 'no price data'})\n"
        f"- Date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}\n"
        + (f"- Input trimmed to fit:{cuts}\n" if plan.cuts else "")
        + "\n---\n\n"
    )
    return shown_block(header + result.text).rstrip() + "\n"


def count_text(value: int | None) -> str:
    """A token count for people: `1,234`, or `unknown`."""
    return "unknown" if value is None else f"{value:,}"


def deliver(path: Path, plan: Any, result: Any, force: bool) -> tuple[Settled, str]:
    """Make and write the report of a paid reply, and return it with its figures.

    Whatever fails, the reply is kept and the error says where.
    """
    try:
        settled = settle(plan.entry, result.usage)
        text = render(plan, result, settled)
    except Exception as exc:  # a paid reply outlives any fault of ours
        raise kept_or_shown(result.text, path,
                            f"the report could not be made ({type(exc).__name__}: {exc})",
                            force) from None
    write_report(path, text, force)
    return settled, text


def write_report(path: Path, text: str, force: bool) -> None:
    """Write the report; on any failure keep `text` in a side file and say where, in one line."""
    try:
        place(path, text, replace=force)
        return
    except FileExistsError:
        why = f"{path} appeared while this analysis ran (another analysis?)"
    except OSError as exc:
        why = f"cannot write {path} ({exc.strerror or type(exc).__name__})"
    raise kept_or_shown(text, path, why, force)


def place(path: Path, text: str, replace: bool) -> None:
    """Give `path` the whole of `text` or nothing, written inside the run through no link.

    `replace` renames over an existing file; otherwise FileExistsError if the name is taken.
    The run's folder is the session's (the report sits in a turn directory).
    """
    from massgen_plugins import write_in_run

    write_in_run(path.parent.parent, path, text, replace=replace)


def kept_or_shown(text: str, report: Path, why: str, force: bool = True) -> ReportNotWritten:
    """Save `text` to a side file (or print it) and return the one-line error that says where."""
    kept = keep(text, report)
    if isinstance(kept, Path):
        error = ReportNotWritten(f"{why}; the reply is saved in {kept}"
                                 + ("" if force else "; pass --force to replace the report"))
        error.kept = kept
        return error
    import click

    from massgen_plugins import shown_block

    click.echo(shown_block(text))  # nowhere to write: the reply goes to the terminal, not nowhere
    return ReportNotWritten(f"{why}, and it could not be saved in the working folder or "
                            f"{tempfile.gettempdir()} either ({kept}); the reply is printed above")


def keep(text: str, report: Path) -> Path | str:
    """Save a reply that could not go where it belongs (secrets masked): its path, or why not."""
    from massgen_plugins import keep_aside

    # The report's own name first: the models of a comparison failing in one second differ.
    return keep_aside(text, f"{report.stem}.{report.parent.parent.name}.{report.parent.name}")
