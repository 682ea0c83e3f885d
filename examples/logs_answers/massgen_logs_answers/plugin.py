"""The `logs_answers` plugin: `massgen-plugins logs answers [LOG_DIR]`.

Each answer agents submitted in a run, oldest first: its label, its agent, the final votes it
got and why, and its first lines. Everything shown comes from agents, so it goes through
`shown` (secrets masked, escapes made visible); the run's files are read by the core.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from massgen_plugins import (
    Attempt,
    PluginContext,
    Setting,
    UsageError,
    emit_json,
    hookimpl,
    load_run,
    logs_dir_option,
    shown,
    table,
)


@hookimpl
def plugin_settings() -> Mapping[str, Setting]:
    """Settings under `plugins.logs_answers`."""
    return {"lines": Setting(int, default=2, help="lines of each answer to show")}


@hookimpl
def register_commands(cli: click.Group, context: PluginContext) -> None:
    """Add `answers` to the `logs` group."""
    logs = cli.commands["logs"]
    assert isinstance(logs, click.Group)

    @logs.command()
    @click.argument("log_dir", required=False)
    @click.option("--agent", metavar="ID", help="Only this agent's answers.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @logs_dir_option
    def answers(log_dir: str | None, agent: str | None, as_json: bool,
                logs_dir: str | None) -> None:
        """Every answer of a run (the latest by default), with the final votes it got."""
        _, attempts = load_run(log_dir, logs_dir)
        if not attempts:
            raise UsageError("no readable attempt in that run; nothing to show")
        rows = answer_rows(attempts[-1], agent)
        if as_json:
            emit_json({"attempt": str(attempts[-1].path), "answers": rows})
            return
        if not rows:
            click.echo(shown(f"No answers{f' by {agent}' if agent else ''} in "
                             f"{attempts[-1].path}."))
            return
        lines = max(1, int(context.get("lines")))
        table(None, ["Answer", "Agent", "Votes", "Text"],
              [[row["label"], row["agent"], _votes(row["votes"]),
                " ".join((row["text"] or "").splitlines()[:lines])] for row in rows])


def answer_rows(attempt: Attempt, agent: str | None = None) -> list[dict[str, Any]]:
    """Each answer of the attempt as a row: label, agent, text, and the final votes for it."""
    rows = []
    for answer in attempt.answers:
        if agent is not None and answer.agent_id != agent:
            continue
        votes = [{"voter": v.voter, "reason": v.reason} for v in attempt.votes
                 if v.final and v.target == answer.agent_id
                 and (v.label is None or v.label == answer.label)]
        rows.append({"label": answer.label, "agent": answer.agent_id, "text": answer.text,
                     "votes": votes})
    return rows


def _votes(votes: list[dict[str, Any]]) -> str:
    return "; ".join(f"{v['voter']}: {v['reason']}" for v in votes) or "-"
