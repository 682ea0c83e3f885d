"""Running the analysis: the streamed reply, with what the user is waiting for on screen.

While nothing has arrived yet, and while the provider is being retried, a spinner on stderr
says what is happening and for how long (a Rich status redrawn by its own thread, so the time
moves even while the request blocks). Once text flows it counts tokens received. Without a
terminal, each retry is one line and the end is one line. A comparison runs several analyses
at once, each in its own thread: one `Waiting` each, shown together on one `Board`.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import attrs
import click

from massgen_log_analyzer.plan import Plan, request
from massgen_plugins import UsageError, shown, shown_block


class AnalysisFailed(UsageError):
    """The analysis stopped; nothing was written (exit code 2)."""

    kept: Path | None = None  # where the part received was saved, if any


class Waiting:
    """One analysis in flight: what it waits for, the text received, and who keeps that text.

    `claim` decides, once, who saves or delivers the reply: the thread streaming it, or (after
    Ctrl-C in a comparison) the main thread, which keeps what a stalled stream had received.
    """

    def __init__(self, label: str = "") -> None:
        """Start the clock; `label` names the model when several stream at once."""
        self.label = label
        self.started = time.monotonic()
        self.ended: float | None = None
        self.what = "waiting for the first token"
        self.parts: list[str] = []
        self.received = 0
        self._lock = threading.Lock()
        self._claimed = False

    def claim(self) -> bool:
        """True for the first caller only: that caller keeps the reply, nobody else."""
        with self._lock:
            claimed, self._claimed = self._claimed, True
        return not claimed

    def text(self) -> str:
        """The text received so far."""
        return "".join(self.parts)

    def line(self) -> str:
        """The status of this analysis in a few words, with the time waited."""
        waited = (self.ended or time.monotonic()) - self.started
        if self.ended is not None:
            return f"done: ~{self.received // 4:,} tokens in {waited:.1f} s"
        if self.received:
            return f"receiving: ~{self.received // 4:,} tokens, {waited:.1f} s"
        return f"{self.what} ({waited:.0f} s)"

    def __rich__(self) -> Any:
        """The status line: plain text, so nothing in an error message is read as markup."""
        from rich.text import Text

        return Text(shown(self.line()))


class Board:
    """Several analyses' status lines, one a model, redrawn together."""

    def __init__(self, waitings: list[Waiting]) -> None:
        """Show `waitings` in this order."""
        self.waitings = waitings

    def __rich__(self) -> Any:
        """One plain line per analysis: its model, then its status."""
        from rich.text import Text

        width = max(len(w.label) for w in self.waitings)
        return Text("\n".join(shown(f"{w.label:<{width}}  {w.line()}") for w in self.waitings))


def run(provider: Any, plan: Plan, attempt: Any, context: Any, report: Path,
        waiting: Waiting | None = None, cancel: threading.Event | None = None
        ) -> tuple[Any, Plan]:
    """Stream the analysis with live progress; one trimmed retry on a context-length error.

    If the stream breaks after text has arrived, the part received (paid for) is saved beside
    `report`'s name in a side file that the error names. With `waiting` the caller shows the
    progress (a comparison's board); `cancel` set stops the stream as Ctrl-C would.
    """
    from massgen_plugins import AuthenticationError, ContextLengthError

    for retry in (False, True):
        try:
            return _stream(provider, plan, report, waiting, cancel), plan
        except ContextLengthError as exc:
            if retry:
                raise AnalysisFailed(f"{exc.format_message()}; the log still does not fit after "
                                     "trimming; choose a model with a larger window") from None
            if waiting is None or not sys.stderr.isatty():
                click.echo(shown(f"{_prefix(waiting)}{exc.format_message()}: trimming the input "
                                 "and retrying once"), err=True)
            plan = _shrunk(plan, attempt)
        except AuthenticationError as exc:
            raise AnalysisFailed(f"{exc.format_message()} (the key from {plan.choice.key_env} "
                                 "was refused; check it)") from None
    raise AssertionError("unreachable")


def _prefix(waiting: Waiting | None) -> str:
    return f"{waiting.label}: " if waiting is not None and waiting.label else ""


def _shrunk(plan: Plan, attempt: Any) -> Plan:
    from massgen_plugins import build_context

    budget = int(plan.tokens.tokens * 0.7)
    trimmed = build_context(attempt, budget, sections=list(plan.sections) or None)
    return attrs.evolve(plan, text=trimmed.text, cuts=trimmed.cuts,
                        full_tokens=plan.full_tokens or plan.tokens.tokens, fits=False)


def _stream(provider: Any, plan: Plan, report: Path, shared: Waiting | None,
            cancel: threading.Event | None) -> Any:
    from rich.console import Console

    live = sys.stderr.isatty()
    waiting = shared or Waiting()
    waiting.started, waiting.what = time.monotonic(), "waiting for the first token"
    # On a terminal a comparison's board shows every line; otherwise each is printed.
    say = not live or shared is None
    prefix = _prefix(shared)

    def on_retry(err: Any, wait: float, attempt: int) -> None:
        waiting.what = (f"{err.format_message()}; retrying in {wait:.1f} s (attempt "
                        f"{attempt + 1} of {provider.retry.attempts})")
        if not live:
            click.echo(shown(f"massgen-plugins: {prefix}{waiting.what}"), err=True)

    provider.on_retry = on_retry
    stream = provider.stream(request(plan.choice, plan.text, plan.reserve))
    status = Console(stderr=True).status(waiting) if live and shared is None else None
    try:
        if status is not None:
            status.start()
        for delta in stream:
            waiting.parts.append(delta)
            waiting.received += len(delta)
            if cancel is not None and cancel.is_set():
                raise KeyboardInterrupt
    except BaseException as exc:
        if waiting.parts:  # paid for: saved before anything else can fail
            if not waiting.claim():  # the main thread keeps it (Ctrl-C in a comparison)
                raise AnalysisFailed("interrupted") from None
            raise _partial(waiting.text(), report, exc) from None
        if isinstance(exc, KeyboardInterrupt):
            raise AnalysisFailed("interrupted: no report was written") from None
        raise
    finally:
        if status is not None:
            status.stop()
        provider.on_retry = None
    waiting.ended = time.monotonic()
    if say:
        click.echo(f"  {prefix}received: ~{waiting.received // 4:,} tokens in "
                   f"{waiting.ended - waiting.started:.1f} s", err=True)
    if stream.result is None:
        if not waiting.claim():
            raise AnalysisFailed("interrupted")
        raise _partial(waiting.text(), report, None)
    return stream.result


def _partial(text: str, report: Path, exc: BaseException | None) -> AnalysisFailed:
    """Save the part of a reply received before the stream broke; the error saying where."""
    from massgen_log_analyzer.report import keep
    from massgen_plugins import MassgenError

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
        failed = AnalysisFailed(f"{why}; no report was written; the {len(text):,} characters "
                                f"received are saved in {kept}")
        failed.kept = kept
        return failed
    click.echo(shown_block(text))
    return AnalysisFailed(f"{why}; no report was written, and the {len(text):,} characters "
                          f"received could not be saved ({kept}); they are printed above")
