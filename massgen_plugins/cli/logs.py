"""`massgen-plugins logs`: list runs, summarize one, and show its tool use. Plugins add more here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from massgen_plugins.cli import HostGroup
from massgen_plugins.cli.output import compact, emit_json, table
from massgen_plugins.safe_text import shown


def logs_dir_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The shared `--logs-dir` option."""
    return click.option(
        "--logs-dir", type=click.Path(file_okay=False), default=None,
        help="Base dir of the log_* runs. Default: $MASSGEN_LOG_BASE_DIR, then "
             "./.massgen/massgen_logs, then ~/.massgen/massgen_logs.")(fn)


def load_target(log_dir: str | None, logs_dir: str | None) -> tuple[Any, list[Any]]:
    """The session LOG_DIR names and its selected attempts; warnings go to stderr."""
    from massgen_plugins.logs.files import Warnings
    from massgen_plugins.logs.locate import logs_base, resolve
    from massgen_plugins.logs.reader import read_session

    target = resolve(log_dir, logs_base(logs_dir))
    warn = Warnings()
    session = read_session(target.session, warn)
    attempts = [a for a in session.attempts
                if (target.turn is None or a.turn == target.turn)
                and (target.attempt is None or a.number == target.attempt)]
    print_warnings(warn)
    return session, attempts


def print_warnings(lines: Any) -> None:
    """Each warning as one line on stderr, secrets masked and controls made visible."""
    for line in lines:
        click.echo(f"massgen-plugins: warning: {shown(line)}", err=True)


def group() -> click.Group:
    """The `massgen-plugins logs` group with its core commands."""

    @click.group(cls=HostGroup)
    def logs() -> None:
        """Work with MassGen run logs (list, summary, tools; plugins add more)."""

    @logs.command("list")
    @click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True,
                  help="Show at most this many runs, newest first.")
    @click.option("--analyzed/--unanalyzed", default=None,
                  help="Only runs with (or without) an ANALYSIS_REPORT.md.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (stable keys).")
    @logs_dir_option
    def list_(limit: int, analyzed: bool | None, as_json: bool, logs_dir: str | None) -> None:
        """List recent runs: question, winner, agents, duration, cost, tokens.

        JSON: {"logs_dir": str, "runs": [{"name", "path", "started", "question", "winner",
        "agents", "turns", "duration_s", "cost", "input_tokens", "output_tokens",
        "finish_reason", "analyzed"}]}
        """
        from massgen_plugins.logs.files import Warnings
        from massgen_plugins.logs.locate import logs_base, sessions
        from massgen_plugins.logs.reader import read_session

        base = logs_base(logs_dir)
        runs = []
        warn = Warnings()
        for path in sessions(base):
            if len(runs) >= limit:
                break
            session = read_session(path, warn)
            if analyzed is not None and session.analyzed != analyzed:
                continue
            runs.append(run_row(session))
        print_warnings(warn)
        if as_json:
            emit_json({"logs_dir": str(base), "runs": runs})
            return
        if not runs:
            click.echo(shown(f"No runs in {base}."))
            return
        table(f"Runs in {base}", ["Log", "Question", "Winner", "Agents", "Time", "Cost",
                                  "Tokens", "Report"],
              [[r["name"], _short(r["question"], 80), r["winner"] or "-",
                str(len(r["agents"])), _secs(r["duration_s"]), _cost(r["cost"]),
                f"{compact(r['input_tokens'])}/{compact(r['output_tokens'])}",
                "yes" if r["analyzed"] else "no"] for r in runs])

    @logs.command()
    @click.argument("log_dir", required=False)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (stable keys).")
    @logs_dir_option
    def summary(log_dir: str | None, as_json: bool, logs_dir: str | None) -> None:
        """Summarize a run: LOG_DIR is a log_* session, a turn_N or an attempt_N dir.

        Without LOG_DIR, the latest run. JSON: {"session", "analyzed", "attempts": [...]},
        each attempt as documented in the README.
        """
        from massgen_plugins.logs.model import attempt_json

        session, attempts = load_target(log_dir, logs_dir)
        if as_json:
            emit_json({"session": str(session.path), "analyzed": session.analyzed,
                       "attempts": [attempt_json(a) for a in attempts]})
            return
        if not attempts:
            click.echo(shown(f"{session.path}: no attempt could be read."))
            return
        render_summary(session, attempts)

    @logs.command()
    @click.argument("log_dir", required=False)
    @click.option("--sort", type=click.Choice(["time", "calls"]), default="time",
                  show_default=True, help="Order tools by total time or by call count.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (stable keys).")
    @logs_dir_option
    def tools(log_dir: str | None, sort: str, as_json: bool, logs_dir: str | None) -> None:
        """Show each tool's calls, failures and time in a run (all its selected attempts).

        JSON: {"session", "tools": [{"name", "type", "calls", "failures", "total_ms", "avg_ms"}]}
        """
        session, attempts = load_target(log_dir, logs_dir)
        merged: dict[str, dict[str, Any]] = {}
        for a in attempts:
            for t in a.tools:
                row = merged.setdefault(t.name, {"name": t.name, "type": t.tool_type, "calls": 0,
                                                 "failures": 0, "total_ms": 0.0})
                row["calls"] += t.calls
                row["failures"] += t.failures
                row["total_ms"] += t.total_ms
        rows = list(merged.values())
        for row in rows:
            row["total_ms"] = round(row["total_ms"], 3)
            row["avg_ms"] = round(row["total_ms"] / row["calls"], 3) if row["calls"] else 0.0
        key = "total_ms" if sort == "time" else "calls"
        rows.sort(key=lambda r: (-r[key], r["name"]))
        if as_json:
            emit_json({"session": str(session.path), "tools": rows})
            return
        if not rows:
            click.echo(shown(f"{session.path}: no tool calls."))
            return
        table(f"Tools in {session.name}", ["Tool", "Type", "Calls", "Failures", "Total ms",
                                          "Avg ms"],
              [[r["name"], r["type"] or "-", str(r["calls"]), str(r["failures"]),
                f"{r['total_ms']:.1f}", f"{r['avg_ms']:.1f}"] for r in rows])

    return logs


def run_row(session: Any) -> dict[str, Any]:
    """One run as `logs list --json` reports it."""
    a = session.latest
    agents = sorted({g.agent_id for x in session.attempts for g in x.agents})
    return {
        "name": session.name, "path": str(session.path), "started": _started(session.name),
        "question": session.question, "winner": a.winner if a else None, "agents": agents,
        "turns": len(session.turns),
        "duration_s": sum(x.duration_s or 0 for x in session.attempts) or None,
        "cost": sum(x.cost for x in session.attempts),
        "input_tokens": sum(x.tokens.input for x in session.attempts),
        "output_tokens": sum(x.tokens.output for x in session.attempts),
        "finish_reason": a.finish_reason if a else None, "analyzed": session.analyzed,
    }


def render_summary(session: Any, attempts: list[Any]) -> None:
    """Print the run summary tables for the last selected attempt."""
    from rich.console import Console
    from rich.table import Table

    from massgen_plugins.safe_text import rich_text

    a = attempts[-1]
    console = Console(soft_wrap=False)
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column(overflow="fold")
    rounds = ", ".join(f"{k} {v}" for k, v in a.rounds_by_outcome.items() if v)
    t = a.tokens
    sub = a.subagents
    rows = [
        ("Run", f"{session.path} ({a.label}"
                + (f", 1 of {len(session.attempts)} attempts)" if len(session.attempts) > 1
                   else ")")),
        ("Question", a.question or "-"),
        ("Winner", a.winner or "-"),
        ("Finish", " - ".join(x for x in (a.finish_reason, a.finish_details) if x) or "-"),
        ("Agents", ", ".join(g.agent_id for g in a.agents) or "-"),
        ("Duration", _secs(a.duration_s)),
        ("Cost", _cost(a.cost)),
        ("Tokens", f"{t.input:,} in, {t.output:,} out, {t.reasoning:,} reasoning, "
                   f"{t.cached:,} cached"),
        ("Rounds", f"{a.total_rounds}" + (f" ({rounds})" if rounds else "")),
        ("API", f"{a.api_timing.calls} calls, {a.api_timing.total_ms / 1000:.1f} s total, "
                f"{a.api_timing.avg_ms:.0f} ms avg, {a.api_timing.avg_ttft_ms:.0f} ms to first "
                "token"),
        ("Tools", f"{a.tool_calls} calls, {a.tool_failures} failed"),
        ("Subagents", f"{sub.get('total_subagents', 0)}"
                      + (f", {_cost(sub.get('total_estimated_cost'))}" if sub.get(
                          "total_subagents") else "")),
        ("Events", f"{a.events_bytes / 1e6:.1f} MB in events.jsonl" if a.events_path else "none"),
        ("MassGen", a.massgen_version or "-"),
        ("Analyzed", "yes" if session.analyzed else "no"),
    ]
    for k, v in rows:
        head.add_row(k, rich_text(v, block=True))
    console.print(head)
    if a.agents:
        with_errors = any(g.error for g in a.agents)
        columns = ["Agent", "Status", "Answers", "Voted for", "In", "Out", "Cost", "Tools",
                   "Restarts"] + (["Error"] if with_errors else [])
        table("Agents", columns, [
            [g.agent_id, g.status or "-", str(g.answers), g.voted_for or "-",
             compact(g.tokens.input), compact(g.tokens.output), _cost(g.cost), str(g.tool_calls),
             str(g.restarts)] + ([g.error or "-"] if with_errors else [])
            for g in a.agents])
    if a.tools:
        table("Top tools", ["Tool", "Calls", "Failures", "Total ms", "Avg ms"],
              [[x.name, str(x.calls), str(x.failures), f"{x.total_ms:.1f}", f"{x.avg_ms:.1f}"]
               for x in sorted(a.tools, key=lambda x: -x.total_ms)[:5]])
    if a.compressions:
        table("Context compressions", ["Agent", "Method", "Before", "After", "Cost", "Time"], [
            [c.agent or "?", c.method + ("" if c.ok else " (failed)"),
             _size(c.messages_before, c.tokens_before), _size(c.messages_after, c.tokens_after),
             "-" if c.cost_usd is None else _cost(c.cost_usd),
             "-" if c.latency_s is None else f"{c.latency_s:.2f} s"] for c in a.compressions],
              keep="Method")
    if a.errors:
        console.print(rich_text("Errors", style="bold"))
        for e in a.errors:
            console.print(rich_text(f"  - {e}"))


def _started(name: str) -> str | None:
    from datetime import datetime

    try:
        return datetime.strptime(name[4:19], "%Y%m%d_%H%M%S").isoformat(sep=" ")
    except ValueError:
        return None


def _short(text: str | None, width: int) -> str:
    from massgen_plugins.secrets import redact

    # Masked before it is cut: half a key is no longer recognisable as one.
    text = " ".join(redact(text or "-").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _size(messages: int | None, tokens: int | None) -> str:
    parts = [f"{messages} msgs" if messages is not None else "",
             f"~{compact(tokens)} tok" if tokens is not None else ""]
    return ", ".join(p for p in parts if p) or "-"


def _secs(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def _cost(value: Any) -> str:
    try:
        cost = float(value or 0)
    except (TypeError, ValueError, OverflowError):
        return "?"  # a run file's value of the wrong type (the reader reported it)
    if cost != cost or cost in (float("inf"), float("-inf")):
        return "?"
    return f"${cost:.2f}" if cost == 0 or cost >= 0.01 else f"${cost:.4f}"
