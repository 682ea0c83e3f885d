"""`logs analyze --compare`: one run analysed by several models, plans first, reports side by side.

Each model gets the plan a single analysis gets, and the total comes after them; nothing is
sent before the user has seen them all (and confirmed, on a terminal). Then the exact counts,
which prove every key and base URL before anything is paid for, one model after another. Then
the models run at once, one thread each with its own client, at most PARALLEL at a time:
their providers limit rates per model and retry with backoff, and nothing else is shared but
the terminal (one board of status lines) and the turn directory (one file each). Each reply is
delivered as `logs analyze` delivers one, to ANALYSIS_REPORT.<provider>_<model>.md: whole, or
kept in a side file the error names. A model that fails costs the others nothing. Last,
ANALYSIS_COMPARISON.md holds the table and the reports section by section. The run's
ANALYSIS_REPORT.md, which marks a run analyzed for MassGen and for `logs list`, is written
only when --report-from names a model.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

import attrs
import click

from massgen_log_analyzer.commands import (
    REPORT,
    AnalysisError,
    counted,
)
from massgen_plugins import MassgenError, MissingKeyError, key_problem, shown, too_dear

COMPARISON = "ANALYSIS_COMPARISON.md"
PARALLEL = 4
# After Ctrl-C, how long a model that is receiving text has to notice (at its next delta)
# before the main thread keeps what it received.
SETTLE_SECONDS = 3.0


@attrs.frozen
class Options:
    """The options of `logs analyze` that a comparison uses."""

    report_from: str | None
    dry_run: bool
    count_tokens: bool
    yes: bool
    force: bool
    max_cost: float | None
    as_json: bool


@attrs.define
class Job:
    """One model of a comparison: its plan, its client, its report, and how it ended."""

    choice: Any
    plan: Any
    provider: Any
    report: Path
    waiting: Any
    outcome: Any = None
    # Set when the job's thread is done. Waited on rather than joined: a join that Ctrl-C
    # interrupts can mark a thread that still runs as stopped (CPython's tstate lock).
    done: threading.Event = attrs.field(factory=threading.Event)


def report_name(choice: Any) -> str:
    """The file a compared model's report goes to: ANALYSIS_REPORT.<provider>_<model>.md."""
    # Model ids may hold any character but "/" (a fine-tune's colons, say): a safe file name.
    model = re.sub(r"[^A-Za-z0-9._-]", "-", choice.model)[:100]
    return f"ANALYSIS_REPORT.{choice.provider}_{model}.md"


def run_comparison(host: Any, attempt: Any, specs: str, opts: Options) -> None:
    """Plan, confirm, run and compare the analysis of `attempt` by every model in `specs`."""
    from massgen_log_analyzer.comparison import total_cost
    from massgen_log_analyzer.plan import plain

    context = host.context("log_analyzer")
    choices = _choices(host, specs)
    turn_dir = attempt.path.parent
    reports = [turn_dir / report_name(c) for c in choices]
    chosen = _report_from(host, opts.report_from, choices)
    for n, report in enumerate(reports):
        if report in reports[:n]:
            other = choices[reports.index(report)].spec
            raise AnalysisError(f"{other} and {choices[n].spec} would both write {report.name}; "
                                "compare one of them at a time")
    if not opts.dry_run and not opts.force:
        written = [*reports, turn_dir / COMPARISON, *([turn_dir / REPORT] if chosen else [])]
        there = [p.name for p in written if p.exists() or p.is_symlink()]
        if there:
            raise AnalysisError(f"{', '.join(there)} already exist{'s' if len(there) == 1 else ''}"
                                f" in {turn_dir}; pass --force to overwrite")
    providers_cfg = plain(host.config.get("providers") or {})
    missing = [key_problem(c.provider, providers_cfg) for c in choices]
    if any(missing) and (not opts.dry_run or opts.count_tokens):
        raise MissingKeyError("; ".join(dict.fromkeys(m for m in missing if m)))
    from massgen_plugins import make_provider

    jobs = []
    sections: tuple[Any, ...] = ()
    for choice, report, lacking in zip(choices, reports, missing, strict=True):
        provider = None if lacking else make_provider(choice.provider, providers_cfg,
                                                      timeout=600.0)
        plan = _plan(attempt, choice, provider, context, opts.count_tokens, sections, lacking)
        sections = plan.sections  # the run is read once for every model
        jobs.append(Job(choice=choice, plan=plan, provider=provider, report=report,
                        waiting=None))
    total = total_cost(jobs)
    if opts.as_json and (opts.dry_run or _too_dear(total, opts.max_cost)):
        from massgen_plugins import emit_json

        emit_json(_plans_json(jobs, total))
    elif not opts.as_json:
        _show_plans(jobs, total, turn_dir, chosen)
    _check_cost(total, opts.max_cost, "")
    if opts.dry_run:
        if not opts.as_json:
            how = ("exact counts" if opts.count_tokens
                   else "token counts are estimates; --count-tokens counts")
            click.echo(f"Dry run: nothing was sent ({how}).")
        return
    if (not opts.yes and sys.stdin.isatty()
            and not click.confirm(f"Run these {len(jobs)} analyses?", default=True)):
        click.echo("Cancelled: nothing was sent.")
        return
    for job in jobs:
        if not job.plan.tokens.exact:
            job.plan = _plan(attempt, job.choice, job.provider, context, True, sections, None)
    total = total_cost(jobs)
    _check_cost(total, opts.max_cost, "counted exactly, ")
    _finish(jobs, attempt, context, total, chosen, opts)


def _choices(host: Any, specs: str) -> list[Any]:
    """The models --compare names, resolved as --model resolves one; at least two, each once."""
    from massgen_plugins import ModelChoice

    pieces = [p.strip() for p in specs.split(",") if p.strip()]
    if len(pieces) < 2:
        raise AnalysisError(f"--compare {specs}: name two models or more, as in --compare "
                            "sonnet,gpt-5-mini; for one model use --model")
    choices = []
    for piece in pieces:
        choice = host.call_first("resolve_analysis_model", expect=ModelChoice, spec=piece)
        if choice is None:
            raise AnalysisError("no plugin could resolve an analysis model; pass --model")
        if choice.source.startswith("--model"):  # the resolver knows one option: say which
            choice = attrs.evolve(choice, source="--compare" + choice.source[len("--model"):])
        choices.append((piece, choice))
    seen: dict[str, list[str]] = {}
    for piece, choice in choices:
        seen.setdefault(choice.spec, []).append(piece)
    twice = [f"{spec} ({', '.join(names)})" for spec, names in seen.items() if len(names) > 1]
    if twice:
        raise AnalysisError(f"--compare names {'; '.join(twice)} more than once; name each "
                            "model once")
    return [c for _, c in choices]


def _report_from(host: Any, spec: str | None, choices: list[Any]) -> Any:
    """The compared model whose report also becomes ANALYSIS_REPORT.md, or None."""
    from massgen_plugins import ModelChoice

    if not spec:
        return None
    wanted = host.call_first("resolve_analysis_model", expect=ModelChoice, spec=spec)
    for choice in choices:
        if wanted is not None and choice.spec == wanted.spec:
            return choice
    named = wanted.spec if wanted is not None else spec
    raise AnalysisError(f"--report-from {spec} is {named}, which --compare does not name; "
                        f"choose one of {', '.join(c.spec for c in choices)}")


def _plan(attempt: Any, choice: Any, provider: Any, context: Any, exact: bool,
          sections: tuple[Any, ...], lacking: str | None) -> Any:
    """One model's plan, as `logs analyze` makes it; a failed count names the model."""
    from massgen_log_analyzer.plan import make_plan

    def make(exact: bool) -> Any:
        return attrs.evolve(make_plan(attempt, choice, provider, int(context.get("output_tokens")),
                                      context, exact, sections), missing_key=lacking)

    try:
        return counted(provider, make, exact)
    except AnalysisError as exc:
        raise AnalysisError(f"{choice.spec}: {exc.format_message()}") from None


def _too_dear(total: Any, max_cost: float | None) -> bool:
    return max_cost is not None and (bool(total.unpriced) or too_dear(total.high, max_cost))


def _check_cost(total: Any, max_cost: float | None, how: str) -> None:
    """Refuse a comparison whose total may cost more than --max-cost (or cannot be priced)."""
    if not _too_dear(total, max_cost):
        return
    if total.unpriced:
        raise AnalysisError(f"no price data for {', '.join(total.unpriced)}, so the comparison "
                            f"cannot be held to --max-cost ${max_cost:.4f}; drop that model or "
                            "the limit")
    raise AnalysisError(f"{how}the {total.count} analyses may cost up to ${total.high:.4f} in "
                        f"all, above --max-cost ${max_cost:.4f}; compare fewer or cheaper "
                        "models, or raise the limit")


def _plans_json(jobs: list[Job], total: Any) -> dict[str, Any]:
    return {"plans": [{**j.plan.as_json(), "report": str(j.report)} for j in jobs],
            "total_cost_usd": total.as_json()}


def _show_plans(jobs: list[Job], total: Any, turn_dir: Path, chosen: Any) -> None:
    """Every model's plan, then the total and where the reports go."""
    for n, job in enumerate(jobs, 1):
        click.echo(f"-- {n} of {len(jobs)} " + "-" * 40)
        job.plan.show()
        click.echo(f"Report     {job.report.name}")
    click.echo("-" * 48)
    click.echo(total.line())
    click.echo(shown(f"Folder     {turn_dir}"))
    click.echo(f"Also       {COMPARISON}: the table and the reports section by section")
    if chosen is None:
        click.echo(f"           {REPORT} is left as it is (--report-from MODEL writes it)")
    else:
        click.echo(shown(f"           {REPORT}: the report of {chosen.spec} (--report-from)"))


def _finish(jobs: list[Job], attempt: Any, context: Any, total: Any, chosen: Any,
            opts: Options) -> None:
    """Run every model, write the comparison, show it, and exit 1 if any model failed."""
    from massgen_log_analyzer import comparison
    from massgen_log_analyzer.report import place

    started = time.monotonic()
    _run_all(jobs, attempt, context, opts.force)
    elapsed = time.monotonic() - started
    outcomes = [j.outcome for j in jobs]
    turn_dir = attempt.path.parent
    notes: list[str] = []
    written = [o for o in outcomes if o.written]
    copied = None
    if chosen is not None:
        mine = next(o for o in outcomes if o.model == chosen.spec)
        if mine.written:
            copied = _place(place, turn_dir / REPORT, mine.report_text, opts.force, notes,
                            f"; the report is in {mine.report.name}")
        else:
            notes.append(f"{REPORT} was not written: {chosen.spec} failed")
    compared = None
    text = comparison.markdown(attempt, outcomes, total, elapsed,
                               None if copied is None else chosen.spec)
    if written:
        compared = _place(place, turn_dir / COMPARISON, text, opts.force, notes,
                          "; the table is shown above")
    if opts.as_json:
        from massgen_plugins import emit_json

        emit_json({**_plans_json(jobs, total),
                   "results": [o.as_json() for o in outcomes],
                   "spent_usd": comparison.spent(outcomes).as_json(),
                   "seconds": round(elapsed, 3),
                   "comparison": None if compared is None else str(compared),
                   "analysis_report": None if copied is None else str(copied)})
    else:
        comparison.show(outcomes, turn_dir, elapsed)
        if compared is not None:
            click.echo(shown(f"Wrote {compared}"))
        if copied is not None:
            click.echo(shown(f"Wrote {copied} (the report of {chosen.spec})"))
    failed = [o for o in outcomes if not o.written]
    for o in failed:
        click.echo(shown(f"massgen-plugins: error: {o.model}: {o.error}"), err=True)
    for note in notes:
        click.echo(shown(f"massgen-plugins: error: {note}"), err=True)
    if failed or notes:
        raise click.exceptions.Exit(1)


def _place(place: Any, path: Path, text: str, force: bool, notes: list[str],
           meanwhile: str) -> Path | None:
    """Write a file of the comparison whole; on failure a note (nothing paid is lost: the
    reports it is made from are written)."""
    try:
        place(path, text, replace=force)
        return path
    except FileExistsError:
        notes.append(f"{path} appeared while the comparison ran; it is kept{meanwhile}")
    except OSError as exc:
        notes.append(f"cannot write {path} ({exc.strerror or exc}){meanwhile}")
    return None


def _run_all(jobs: list[Job], attempt: Any, context: Any, force: bool) -> None:
    """Run the jobs at once (PARALLEL at most); on Ctrl-C keep what each had received."""
    from rich.console import Console

    from massgen_log_analyzer.streaming import Board, Waiting

    for job in jobs:
        job.waiting = Waiting(job.choice.spec)
        job.waiting.what = f"queued: {PARALLEL} models run at a time"
    cancel = threading.Event()
    gate = threading.Semaphore(PARALLEL)
    for job in jobs:
        # Daemon threads: a model still waiting for its first token when the user presses
        # Ctrl-C has nothing to keep, and must not hold the process open.
        threading.Thread(target=_work, args=(job, attempt, context, force, cancel, gate),
                         daemon=True).start()
    status = (Console(stderr=True).status(Board([j.waiting for j in jobs]))
              if sys.stderr.isatty() else None)
    if status is not None:
        status.start()
    try:
        for job in jobs:
            while not job.done.wait(0.2):  # a wait with a timeout lets Ctrl-C through
                pass
    except KeyboardInterrupt:
        cancel.set()
        _salvage(jobs)
    finally:
        if status is not None:
            status.stop()
    if status is not None:
        for job in jobs:
            click.echo(shown(f"  {job.waiting.label}: {job.waiting.line()}"), err=True)


def _salvage(jobs: list[Job]) -> None:
    """After Ctrl-C: let streaming models stop at their next delta, then keep what is left."""
    from massgen_log_analyzer.comparison import Outcome
    from massgen_log_analyzer.streaming import _partial

    deadline = time.monotonic() + SETTLE_SECONDS
    for job in jobs:
        if job.waiting.received:
            job.done.wait(max(0.0, deadline - time.monotonic()))
    for job in jobs:
        if job.done.is_set():
            continue
        if job.waiting.claim():
            error = _partial(job.waiting.text(), job.report, KeyboardInterrupt())
            job.outcome = Outcome.failed(job, error, None)
        else:
            job.done.wait()  # it is writing its report: a moment, and nothing half done


def _work(job: Job, attempt: Any, context: Any, force: bool, cancel: threading.Event,
          gate: threading.Semaphore) -> None:
    """One model's analysis, in its own thread: stream, deliver, and record how it ended."""
    with gate:
        started = time.monotonic()
        try:
            outcome = _analyse(job, attempt, context, force, cancel, started)
            if outcome is not None:
                job.outcome = outcome
        except MassgenError as exc:
            job.outcome = job.outcome or _failed(job, exc, started)
        except Exception as exc:  # our bug in one model; the others go on
            job.outcome = _failed(job, MassgenError(f"{type(exc).__name__}: {exc}"), started)
        finally:
            job.done.set()


def _analyse(job: Job, attempt: Any, context: Any, force: bool, cancel: threading.Event,
             started: float) -> Any:
    """Stream one model's reply and write its report: its Outcome, or None when the main
    thread keeps the reply (Ctrl-C)."""
    from massgen_log_analyzer.comparison import Outcome
    from massgen_log_analyzer.report import deliver
    from massgen_log_analyzer.streaming import AnalysisFailed, run

    if cancel.is_set():
        raise AnalysisFailed("interrupted before it started: nothing was sent")
    result, plan = run(job.provider, job.plan, attempt, context, job.report, job.waiting, cancel)
    if not job.waiting.claim():
        return None
    settled, text = deliver(job.report, plan, result, force)
    return Outcome.done(job, plan, result, settled, text, time.monotonic() - started)


def _failed(job: Job, error: MassgenError, started: float) -> Any:
    from massgen_log_analyzer.comparison import Outcome

    return Outcome.failed(job, error, time.monotonic() - started)
