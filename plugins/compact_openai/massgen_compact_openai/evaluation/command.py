"""`massgen-plugins compaction eval`: OpenAI's compaction against MassGen's summarization.

Registered on every start, `--help` included: the work is imported inside the command.
"""

from __future__ import annotations

import click

from massgen_plugins import UsageError, logs_dir_option

DEFAULT_MODEL = "gpt-5-mini"
OTHER_CALLS_TIMEOUT = 600.0


class EvaluationError(UsageError):
    """The evaluation cannot go ahead as asked (exit code 2)."""


def group() -> click.Group:
    """The `compaction` command group."""

    @click.group("compaction")
    def compaction() -> None:
        """Context compaction: how OpenAI's /responses/compact compares with MassGen's summary."""

    compaction.add_command(evaluate)
    return compaction


@click.command("eval")
@click.argument("log_dir", required=False)
@click.option("--task", type=click.Choice(["bundled"]),
              help="Evaluate the long task shipped with this plugin (facts planted in it) "
                   "instead of a run.")
@click.option("--agent", metavar="ID", help="The agent whose conversation to take from the run.")
@click.option("--conversation", type=click.IntRange(min=1), metavar="N",
              help="Take the run's Nth conversation (--dry-run lists them).")
@click.option("--model", "spec", metavar="MODEL",
              help="The OpenAI model both methods and the recall questions use (openai/MODEL "
                   "or MODEL). Default: the run's agent's, if it is an OpenAI one, then "
                   f"plugins.compact_openai.model, then {DEFAULT_MODEL}.")
@click.option("--judge", "judge_spec", metavar="SPEC",
              help="Score the answers with this model (PROVIDER/MODEL) instead of exact match.")
@click.option("--questions", type=click.IntRange(1, 50), default=12, show_default=True,
              help="How many recall questions to ask at most.")
@click.option("--no-baseline", is_flag=True,
              help="Do not ask the questions after the uncompressed conversation too.")
@click.option("--dry-run", is_flag=True,
              help="Print the plan and stop: nothing is sent and no key is needed.")
@click.option("--count-tokens", is_flag=True,
              help="With --dry-run: count the conversation exactly (the count endpoint is free).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--max-cost", type=float, metavar="USD",
              help="Refuse a plan that may cost more (or whose cost is unknown).")
@click.option("--force", is_flag=True, help="Overwrite an existing report.")
@click.option("--timeout", type=click.FloatRange(min=1), metavar="SECONDS",
              help="Seconds for each call (default: plugins.compact_openai.timeout_s for "
                   f"/compact, {OTHER_CALLS_TIMEOUT:g} for the others).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan and the figures as JSON.")
@logs_dir_option
@click.pass_context
def evaluate(ctx: click.Context, log_dir: str | None, task: str | None, agent: str | None,
             conversation: int | None, spec: str | None, judge_spec: str | None, questions: int,
             no_baseline: bool, dry_run: bool, count_tokens: bool, yes: bool,
             max_cost: float | None, force: bool, timeout: float | None, as_json: bool,
             logs_dir: str | None) -> None:
    """Compress one conversation with OpenAI's /responses/compact and with MassGen's own
    summarization, and compare: tokens before and after, cost, time, and recall.

    The conversation is an agent's, from a run's logs (LOG_DIR, default the latest run):
    the messages MassGen handed to a reactive compression when the run has them, otherwise one
    rebuilt from the agent's logged context and events. Or the bundled long task (--task
    bundled), whose facts are planted. Both methods run on the same OpenAI model; MassGen's
    summarization runs only where MassGen is installed. Recall: facts of the conversation are
    asked after each compression (and after the whole conversation, as a baseline), scored by
    exact match or by --judge. The plan and its cost range come first; then a table, and a
    Markdown report beside the run (COMPACTION_EVAL.<agent>.md in its turn folder) or, for the
    bundled task, in the working folder.

    \b
    Examples:
      massgen-plugins compaction eval --task bundled --model openai/gpt-5-mini \\
          --yes
      massgen-plugins compaction eval log_20261122_040154_669688 \\
          --agent agent_a --dry-run
      massgen-plugins compaction eval --judge anthropic/claude-haiku-4-5 \\
          --max-cost 0.50
    """
    from massgen_compact_openai.evaluation.run import Options, run

    run(ctx, Options(log_dir=log_dir, task=task, agent=agent, conversation=conversation,
                     spec=spec, judge=judge_spec, questions=questions, baseline=not no_baseline,
                     dry_run=dry_run, count_tokens=count_tokens, yes=yes, max_cost=max_cost,
                     force=force, timeout=timeout, as_json=as_json, logs_dir=logs_dir))

