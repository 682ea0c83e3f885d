"""Running the analysis: the streamed reply, with what the user is waiting for on screen.

While nothing has arrived yet, and while the provider is being retried, a spinner on stderr
says what is happening and for how long (a Rich status redrawn by its own thread, so the time
moves even while the request blocks). Once text flows it counts tokens received. Without a
terminal, each retry is one line and the end is one line.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import attrs
import click

from massgen_log_analyzer.plan import Plan, request
from massgen_plugins.errors import UsageError
from massgen_plugins.safe_text import shown, shown_block


class AnalysisFailed(UsageError):
    """The analysis stopped; nothing was written (exit code 2)."""


class Waiting:
    """What the spinner says, redrawn with the time waited on every refresh."""

    def __init__(self) -> None:
        """Start the clock."""
        self.started = time.monotonic()
        self.what = "waiting for the first token"
        self.received = 0

    def __rich__(self) -> Any:
        """The status line: plain text, so nothing in an error message is read as markup."""
        from rich.text import Text

        waited = time.monotonic() - self.started
        if self.received:
            return Text(f"receiving: ~{self.received // 4:,} tokens, {waited:.1f} s")
        return Text(shown(f"{self.what} ({waited:.0f} s)"))


def run(provider: Any, plan: Plan, attempt: Any, context: Any, report: Path) -> tuple[Any, Plan]:
    """Stream the analysis with live progress; one trimmed retry on a context-length error.

    If the stream breaks after text has arrived, the part received (paid for) is saved beside
    `report`'s name in a side file that the error names.
    """
    from massgen_plugins.providers.errors import AuthenticationError, ContextLengthError

    for retry in (False, True):
        try:
            return _stream(provider, plan, report), plan
        except ContextLengthError as exc:
            if retry:
                raise AnalysisFailed(f"{exc.format_message()}; the log still does not fit after "
                                     "trimming; choose a model with a larger window") from None
            click.echo(shown(f"{exc.format_message()}: trimming the input and retrying once"),
                       err=True)
            plan = _shrunk(plan, attempt)
        except AuthenticationError as exc:
            raise AnalysisFailed(f"{exc.format_message()} (the key from {plan.choice.key_env} "
                                 "was refused; check it)") from None
    raise AssertionError("unreachable")


def _shrunk(plan: Plan, attempt: Any) -> Plan:
    from massgen_plugins.logs.context import build_context

    budget = int(plan.tokens.tokens * 0.7)
    trimmed = build_context(attempt, budget, sections=list(plan.sections) or None)
    return attrs.evolve(plan, text=trimmed.text, cuts=trimmed.cuts,
                        full_tokens=plan.full_tokens or plan.tokens.tokens, fits=False)


def _stream(provider: Any, plan: Plan, report: Path) -> Any:
    from rich.console import Console

    live = sys.stderr.isatty()
    waiting = Waiting()
    received: list[str] = []

    def on_retry(err: Any, wait: float, attempt: int) -> None:
        waiting.what = (f"{err.format_message()}; retrying in {wait:.1f} s (attempt "
                        f"{attempt + 1} of {provider.retry.attempts})")
        if not live:
            click.echo(shown(f"massgen-plugins: {waiting.what}"), err=True)

    provider.on_retry = on_retry
    stream = provider.stream(request(plan.choice, plan.text, plan.reserve))
    status = Console(stderr=True).status(waiting) if live else None
    try:
        if status is not None:
            status.start()
        for delta in stream:
            received.append(delta)
            waiting.received += len(delta)
    except BaseException as exc:
        if received:  # paid for: saved before anything else can fail
            raise _partial("".join(received), report, exc) from None
        if isinstance(exc, KeyboardInterrupt):
            raise AnalysisFailed("interrupted: no report was written") from None
        raise
    finally:
        if status is not None:
            status.stop()
        provider.on_retry = None
    click.echo(f"  received: ~{waiting.received // 4:,} tokens in "
               f"{time.monotonic() - waiting.started:.1f} s", err=True)
    if stream.result is None:
        raise _partial("".join(received), report, None)
    return stream.result


def _partial(text: str, report: Path, exc: BaseException | None) -> AnalysisFailed:
    """Save the part of a reply received before the stream broke; the error saying where."""
    from massgen_log_analyzer.report import keep
    from massgen_plugins.errors import MassgenError

    if isinstance(exc, KeyboardInterrupt):
        why = "interrupted"
    elif isinstance(exc, MassgenError):
        why = exc.format_message()
    elif exc is not None:
        why = f"the stream broke ({type(exc).__name__}: {exc})"
    else:
        why = "the stream ended without a result"
    if not text:
        return AnalysisFailed(f"{why}; no report was written")
    note = (f"<!-- A partial reply: {why}, after {len(text):,} characters. "
            "Not a report. -->\n\n")
    kept = keep(note + text, report)
    if isinstance(kept, Path):
        return AnalysisFailed(f"{why}; no report was written; the {len(text):,} characters "
                              f"received are saved in {kept}")
    click.echo(shown_block(text))
    return AnalysisFailed(f"{why}; no report was written, and the {len(text):,} characters "
                          f"received could not be saved ({kept}); they are printed above")
