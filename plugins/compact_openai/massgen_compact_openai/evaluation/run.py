"""The evaluation from start to end: the conversation, the plan, the paid calls, the results.

Nothing is paid for before the plan is shown and accepted (--yes, or a yes at the prompt) and
held to --max-cost. Outside a dry run, the plan's size is counted exactly and the endpoint is
asked whether it is the MassGen emulator (both free) before it is shown.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import click

from massgen_compact_openai.evaluation.command import (
    DEFAULT_MODEL,
    OTHER_CALLS_TIMEOUT,
    EvaluationError,
)

# MassGen 0.1.97's compression target ratio when a run's config sets none.
MASSGEN_TARGET_RATIO = 0.20


@attrs.frozen
class Options:
    """The command line of `compaction eval`."""

    log_dir: str | None
    task: str | None
    agent: str | None
    conversation: int | None
    spec: str | None
    judge: str | None
    questions: int
    baseline: bool
    dry_run: bool
    count_tokens: bool
    yes: bool
    max_cost: float | None
    force: bool
    timeout: float | None
    as_json: bool
    logs_dir: str | None


def run(ctx: click.Context, o: Options) -> None:
    """Plan, check, run and report one evaluation."""
    from massgen_compact_openai.evaluation import methods as m
    from massgen_compact_openai.evaluation import plan as p
    from massgen_compact_openai.evaluation import report as r
    from massgen_compact_openai.evaluation.recall import draw
    from massgen_plugins import (
        MissingKeyError,
        ModelSpec,
        catalog_entry,
        emit_json,
        host_of,
        key_problem,
        make_provider,
        shown,
        thaw,
        too_dear,
    )

    host = host_of(ctx)
    context = host.context("compact_openai")
    providers_cfg = thaw(host.config.get("providers") or {})
    overrides = thaw(context.core.get("model_catalog") or {})
    subject, listed = _subject(o)
    model, model_source = _model(o.spec, subject, context.get("model"))
    judge = _judge(o.judge)

    version = m.massgen_version()
    if version is None:
        click.echo("massgen-plugins: MassGen is not installed here, so only openai-compact runs "
                   "(install massgen==0.1.97 beside this plugin for MassGen's summarization)",
                   err=True)
    chosen = [(m.COMPACT, None),
              (m.SUMMARY, None if version else "MassGen is not installed here"),
              (m.BASELINE, None if o.baseline else "--no-baseline")]
    facts = subject.facts[:o.questions] if subject.facts is not None else draw(
        subject.system, subject.items, o.questions)
    if not facts:
        raise EvaluationError(f"{subject.title}: no fact in it to ask after compression (no "
                              "number, identifier or name that only one line holds); pick "
                              "another with --conversation or use --task bundled")
    if p.report_exists(subject.report) and not o.force and not o.dry_run:
        raise EvaluationError(f"{subject.report} already exists; pass --force to overwrite it")

    missing = key_problem("openai", providers_cfg)
    if missing and (not o.dry_run or o.count_tokens):
        raise MissingKeyError(missing)
    if judge is not None and not o.dry_run:
        lacking = key_problem(judge.provider, providers_cfg)
        if lacking:
            raise MissingKeyError(f"--judge {judge}: {lacking}")
    compact_timeout = o.timeout or float(context.get("timeout_s"))
    provider = None if missing else make_provider(
        "openai", providers_cfg, timeout=o.timeout or OTHER_CALLS_TIMEOUT)
    entry = catalog_entry(ModelSpec("openai", model), overrides)
    judge_entry = None if judge is None else catalog_entry(judge, overrides)

    exact = provider is not None and (o.count_tokens or not o.dry_run)
    emulator = None
    tokens = _size(subject, model)
    if exact:
        assert provider is not None
        emulator = m.emulated(provider)
        try:
            tokens = m.count(provider, model, subject.system, subject.items)
        except Exception as exc:  # the free count fails: say it, pay nothing
            raise EvaluationError(f"the token count at {provider.endpoint}, made before anything "
                                  f"is paid for, failed: {m._why(exc)}") from None
    runs = [name for name, skipped in chosen if skipped is None]
    plan = p.Plan(
        subject=subject, model=model, model_source=model_source,
        endpoint=provider.endpoint if provider is not None else "api.openai.com (not asked)",
        key=missing or (provider.credentials.source if provider is not None else ""),
        key_missing=bool(missing), emulator=emulator, tokens=tokens, exact=exact,
        methods=chosen, facts=facts, judge=None if judge is None else str(judge),
        massgen=version, target_ratio=subject.target_ratio or MASSGEN_TARGET_RATIO,
        costs=p.costs(entry, judge_entry, tokens, runs, facts, judge is not None),
        conversations=listed)

    dear = o.max_cost is not None and too_dear(plan.high, o.max_cost)
    if o.as_json and (o.dry_run or dear):
        emit_json(plan.as_json())
    elif not o.as_json:
        plan.show()
    if dear:
        assert o.max_cost is not None
        worst = "unknown (no price data)" if plan.high is None else f"${plan.high:.4f}"
        raise EvaluationError(f"the evaluation may cost up to {worst}, above --max-cost "
                              f"${o.max_cost:.4f}; nothing was paid for; choose a cheaper model, "
                              "fewer questions or --no-baseline, or raise the limit")
    if o.dry_run:
        if not o.as_json:
            how = "exact counts" if exact else "token counts are estimates; --count-tokens counts"
            click.echo(f"Dry run: nothing was sent ({how}).")
        return
    if not o.yes and sys.stdin.isatty() and not click.confirm("Run this evaluation?",
                                                              default=True):
        click.echo("Cancelled: nothing was paid for.")
        return
    assert provider is not None

    outcomes: list[m.Outcome] = []
    extra: list[Decimal | None] = []
    judge_provider = None if judge is None else make_provider(
        judge.provider, providers_cfg, timeout=o.timeout or OTHER_CALLS_TIMEOUT)
    for method, skipped in chosen:
        if skipped is not None:
            outcomes.append(m.Outcome(method, skipped=skipped))
            continue
        if method == m.COMPACT:
            done = m.compaction(subject, provider.credentials, model, compact_timeout,
                                float(context.get("retry_budget_s")), entry)
        elif method == m.SUMMARY:
            done = m.summarization(subject, provider.credentials,
                                   _summary_backend(subject, model, provider.credentials),
                                   compact_timeout, entry)
        else:
            done = m.Outcome(m.BASELINE, system=subject.system, items=list(subject.items),
                             after=tokens)
        if done.ok:
            if done.after is None:
                try:
                    done.after = m.count(provider, model, done.system, done.items or [])
                except Exception as exc:  # the size is unknown; recall goes on
                    click.echo(shown(f"massgen-plugins: warning: {method}: the count after "
                                     f"compression failed: {m._why(exc)}"), err=True)
            done.recall = m.recall(provider, model, done, facts, entry)
            if judge_provider is not None and judge is not None and done.recall.error is None:
                cost, why = m.judge(judge_provider, str(judge.model), facts, done.recall,
                                    judge_entry)
                extra.append(cost)
                if why:
                    click.echo(shown(f"massgen-plugins: warning: {method}: {why}"), err=True)
        outcomes.append(done)

    spent = r.total(outcomes, extra)
    written, why = r.write(plan, r.markdown(plan, outcomes, spent), o.force)
    if o.as_json:
        emit_json(r.as_json(plan, outcomes, spent, written))
    else:
        r.show(plan, outcomes, spent)
        if written is not None:
            click.echo(shown(f"Wrote {written}"))
    if why:
        click.echo(shown(f"massgen-plugins: warning: {why}"), err=True)


def _subject(o: Options) -> tuple[Any, list[tuple[str, bool]]]:
    """The conversation to evaluate, and the run's conversations listed for the plan."""
    from massgen_compact_openai.evaluation import subject as s
    from massgen_compact_openai.evaluation.plan import conversation_lines
    from massgen_plugins import Warnings, load_run, read_conversations

    if o.task:
        if o.log_dir or o.agent or o.conversation:
            raise EvaluationError("--task bundled takes no LOG_DIR, --agent or --conversation; "
                                  "drop them, or drop --task to evaluate a run")
        return s.bundled(Path.cwd()), []
    session, attempts = load_run(o.log_dir, o.logs_dir)
    found = []
    warn = Warnings()
    for attempt in attempts:
        found += [(attempt, c) for c in read_conversations(attempt, warn)]
    if not found:
        raise EvaluationError(f"{session.path}: no agent conversation in its logs (no "
                              "compression_debug input, no answer or vote snapshot with "
                              "context.txt); try --task bundled")
    try:
        number, conversation = s.choose([c for _, c in found], o.agent, o.conversation)
    except ValueError as exc:
        raise EvaluationError(str(exc)) from None
    attempt = found[number - 1][0]
    return s.from_run(conversation, attempt, session.path), conversation_lines(found, number)


def _model(spec: str | None, subject: Any, configured: Any) -> tuple[str, str]:
    """The OpenAI model both methods use, and where it came from."""
    from massgen_plugins import SpecError, parse_spec

    if spec:
        try:
            parsed = parse_spec(spec if "/" in spec else f"openai/{spec}")
        except SpecError as exc:
            raise EvaluationError(f"--model {spec}: {exc.format_message()}") from None
        if parsed.provider != "openai" or not parsed.model:
            raise EvaluationError(f"--model {spec}: /responses/compact is OpenAI's; name an "
                                  "OpenAI model, as in openai/gpt-5-mini")
        return parsed.model, "--model"
    backend = subject.backend or {}
    if backend.get("type") == "openai" and isinstance(backend.get("model"), str):
        return str(backend["model"]), f"the run's config for {subject.agent}"
    if configured:
        return str(configured), "plugins.compact_openai.model"
    return DEFAULT_MODEL, "the default"


def _judge(spec: str | None) -> Any:
    """The judge model's spec, or None for exact match."""
    from massgen_plugins import SpecError, parse_spec

    if not spec:
        return None
    try:
        parsed = parse_spec(spec)
    except SpecError as exc:
        raise EvaluationError(f"--judge {spec}: {exc.format_message()}") from None
    if not parsed.model:
        raise EvaluationError(f"--judge {spec}: name a model too, as in "
                              f"{parsed.provider}/MODEL")
    return parsed


def _size(subject: Any, model: str) -> int:
    """The conversation's size estimated as the core estimates a request, for a dry run."""
    from massgen_plugins import GenerateRequest, estimate_tokens

    return int(estimate_tokens(GenerateRequest(model=model, messages=tuple(subject.items),
                                               system=subject.system)).tokens)


def _summary_backend(subject: Any, model: str, credentials: Any) -> dict[str, Any]:
    """The backend MassGen's summarization is made with: the agent's, on the same model and
    endpoint as the other methods."""
    backend = dict(subject.backend) if (subject.backend or {}).get("type") == "openai" else {}
    backend.pop("base_url", None)
    backend.update(type="openai", model=model)
    if credentials.base_url:
        backend["base_url"] = credentials.base_url
    return backend
