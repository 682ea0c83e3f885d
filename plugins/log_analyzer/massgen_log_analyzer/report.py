"""Writing ANALYSIS_REPORT.md without ever losing a report or a paid reply.

The report is created exclusively when it is written: the check that none exists is made again
at that moment (the first one ran before a model call that can take minutes), so two analyses
of one run never overwrite each other. `--force` replaces one atomically. If the file cannot be
written (a read-only folder, a full disk, another analysis that finished first), the reply is
saved to a side file the message names.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from massgen_plugins.errors import MassgenError


class ReportNotWritten(MassgenError):
    """The report could not be written; the reply was kept elsewhere (exit code 1)."""


def render(plan: Any, result: Any, cost: Decimal | None) -> str:
    """The report: a header saying how it was made, then the model's reply.

    The model's text is data: secrets masked, escape sequences made visible (a report is read
    with cat as often as with an editor).
    """
    from massgen_plugins.safe_text import shown_block

    c = plan.choice
    cuts = "".join(f"\n  - {x}" for x in plan.cuts)
    header = (
        "# MassGen run analysis\n\n"
        f"- Model: {c.model}\n- Provider: {c.provider}\n"
        f"- Tokens: {result.usage.input_tokens:,} in, {result.usage.output_tokens:,} out\n"
        f"- Cost: {'unknown' if cost is None else f'${cost:.4f}'} "
        f"({plan.cost.source if plan.cost else 'no price data'})\n"
        f"- Date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}\n"
        + (f"- Input trimmed to fit:{cuts}\n" if plan.cuts else "")
        + "\n---\n\n"
    )
    return shown_block(header + result.text).rstrip() + "\n"


def write_report(path: Path, text: str, force: bool) -> None:
    """Write the report; on any failure keep `text` in a side file and say where, in one line."""
    from massgen_plugins.logs.files import write_in_run

    try:
        # Into the run's folder (the session: the report's turn dir's parent) through no link,
        # however its folders changed while the model wrote; without force, never over a
        # report another analysis wrote meanwhile.
        write_in_run(path.parent.parent, path, text, replace=force)
        return
    except FileExistsError:
        why = f"{path} appeared while this analysis ran (another analysis?)"
    except OSError as exc:
        why = f"cannot write {path} ({exc.strerror or type(exc).__name__})"
    kept = keep(text, path)
    if kept is None:  # nowhere to write: the reply goes to the terminal rather than nowhere
        import click

        click.echo(text)
        raise ReportNotWritten(f"{why}, and neither the working folder nor "
                               f"{tempfile.gettempdir()} is writable; the reply is printed above")
    raise ReportNotWritten(f"{why}; the reply is saved in {kept}"
                           + ("" if force else "; pass --force to replace the report"))


def keep(text: str, report: Path) -> Path | None:
    """Save a reply that could not go where it belongs: the side file's path, or None."""
    stamp = dt.datetime.now().strftime("%Y%m%d_%H%M%S")
    name = f"ANALYSIS_REPORT.{report.parent.parent.name}.{report.parent.name}.{stamp}.md"
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        target = folder / name
        try:
            with target.open("x", encoding="utf-8") as fh:
                fh.write(text)
            return target
        except OSError:
            continue
    return None
