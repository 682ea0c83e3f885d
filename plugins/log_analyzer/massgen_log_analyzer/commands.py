"""`massgen-plugins logs analyze` and `massgen-plugins logs models`.

The plugin registers these on every start, `--help` included, so the modules that do the work
(the plan, the report, the streaming) are imported inside the commands, when they run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import attrs
import click

from massgen_plugins import (
    MassgenError,
    MissingKeyError,
    UsageError,
    emit_json,
    host_of,
    key_problem,
    load_run,
    logs_dir_option,
    shown,
    table,
    too_dear,
)

REPORT = "ANALYSIS_REPORT.md"
LIVE_PREFIXES = {"openai": ("gpt-", "o1", "o3", "o4"), "anthropic": ("claude-",),
                 "google": ("gemini-",)}


class AnalysisError(UsageError):
    """The analysis cannot go ahead as asked (exit code 2)."""


@click.command()
@click.argument("log_dir", required=False)
@click.option("--mode", type=click.Choice(["report", "self"]), default="report", show_default=True,
              help="report: one model reads the run and writes the report. self: MassGen's own "
                   "multi-agent self-analysis, with --model for its agents (needs MassGen).")
@click.option("--model", "spec", metavar="SPEC",
              help="PROVIDER/MODEL, a provider, or an alias. Default: $MASSGEN_ANALYSIS_MODEL, "
                   "then plugins.log_analyzer.default_model, then the first provider with a key.")
@click.option("--compare", metavar="SPEC,SPEC[,...]",
              help="Analyze with each of these models (at once) and compare: plans and total "
                   "cost first, then cost, tokens, time and the reports side by side. Writes "
                   "ANALYSIS_REPORT.<provider>_<model>.md each and ANALYSIS_COMPARISON.md.")
@click.option("--report-from", metavar="SPEC",
              help="With --compare: also write this model's report as the run's "
                   "ANALYSIS_REPORT.md (otherwise left as it is).")
@click.option("--turn", type=click.IntRange(min=1), help="Analyze this turn (default: the last).")
@click.option("--dry-run", is_flag=True,
              help="Print the plan and stop. Nothing is sent and no key is needed: token "
                   "counts are estimates.")
@click.option("--count-tokens", is_flag=True,
              help="Count exactly: sends the analysis text to the provider's free count endpoint.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True,
              help="Overwrite an existing report (with --compare: the files it writes).")
@click.option("--max-cost", type=float, metavar="USD",
              help="Refuse a plan that may cost more (with --compare: all models together).")
@click.option("--ui", type=click.Choice(["automation", "rich_terminal", "webui"]),
              default="automation", show_default=True, help="MassGen's UI in --mode self.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan (and result) as JSON.")
@logs_dir_option
@click.pass_context
def analyze(ctx: click.Context, log_dir: str | None, mode: str, spec: str | None,
            compare: str | None, report_from: str | None, turn: int | None, dry_run: bool,
            count_tokens: bool, yes: bool, force: bool, max_cost: float | None, ui: str,
            as_json: bool, logs_dir: str | None) -> None:
    """Analyze a run with an LLM and write ANALYSIS_REPORT.md into its turn directory.

    The plan (model and where it came from, key, tokens, fit, cost range) is printed before
    anything is sent. A dry run sends nothing at all.

    \b
    Examples (a provider alone, as in --model gemini, takes its default model):
      massgen-plugins logs analyze --model anthropic/claude-sonnet-4-6
      massgen-plugins logs analyze --model gemini --dry-run
      massgen-plugins logs analyze --turn 2 --model sonnet --yes \\
          log_20261122_035141_547798
      massgen-plugins logs analyze --mode self --model openai/gpt-5 --dry-run
      MASSGEN_ANALYSIS_MODEL=openai/gpt-5 \\
          massgen-plugins logs analyze --max-cost 0.50
      massgen-plugins logs analyze --compare sonnet,gpt-5-mini,flash \\
          --max-cost 0.50
    """
    from massgen_log_analyzer.plan import make_plan, plain
    from massgen_log_analyzer.report import count_text, deliver
    from massgen_log_analyzer.streaming import run
    from massgen_plugins import ModelChoice

    _refuse_mixed(compare, spec, mode, report_from)
    host = host_of(ctx)
    context = host.context("log_analyzer")
    session, attempts = load_run(log_dir, logs_dir)
    if turn is not None:
        attempts = [a for a in session.attempts if a.turn == turn]
    if not attempts:
        raise AnalysisError(f"{session.path}: no readable attempt"
                            + (f" in turn {turn}" if turn else "") + "; nothing to analyze")
    attempt = attempts[-1]
    if compare:
        from massgen_log_analyzer.compare import Options, run_comparison

        return run_comparison(host, attempt, compare, Options(
            report_from=report_from, dry_run=dry_run, count_tokens=count_tokens, yes=yes,
            force=force, max_cost=max_cost, as_json=as_json))
    report = attempt.path.parent / REPORT
    if report.exists() and not force and not dry_run:
        raise AnalysisError(f"{report} already exists; pass --force to overwrite it")

    choice = host.call_first("resolve_analysis_model", expect=ModelChoice, spec=spec)
    if choice is None:
        raise AnalysisError("no plugin could resolve an analysis model; pass --model")
    providers_cfg = plain(host.config.get("providers") or {})
    missing = key_problem(choice.provider, providers_cfg)
    if mode == "self":
        return _self(session.path, attempt, choice, context, turn, dry_run, yes, force,
                     max_cost, ui, as_json, providers_cfg, missing)
    if missing and (not dry_run or count_tokens):
        raise MissingKeyError(missing)
    from massgen_plugins import make_provider

    # A dry run without a key estimates: it sends nothing, so it needs no provider.
    provider = None if missing else make_provider(choice.provider, providers_cfg, timeout=600.0)
    plan = counted(provider, lambda exact: attrs.evolve(make_plan(
        attempt, choice, provider, int(context.get("output_tokens")), context, exact),
        missing_key=missing), count_tokens)
    _show_and_check(plan, as_json, max_cost, dry_run, count_tokens)
    if dry_run:
        return None
    if not yes and sys.stdin.isatty() and not click.confirm("Run this analysis?", default=True):
        click.echo("Cancelled: nothing was sent.")
        return None
    if not plan.tokens.exact:
        # The first step of a real run: an exact count, which also proves the key, the base URL
        # and the path before anything is paid for.
        read = plan.sections
        plan = counted(provider, lambda exact: make_plan(
            attempt, choice, provider, int(context.get("output_tokens")), context, exact, read),
            True)
        if max_cost is not None and too_dear(plan.high, max_cost):
            raise AnalysisError(f"counted exactly, the plan may cost up to ${plan.high:.4f}, "
                                f"above --max-cost ${max_cost:.4f}; nothing was paid for")
    result, plan = run(provider, plan, attempt, context, report)
    settled, _ = deliver(report, plan, result, force)
    if settled.doubts:
        click.echo(shown(f"massgen-plugins: warning: the provider reported usage that is not a "
                         f"token count ({', '.join(settled.doubts)}); the cost is unknown"),
                   err=True)
    cost = settled.cost
    summary = {"report": str(report), "model": f"{choice.provider}/{choice.model}",
               "input_tokens": settled.input_tokens, "output_tokens": settled.output_tokens,
               "cost_usd": None if cost is None else float(cost)}
    if as_json:
        emit_json({"plan": plan.as_json(), "result": summary})
    else:
        click.echo(shown(f"Wrote {report} ({count_text(settled.input_tokens)} in, "
                         f"{count_text(settled.output_tokens)} out, "
                         f"{'cost unknown' if cost is None else f'${cost:.4f}'})"))
    return None


def _refuse_mixed(compare: str | None, spec: str | None, mode: str,
                  report_from: str | None) -> None:
    """Refuse, in one line naming the options, what --compare does not go with."""
    if compare and spec:
        raise AnalysisError("--model and --compare do not go together: --compare names every "
                            "model; add the --model one to it")
    if compare and mode == "self":
        # MassGen's self-analysis writes ANALYSIS_REPORT.md itself: several would overwrite
        # each other, and its cost is too wide a range to set side by side.
        raise AnalysisError("--compare runs --mode report only: MassGen's self-analysis writes "
                            "ANALYSIS_REPORT.md itself, so several would overwrite each other; "
                            "drop --mode self, or run it once per model with --model")
    if report_from and not compare:
        raise AnalysisError("--report-from goes with --compare (it picks the compared model "
                            "whose report becomes ANALYSIS_REPORT.md); drop it")


def counted(provider: Any, make: Any, exact: bool) -> Any:
    """A plan, counted exactly if asked; a count the provider refuses is one line."""
    from massgen_plugins import AuthenticationError, ProviderError

    try:
        return make(exact)
    except ProviderError as exc:
        url = provider.credentials.base_url
        if exc.status == 404 and url:
            # A server of one's own may have no count endpoint: the estimate stands.
            click.echo(f"massgen-plugins: warning: {url} has no token-count endpoint (404); "
                       "the plan's counts are estimates", err=True)
            return make(False)
        where = f" at {url}" if url else ""
        why = exc.format_message()
        if isinstance(exc, AuthenticationError):
            why += f" (the key from {provider.credentials.source} was refused; check it)"
        raise AnalysisError(f"the token count{where}, made before anything is paid for, "
                            f"failed: {why}") from None


def _show_and_check(plan: Any, as_json: bool, max_cost: float | None, dry_run: bool,
                    counted: bool) -> None:
    """Print the plan; refuse it if it may cost more than --max-cost."""
    from massgen_log_analyzer.plan import Plan

    if as_json and (dry_run or (max_cost is not None and too_dear(plan.high, max_cost))):
        emit_json(plan.as_json())
    elif not as_json:
        plan.show()
    if max_cost is not None and too_dear(plan.high, max_cost):
        worst = "unknown (no price data)" if plan.high is None else f"${plan.high:.4f}"
        raise AnalysisError(f"the plan may cost up to {worst}, above --max-cost ${max_cost:.4f}; "
                            "choose a cheaper model or raise the limit")
    if dry_run and not as_json:
        if counted:
            how = "exact counts"
        elif isinstance(plan, Plan):
            how = "token counts are estimates; --count-tokens counts"
        else:
            how = "the logs' size is an estimate"
        click.echo(f"Dry run: nothing was sent ({how}).")


def _self(log_dir: Path, attempt: Any, choice: Any, context: Any, turn: int | None,
          dry_run: bool, yes: bool, force: bool, max_cost: float | None, ui: str,
          as_json: bool, providers_cfg: Any, missing: str | None) -> None:
    """MassGen's multi-agent self-analysis with `choice` for its agents."""
    from massgen_log_analyzer import self_analysis
    from massgen_log_analyzer.plan import make_self_plan
    from massgen_plugins import require_key

    self_analysis.massgen_config()  # one line now if MassGen is missing, not after the plan
    plan = attrs.evolve(make_self_plan(log_dir, attempt.path.parent, choice,
                                       int(context.get("output_tokens")), context),
                        missing_key=missing)
    _show_and_check(plan, as_json, max_cost, dry_run, counted=False)
    if dry_run:
        return
    if not yes and sys.stdin.isatty() and not click.confirm("Run this analysis?", default=True):
        click.echo("Cancelled: nothing was sent.")
        return
    credentials = require_key(choice.provider, providers_cfg)
    code = self_analysis.run(log_dir, turn or attempt.turn, force, ui, choice, credentials)
    if code:
        raise click.exceptions.Exit(code)


@click.command()
@click.option("--provider", type=click.Choice(["openai", "anthropic", "google", "gemini"]),
              help="Only this provider's models.")
@click.option("--live", is_flag=True, help="Also ask each provider with a key for its models.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models(ctx: click.Context, provider: str | None, live: bool, as_json: bool) -> None:
    """List models for analysis: context window, prices, key, and the current default (*).

    JSON: {"models": [{"model", "context_window", "window_source", "input_per_mtok",
    "output_per_mtok", "key", "default"}]}
    """
    from massgen_log_analyzer.plan import ANALYSIS_MODELS, plain
    from massgen_log_analyzer.resolve import providers_with_keys, resolve
    from massgen_plugins import ModelSpec, catalog_entry, make_provider, provider_name, unit_prices

    host = host_of(ctx)
    context = host.context("log_analyzer")
    only = provider_name(provider) if provider else None
    keys = providers_with_keys(context)
    try:
        default = resolve(None, context)
        default_spec = f"{default.provider}/{default.model}"
    except MassgenError:
        default_spec = None
    overrides = plain(context.core.get("model_catalog") or {})
    specs: dict[str, Any] = {}
    for name, ids in ANALYSIS_MODELS.items():
        for model in ids:
            specs[f"{name}/{model}"] = None
    for spec in overrides:
        specs.setdefault(spec, None)
    if live:
        for name in keys:
            try:
                listed = make_provider(name, plain(host.config.get("providers") or {}),
                                       timeout=30).list_models()
            except MassgenError as exc:
                click.echo(shown(f"massgen-plugins: warning: {exc.format_message()}; "
                                 "live list skipped"), err=True)
                continue
            for info in listed:
                if info.id.startswith(LIVE_PREFIXES[name]):
                    specs[f"{name}/{info.id}"] = info
    rows: list[dict[str, Any]] = []
    for spec, info in specs.items():
        name, _, model = spec.partition("/")
        if only and name != only:
            continue
        entry = catalog_entry(ModelSpec(name, model), overrides, info)
        price_in, price_out = unit_prices(entry)
        rows.append({"model": spec, "context_window": entry.context_window,
                     "window_source": entry.window_source,
                     "input_per_mtok": None if price_in is None else float(price_in),
                     "output_per_mtok": None if price_out is None else float(price_out),
                     "key": keys[name].source if name in keys else None,
                     "default": spec == default_spec})
    if as_json:
        emit_json({"models": rows})
        return
    table(None, ["Model", "Window", "In $/M", "Out $/M", "Key", "Window from"], [
        [("* " if r["default"] else "  ") + r["model"],
         f"{r['context_window']:,}" if r["context_window"] else "?",
         "-" if r["input_per_mtok"] is None else f"{r['input_per_mtok']:g}",
         "-" if r["output_per_mtok"] is None else f"{r['output_per_mtok']:g}",
         (r["key"] or "no key").removeprefix("env "), r["window_source"]] for r in rows])
    click.echo("* the current default (see --model in `massgen-plugins logs analyze --help`)")

