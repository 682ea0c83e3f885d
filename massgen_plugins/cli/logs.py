"""`massgen-plugins logs`: list runs, summarize one, and show its tool use. Plugins add more here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from massgen_plugins.cli import HostGroup
from massgen_plugins.cli.output import compact, emit_json, emit_json_list, table
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


def load_session_target(log_dir: str | None, logs_dir: str | None) -> tuple[Any, Any, list[Any]]:
    """The dir LOG_DIR names, its whole MassGen session, and the attempts to summarize.

    A log_* dir (or none: the latest) selects every turn of its session, across the log dirs
    of `massgen --continue`; a turn_N or attempt_N dir only that turn or attempt.
    """
    from massgen_plugins.logs.files import Warnings
    from massgen_plugins.logs.locate import logs_base, resolve
    from massgen_plugins.logs.sessions import find_session, read_massgen_session

    target = resolve(log_dir, logs_base(logs_dir))
    warn = Warnings()
    sid, dirs = find_session(target.session, warn)
    group = read_massgen_session(sid, dirs, warn)
    if target.turn is None:
        attempts = group.attempts
    else:
        own = next(d for d in group.dirs if d.path == target.session)
        attempts = [a for a in own.attempts if a.turn == target.turn
                    and (target.attempt is None or a.number == target.attempt)]
    print_warnings(warn)
    return target.session, group, attempts


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
                  help="Show at most this many sessions, newest first.")
    @click.option("--analyzed/--unanalyzed", default=None,
                  help="Only runs with (or without) an ANALYSIS_REPORT.md.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (stable keys).")
    @logs_dir_option
    def list_(limit: int, analyzed: bool | None, as_json: bool, logs_dir: str | None) -> None:
        """List recent MassGen sessions, one row each: outcome, question, turns, winner, cost.

        The turns of a `massgen --continue` session are separate log dirs; they share a row.
        JSON: {"logs_dir": str, "runs": [{"name", "path", "started", "question", "winner",
        "agents", "turns", "duration_s", "cost", "cost_note", "input_tokens", "output_tokens",
        "finish_reason", "outcome", "outcome_evidence", "analyzed", "session_id",
        "log_dirs"}]}; name and path are the session's newest log dir.
        """
        from massgen_plugins.logs.files import Warnings
        from massgen_plugins.logs.locate import logs_base, session_names
        from massgen_plugins.logs.read_ahead import Rows, workers
        from massgen_plugins.logs.row_cache import RowCache
        from massgen_plugins.logs.sessions import grouped

        base = logs_base(logs_dir)
        names = session_names(base)
        cache = RowCache(base)
        count, problem = workers()
        if problem:
            print_warnings([problem])
        source = Rows(cache, names, want=limit, workers=count)
        warn = Warnings()

        seen = [0]  # sessions read, for a listing that --analyzed filtered to nothing

        def rows() -> Iterator[tuple[dict[str, Any], str]]:
            shown_rows = 0
            for sid, dirs in grouped(base, warn, ids=source.session_id, names=names):
                if shown_rows >= limit:
                    break
                seen[0] += 1
                remembered = source.row(sid, dirs, warn)
                if analyzed is None or remembered[0]["analyzed"] == analyzed:
                    shown_rows += 1
                    yield remembered

        try:
            if as_json:
                # Streamed: the first rows show while later runs are still being read.
                emit_json_list({"logs_dir": str(base)}, "runs", (text for _, text in rows()))
                return
            runs = [row for row, _ in rows()]
        finally:
            source.close()
            cache.save(set(names))
            print_warnings(warn)
        if not runs:
            which = "" if analyzed is None else "analyzed " if analyzed else "unanalyzed "
            among = f" (it holds {seen[0]} run{'s' * (seen[0] != 1)})" if seen[0] else ""
            click.echo(shown(f"No {which}runs in {base}{among}."))
            return
        print_runs(base, runs)

    @logs.command()
    @click.argument("log_dir", required=False)
    @click.option("--all-votes", is_flag=True,
                  help="Also list the votes an agent superseded by voting again.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (stable keys).")
    @logs_dir_option
    def summary(log_dir: str | None, all_votes: bool, as_json: bool, logs_dir: str | None) -> None:
        """Summarize a run: LOG_DIR is a log_* session, a turn_N or an attempt_N dir.

        Without LOG_DIR, the latest run. A log_* dir stands for its whole MassGen session:
        every turn, in whichever log dir `massgen --continue` wrote it. JSON: {"session",
        "session_id", "log_dirs", "analyzed", "attempts": [...]}, each attempt as documented
        in docs/logs.md.
        """
        from massgen_plugins.logs.model import attempt_json

        target, group, attempts = load_session_target(log_dir, logs_dir)
        if as_json:
            emit_json({"session": str(target), "session_id": group.session_id,
                       "log_dirs": [str(d.path) for d in group.dirs],
                       "analyzed": any(d.analyzed for d in group.dirs),
                       "attempts": [attempt_json(a) for a in attempts]})
            return
        if not attempts:
            click.echo(shown(f"{target}: no attempt could be read."))
            return
        render_summary(group, attempts, all_votes=all_votes)

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
    """One log dir read alone, as a `logs list --json` row (see `logs.sessions.list_row`)."""
    from massgen_plugins.logs.sessions import list_row, session_of

    return list_row(session_of(session))


def print_runs(base: Any, runs: list[dict[str, Any]]) -> None:
    """The `logs list` table: one row per session, fitted to the terminal.

    At 80 columns it keeps the run, the question (20 characters at least), the outcome, the
    turns, the winner and the cost; wider terminals add the time, tokens, agents, the report
    and the full log dir name.
    """
    from massgen_plugins.cli.output import Col, console_width, print_table
    from massgen_plugins.secrets import redact

    wide = console_width() >= 110
    print_table(f"Runs in {base}", [
        Col("Run"), Col("Question", flex=True, min=20, want=40), Col("Outcome"),
        Col("Turns", drop=4), Col("Winner", max=14, drop=3), Col("Cost", drop=2),
        Col("Time", drop=5), Col("Tokens", drop=6), Col("Agents", drop=7), Col("Report", drop=8)],
        [[r["name"] if wide else short_name(r["name"]),
          # Masked before the table cuts it: half a key is no longer recognisable as one.
          " ".join(redact(r["question"] or "-").split()), (r["outcome"] or "-").replace("_", " "),
          str(r["turns"]), r["winner"] or "-", _cost(r["cost"]), _secs(r["duration_s"]),
          f"{_count(r['input_tokens'])}/{_count(r['output_tokens'])}", str(len(r["agents"])),
          "yes" if r["analyzed"] else "no"] for r in runs])


def short_name(name: str) -> str:
    """`log_20261122_035141_547798` as `20261122_035141`: what `logs summary` takes back."""
    return name[4:19] if name.startswith("log_") and len(name) >= 19 else name


def render_summary(session: Any, attempts: list[Any], all_votes: bool = False) -> None:
    """Print the run summary for the last selected attempt, and every turn of its session."""
    from rich.console import Console
    from rich.table import Table

    from massgen_plugins.cli.output import Col, console_width, print_table, shorten
    from massgen_plugins.logs.model import Session
    from massgen_plugins.logs.sessions import session_of
    from massgen_plugins.safe_text import rich_text

    group = session_of(session) if isinstance(session, Session) else session
    a = attempts[-1]
    console = Console(soft_wrap=False)
    # The keys take 10 cells and the gap 2: values wrap at spaces in what is left.
    value_width = max(20, console_width() - 12)
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True, width=10)
    head.add_column(overflow="ellipsis", width=value_width)
    rounds = ", ".join(f"{k} {v}" for k, v in a.rounds_by_outcome.items() if v)
    t = a.tokens
    sub = a.subagents
    every = group.attempts
    rows = [("Run", shorten(f"{a.path.parent.parent.name} ({a.label})", value_width)),
            ("In", shorten(str(a.path.parent.parent.parent), value_width))]
    if len(group.dirs) > 1 or len(group.turns) > 1:
        rows.append(("Session", f"{group.session_id or '-'}: {len(group.turns)} turn"
                                f"{'s' * (len(group.turns) != 1)} in {len(group.dirs)} log dir"
                                f"{'s' * (len(group.dirs) != 1)}"))
    rows += [
        ("Outcome", f"{a.outcome.replace('_', ' ')}: " + "; ".join(a.outcome_evidence)),
        ("Question", a.question or "-"),
        ("Winner", (a.winner or "-") + _winner_votes(a)),
        ("Tally", _tally(a) or "-"),
        ("Agents", ", ".join(g.agent_id for g in a.agents) or "-"),
        ("Duration", _secs(a.duration_s)),
        ("Cost", _cost(a.cost) + (f" ({a.cost_note})" if a.cost_note else "")),
        ("Tokens", (f"{t.input:,} in, {t.output:,} out, {t.reasoning:,} reasoning, "
                    f"{t.cached:,} cached" if a.tokens_known else
                    f"unknown ({a.cost_note})" if a.cost_note else "unknown")
         + (" (with the earlier attempts')" if a.cumulative and a.tokens_known else "")),
        ("Rounds", f"{a.total_rounds}" + (f" ({rounds})" if rounds else "")),
        ("API", _api(a.api_timing)),
        ("Tools", f"{a.tool_calls} calls, {a.tool_failures} failed"),
        ("Subagents", f"{sub.get('total_subagents', 0)}"
                      + (f", {_cost(sub.get('total_estimated_cost'))}" if sub.get(
                          "total_subagents") else "")),
        ("Final", _within(a.final_answer_path, a.path)),
        ("Events", f"{a.events_bytes / 1e6:.1f} MB in events.jsonl" if a.events_path else "none"),
        ("MassGen", a.massgen_version or "-"),
        ("Analyzed", "yes" if any(d.analyzed for d in group.dirs) else "no"),
    ]
    for k, v in rows:
        head.add_row(k, rich_text(v, block=True))
    console.print(head)
    if len(every) > 1:
        print_table("Turns", [
            Col("Turn"), Col("Log", drop=2), Col("Question", flex=True, min=20),
            Col("Outcome"), Col("Winner", max=14, drop=1), Col("Cost", drop=3)],
            [[f"{x.turn}.{x.number}" + (" <" if x is a else ""),
              short_name(x.path.parent.parent.name), x.question or "-",
              x.outcome, x.winner or "-",
              # A restarted attempt's cost is in the next one's cumulative totals.
              "in next" if x.outcome == "restarted" else _cost(x.cost)] for x in every])
    if a.agents:
        with_errors = any(g.error for g in a.agents)
        print_table("Agents", [
            Col("Agent", max=24), Col("Model", max=28, drop=7), Col("End", max=12),
            Col("Answers", drop=4), Col("Voted for", max=16, drop=2), Col("In", drop=3),
            Col("Out", drop=3), Col("Cost", drop=1), Col("Tools", drop=5),
            Col("Restarts", drop=6)]
            + ([Col("Error", flex=True, min=12)] if with_errors else []), [
            [g.agent_id, g.model or "-", g.end_state or g.status or "-", str(g.answers),
             g.voted_for or "-",
             *((compact(g.tokens.input), compact(g.tokens.output)) if g.tokens_known
               else ("?", "?")),
             _cost(g.cost), str(g.tool_calls), str(g.restarts)]
            + ([g.error or "-"] if with_errors else [])
            for g in a.agents])
    votes = [v for v in a.votes if all_votes or v.final]
    if votes:
        superseded = sum(1 for v in a.votes if not v.final)
        print_table("Votes" if all_votes else "Final votes", [Col("Voter", max=20),
                                                               Col("For", max=20)]
                    + ([Col("Final")] if all_votes else [])
                    + [Col("Reason", flex=True, min=20, wrap=True)],
                    [[v.voter, v.target or "-"] + (["yes" if v.final else "superseded"]
                                                   if all_votes else []) + [v.reason or "-"]
                     for v in votes])
        if superseded and not all_votes:
            console.print(rich_text(f"{superseded} superseded vote{'s' * (superseded != 1)} "
                                    "not shown (--all-votes shows them)"))
    if a.tools:
        print_table("Top tools", [Col("Tool", flex=True, min=20), Col("Calls"),
                                  Col("Failures"), Col("Total ms"), Col("Avg ms", drop=1)],
                    [[x.name, str(x.calls), str(x.failures), f"{x.total_ms:.1f}",
                      f"{x.avg_ms:.1f}"] for x in sorted(a.tools, key=lambda x: -x.total_ms)[:5]])
    if a.compressions:
        print_table("Context compressions", [
            Col("Agent", max=16), Col("When"), Col("Method", max=24), Col("Why", drop=2),
            Col("Before"), Col("After"), Col("Cost", drop=3), Col("Took", drop=4),
            Col("Source", drop=5, max=26), Col("Note", flex=True, min=12, drop=1, wrap=True)], [
            [c.agent or "?", _clock(c.time), c.method + ("" if c.ok else " (failed)"),
             c.reason or "-",
             _size(c.messages_before, c.tokens_before), _size(c.messages_after, c.tokens_after),
             "-" if c.cost_usd is None else _cost(c.cost_usd),
             "-" if c.latency_s is None else f"{c.latency_s:.2f} s", c.source, c.note or "-"]
            for c in a.compressions])
    if a.errors:
        console.print(rich_text("Errors", style="bold"))
        for e in a.errors:
            console.print(rich_text(f"  - {e}"))


def _tally(a: Any) -> str:
    """'agent_a 2, agent_b 1', and how a tie was broken."""
    if not a.tally:
        return ""
    text = ", ".join(f"{agent} {n}" for agent, n in a.tally.items())
    if a.tie:
        top = max(a.tally.values())
        tied = [agent for agent, n in a.tally.items() if n == top]
        text += f" (a tie between {', '.join(tied)}: MassGen breaks it by config order)"
    return text


def _within(path: Path | None, attempt: Path) -> str:
    """A file of the run as a path from its attempt's folder: whole at any width."""
    if path is None:
        return "-"
    try:
        return str(path.relative_to(attempt))
    except ValueError:
        return str(path)


def _winner_votes(a: Any) -> str:
    if not a.winner or not a.tally:
        return ""
    total = sum(a.tally.values())
    return f" ({a.tally.get(a.winner, 0)} of {total} final vote{'s' * (total != 1)})"


def _clock(epoch: float) -> str:
    from datetime import datetime

    try:
        return datetime.fromtimestamp(epoch).strftime("%H:%M:%S")
    except (ValueError, OverflowError, OSError):
        return "?"



def _count(n: int | None) -> str:
    return "?" if n is None else compact(n)


def _api(t: Any) -> str:
    if t.calls is None:
        return "unknown (MassGen wrote no metrics_summary.json timing)"
    return (f"{t.calls} calls, {t.total_ms / 1000:.1f} s total, {t.avg_ms:.0f} ms avg, "
            f"{t.avg_ttft_ms:.0f} ms to first token")


def _size(messages: int | None, tokens: int | None) -> str:
    parts = [f"{messages} msgs" if messages is not None else "",
             f"~{compact(tokens)} tok" if tokens is not None else ""]
    return ", ".join(p for p in parts if p) or "-"


def _secs(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def _cost(value: Any) -> str:
    if value is None:
        return "unknown"  # MassGen had no price: $0.00 would say free
    try:
        cost = float(value or 0)
    except (TypeError, ValueError, OverflowError):
        return "?"  # a run file's value of the wrong type (the reader reported it)
    if cost != cost or cost in (float("inf"), float("-inf")):
        return "?"
    return f"${cost:.2f}" if cost == 0 or cost >= 0.01 else f"${cost:.4f}"
