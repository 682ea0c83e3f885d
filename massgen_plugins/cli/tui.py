"""`massgen-plugins tui`: the terminal UI, for replaying recorded runs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from massgen_plugins.cli import HostGroup, get_host
from massgen_plugins.cli.logs import logs_dir_option, print_warnings


def group() -> click.Group:
    """The `massgen-plugins tui` group."""

    @click.group(cls=HostGroup)
    def tui() -> None:
        """The terminal UI."""

    @tui.command()
    @click.argument("path", type=click.Path(exists=True, path_type=Path))
    @click.option("--speed", type=click.FloatRange(min=0.01), default=1.0, show_default=True,
                  help="Multiply the recorded pace by this.")
    @click.option("--max-speed", is_flag=True, help="No pauses: as fast as events can go.")
    @click.option("--headless", is_flag=True, help="Run without a terminal, to the end.")
    @click.option("--stats", "stats_file", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write the replay's measurements here as JSON.")
    @logs_dir_option
    @click.pass_context
    def replay(ctx: click.Context, path: Path, speed: float, max_speed: bool, headless: bool,
               stats_file: Path | None, logs_dir: str | None) -> None:
        """Replay a run (a log dir or an events.jsonl) in the TUI, at its recorded pace.

        The top line shows how the run stands or ended (its outcome, from the run's files), the
        question and the run's time; the bottom line the winner, the tally and the votes.
        Keys: tab / shift+tab switch agents, arrows and page keys scroll, end follows the
        newest text again, f shows the final answer, q quits. With --stats, the file gets:
        events in and applied, critical in and applied, widget refreshes, frames, CPU and wall
        seconds, p50/p99 latency from emit to applied for streaming and critical events and
        for each event type, and each agent's transcript sha256.
        """
        from massgen_plugins.config import write_atomic
        from massgen_plugins.events.jsonl import read_events
        from massgen_plugins.logs.files import Warnings
        from massgen_plugins.tui import require_textual

        require_textual()
        from massgen_plugins.tui.replay import replay as run_replay
        from massgen_plugins.tui.replay import replay_source

        host = get_host(ctx)
        warn = Warnings()
        source, info = replay_source(path, logs_dir, warn)
        stats = run_replay(read_events(source, warn), host, None if max_speed else speed,
                           headless, info=info)
        print_warnings(warn)
        data = stats.as_json()
        if stats_file is not None:
            write_atomic(stats_file, lambda fh: json.dump(data, fh, indent=2, sort_keys=True))
        if headless:
            click.echo(f"Replayed {data['events_in']:,} events ({data['events_applied']:,} "
                       f"applied, {data['frames']:,} frames) in {data['wall_s']:.2f} s")

    return tui
