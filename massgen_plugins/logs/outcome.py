"""How an attempt ended, decided from the facts its files hold, with those facts as evidence.

MassGen's own word is not enough: a Ctrl-C during the final presentation exits 0 with
status.json saying `completed`; a killed run's status.json says `in_progress` as if it were
still going; a `--continue` turn that completed is recorded as a `system_exit` failure
(MassGen 0.1.97 exits 1 after it). So the outcome is decided from several files at once:

- status.json: `finish_reason`, the phase, `rounds.by_outcome.presentation`;
- whether metrics_summary.json exists (MassGen writes it at exit, Ctrl-C included, never
  when killed);
- execution_metadata.yaml: `cli_args.failure_stage` and `failure_error`;
- the end of events.jsonl: `final_presentation_start`, `answer_locked`,
  `orchestrator_timeout`, `restart_banner`, and when the last event was;
- whether the turn-level final/ exists, and whether a later attempt of the turn does.

Outcomes: completed, interrupted, timed_out, failed, incomplete (the log simply stops:
killed, crashed, or still running), and restarted (an attempt MassGen restarted into the
next one: it ended by that restart, which is none of the others).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

COMPLETED, INTERRUPTED, TIMED_OUT, FAILED, INCOMPLETE, RESTARTED = (
    "completed", "interrupted", "timed_out", "failed", "incomplete", "restarted")
# The event types that tell how a run ended; all sit near the end of events.jsonl.
ENDING_TYPES = ("final_presentation_start", "final_presentation_end", "final_answer",
                "answer_locked", "orchestrator_timeout", "winner_selected", "restart_banner",
                "post_evaluation", "error")
# failure_stage values MassGen 0.1.97 writes (cli/entrypoint.py), and what each means here.
_STAGE_OUTCOME = {"keyboard_interrupt": INTERRUPTED, "timeout_error": TIMED_OUT}


class EndFacts(NamedTuple):
    """What an attempt's files say about how it ended; each field names its source."""

    # A NamedTuple, not attrs: a listing's short path decides outcomes without loading attrs.
    status_read: bool = False                 # status.json could be read
    finish_reason: str | None = None          # status.json finish_reason
    finish_details: str | None = None         # status.json finish_reason_details
    phase: str | None = None                  # status.json coordination.phase
    presentation_rounds: int | None = None    # status.json / metrics rounds.by_outcome.presentation
    metrics_written: bool = False             # metrics_summary.json exists
    failure_stage: str | None = None          # execution_metadata.yaml cli_args.failure_stage
    failure_error: str | None = None          # ... cli_args.failure_error
    events_bytes: int = 0                     # size of events.jsonl (0: empty or missing)
    events_whole: bool = True                 # the tail read covered the whole file
    presentation_started: bool = False        # a final_presentation_start event
    answer_locked: bool = False               # an answer_locked event
    timeout: Mapping[str, Any] | None = None  # the orchestrator_timeout event's data
    restart: Mapping[str, Any] | None = None  # the restart_banner event's data
    last_event_time: float | None = None      # POSIX seconds of the last whole event
    turn_final: bool = False                  # turn_N/final/ exists
    later_attempt: int | None = None          # the number of the next attempt of this turn
    winner: str | None = None
    failed_agents: tuple[str, ...] = ()       # agents whose status.json has an error
    agents: int = 0


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def last_event_note(at: float | None, now: float | None = None) -> str:
    """'the last event was 3 days ago (2026-01-01 12:00:07)', or that there is none."""
    if at is None:
        return "no event was written"
    now = time.time() if now is None else now
    try:
        when = datetime.fromtimestamp(at).isoformat(sep=" ", timespec="seconds")
    except (ValueError, OverflowError, OSError):
        return "the last event has no readable time"
    if at > now:
        return f"the last event is dated in the future ({when})"
    return f"the last event was {_ago(now - at)} ago ({when})"


def decide(f: EndFacts, now: float | None = None) -> tuple[str, tuple[str, ...]]:
    """The outcome of an attempt and the facts it was decided from (short, one per line)."""
    ev: list[str] = []
    last: list[str] = []  # said after the facts the outcome rests on

    def out(outcome: str) -> tuple[str, tuple[str, ...]]:
        return outcome, tuple(ev + last)

    if f.later_attempt is not None:
        ev.append(f"attempt_{f.later_attempt} of the same turn follows it")
        if f.restart:
            ev.append(f"restart_banner: {_clip(f.restart.get('reason') or 'no reason given')}")
        return out(RESTARTED)
    # Whether the final presentation finished: answer_locked, or MassGen counted its round
    # (or, with no round counts to go by, copied the answer into the turn-level final/).
    presented = f.answer_locked or bool(f.presentation_rounds) or (
        f.presentation_rounds is None and f.turn_final)
    stage = f.failure_stage
    if stage == "system_exit" and ((f.finish_reason == "completed" and presented)
                                   or f.finish_reason == "timeout"):
        last.append(f"failure_stage system_exit (error {_clip(f.failure_error or '?')}) after the turn "
                    "had finished: MassGen 0.1.97 exits 1 after a --continue turn; not a failure")
        stage = None
    if stage:
        ev.append(f"execution_metadata.yaml: failure_stage {_clip(stage)}"
                  + (f" ({_clip(f.failure_error)})" if f.failure_error else ""))
        if not f.status_read and not f.events_bytes:
            ev.append("no status.json and an empty events.jsonl: it stopped before the agents "
                      "started")
        elif f.finish_reason:
            ev.append(f"status.json: finish_reason {f.finish_reason}"
                      + (f" ({f.phase} phase)" if f.phase else ""))
        return out(_STAGE_OUTCOME.get(stage, FAILED))
    if f.finish_reason == "timeout" or f.timeout is not None:
        if f.finish_reason == "timeout":
            ev.append(f"status.json: finish_reason timeout ({_clip(f.finish_details or 'no details')})")
        if f.timeout is not None:
            ev.append(f"orchestrator_timeout event: {_clip(f.timeout.get('timeout_reason') or '?')}; "
                      f"selected {_clip(f.timeout.get('selected_agent') or 'no agent')}")
        return out(TIMED_OUT)
    if f.finish_reason == "completed":
        ev.append(f"status.json: finish_reason completed{_with_winner(f)}")
        cut = f.events_bytes > 0 and not f.answer_locked
        if cut and not presented:
            # Exit 0 and "completed", but the presentation never finished (LAYOUT: interrupted
            # in the final presentation). Without answer_locked and without the round counted,
            # nothing says the final answer was whole.
            ev.append("no answer_locked event" + ("" if f.events_whole else
                                                  " in the last 8 MB of events.jsonl"))
            if f.presentation_rounds == 0:
                ev.append("rounds.by_outcome.presentation is 0: the presentation was not counted")
            if not f.turn_final:
                ev.append("no turn-level final/")
            ev.append("the final presentation was cut")
            return out(INTERRUPTED)
        if f.answer_locked:
            ev.append("answer_locked event")
        elif f.presentation_rounds:
            ev.append("the presentation round was counted"
                      + (" (no answer_locked event)" if cut else ""))
        else:
            ev.append("turn-level final/ written")
        return out(COMPLETED)
    if f.agents and len(f.failed_agents) == f.agents and not f.winner:
        ev.append(f"every agent failed ({', '.join(f.failed_agents)}) and no winner was chosen")
        return out(FAILED)
    if f.status_read:
        ev.append(f"status.json: finish_reason {f.finish_reason or 'missing'}"
                  + (f" ({f.phase} phase)" if f.phase else ""))
    else:
        ev.append("no readable status.json")
    if f.metrics_written:
        # MassGen writes its metrics when it exits, on Ctrl-C too; a killed run never does.
        ev.append("metrics_summary.json was written at exit while the run had not finished")
        ev.append(last_event_note(f.last_event_time, now))
        return out(INTERRUPTED)
    ev.append("no metrics_summary.json (MassGen writes it when it exits)")
    if not f.turn_final:
        ev.append("no final/")
    ev.append(last_event_note(f.last_event_time, now))
    return out(INCOMPLETE)


def _with_winner(f: EndFacts) -> str:
    return f", winner {_clip(f.winner)}" if f.winner else ""


def _clip(value: Any, width: int = 200) -> str:
    """A value from a run file, on one line and short: evidence quotes it, it does not hold it."""
    from massgen_plugins.secrets import redact

    # Masked before it is cut: half a key is no longer recognisable as one.
    text = " ".join(redact(str(value)).split())
    return text if len(text) <= width else text[: width - 1] + "…"
