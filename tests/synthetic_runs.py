"""Writing MassGen-shaped run directories of any size and of every kind, for tests and benches.

The shapes follow ../shared/massgen-logs/LAYOUT.md (massgen 0.1.97): `write_run` writes a run
that completed; `KINDS` writes each other way a run ends (interrupted in coordination or in the
final presentation, killed, timed out, failed at start-up, restarted into attempt_2, continued
with `--continue`, compressed, re-voted, unpriced, with a failed agent), leaving on disk what
MassGen leaves, and nothing more.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

SECRET = "sk-proj-SYNTHETICSECRET0123456789abcdef"
START = 1767268800.0  # 2026-01-01 12:00:00 UTC; files keep MassGen's local-time spelling


def write_run(base: Path, name: str = "log_20260101_120000_000000", *, turns: int = 1,
              agents: tuple[str, ...] = ("agent_a", "agent_b"), stream_events: int = 50,
              question: str = "What is 2+2?", winner: str = "agent_a",
              delta: str = "tok ") -> Path:
    """A complete session dir with `turns` turns (one invocation, as interactive mode writes); its path."""
    session = base / name
    for turn in range(1, turns + 1):
        attempt = session / f"turn_{turn}" / "attempt_1"
        attempt.mkdir(parents=True)
        write_attempt(attempt, agents=agents, stream_events=stream_events,
                      question=f"{question} (turn {turn})", winner=winner, delta=delta)
        copy_final(attempt)
    (session / "turn_1" / "attempt_1" / "massgen.log").write_text(
        log_lines(f"📝 Created session for single-question mode: {session_id_of(name)}",
                  f"📝 Registered new session in registry: {session_id_of(name)}", "started"))
    return session


def session_id_of(log_name: str) -> str:
    """The MassGen session id a first turn logged in `log_name` gets (its start, to the second)."""
    return "session_" + log_name[4:19]


def log_lines(*messages: str, level: str = "INFO") -> str:
    """massgen.log lines, spelled as loguru writes them."""
    return "".join(f"12:00:{n:02d} | {level:<8} | {m}\n" for n, m in enumerate(messages))


def copy_final(attempt: Path) -> None:
    """The turn-level final/ MassGen copies from a finished attempt."""
    shutil.copytree(attempt / "final", attempt.parent / "final", dirs_exist_ok=True)


def write_attempt(attempt: Path, *, agents: tuple[str, ...], stream_events: int, question: str,
                  winner: str, delta: str = "tok ") -> None:
    """The files of one attempt that completed: status, metrics, snapshots, final/, events."""
    usage = {a: {"input_tokens": 1000 * (i + 1), "output_tokens": 100 * (i + 1),
                 "reasoning_tokens": 0, "cached_input_tokens": 10 * (i + 1),
                 "estimated_cost": 0.001 * (i + 1)} for i, a in enumerate(agents)}
    rounds = {"total_rounds": 2 * len(agents) + 1,
              "by_outcome": {"answer": len(agents), "vote": len(agents), "presentation": 1,
                             "post_evaluation": 0, "restarted": 0, "error": 0, "timeout": 0}}
    status = {
        "finish_reason": "completed", "finish_reason_details": f"Winner: {winner}",
        "is_complete": True,
        "meta": {"question": question, "start_time": START, "elapsed_seconds": 12.5,
                 "session_id": attempt.name},
        "costs": {"total_estimated_cost": 0.003, "total_input_tokens": 3000,
                  "total_output_tokens": 300},
        "rounds": rounds,
        "coordination": {"phase": "presentation", "is_final_presentation": True},
        "agents": {a: {"status": "voted", "answer_count": 1, "times_restarted": 0,
                       "vote_cast": {"voted_for_agent": winner}, "error": None,
                       "token_usage": usage[a]} for a in agents},
        "results": {"votes": {"agent1.1": len(agents)}, "winner": winner},
    }
    metrics = {
        "meta": {"question": question, "num_agents": len(agents), "winner": winner},
        "totals": {"estimated_cost": 0.003, "input_tokens": 3000, "output_tokens": 300,
                   "reasoning_tokens": 0},
        "tools": {"total_calls": 3, "total_failures": 1, "total_execution_time_ms": 30.0,
                  "by_tool": {"search": {"call_count": 2, "failure_count": 1,
                                         "total_execution_time_ms": 25.0,
                                         "avg_execution_time_ms": 12.5, "tool_type": "custom"},
                              "calc": {"call_count": 1, "failure_count": 0,
                                       "total_execution_time_ms": 5.0,
                                       "avg_execution_time_ms": 5.0, "tool_type": "custom"}}},
        "rounds": rounds,
        "api_timing": {"total_calls": 5, "total_time_ms": 5000.0, "avg_time_ms": 1000.0,
                       "avg_ttft_ms": 200.0, "by_backend": {"Response": {"calls": 5}}},
        "agents": {a: {"tool_metrics": {"total_calls": 1}} for a in agents},
        "subagents": {"total_subagents": 0, "total_estimated_cost": 0.0, "subagents": []},
    }
    write_json(attempt / "status.json", status)
    write_json(attempt / "metrics_summary.json", metrics)
    write_json(attempt / "metrics_events.json", {"meta": {"question": question},
                                                 "tool_executions": [], "round_completions": []})
    write_json(attempt / "coordination_events.json", {"session_metadata": {
        "user_prompt": question, "agent_ids": list(agents)}, "events": []})
    write_metadata(attempt, question, agents)
    mappings = {}
    for i, a in enumerate(agents, 1):
        snap = attempt / a / f"20260101_12000{i}_000000"
        snap.mkdir(parents=True)
        (snap / "answer.txt").write_text(f"Answer from {a}: 4.")
        mappings[f"agent{i}.1"] = {"type": "answer", "agent_id": a,
                                   "path": f"{a}/{snap.name}/answer.txt"}
        write_vote(attempt, a, f"20260101_12001{i}_000000", winner)
    write_json(attempt / "snapshot_mappings.json", mappings)
    (attempt / "agent_outputs").mkdir()
    for a in agents:
        (attempt / "agent_outputs" / f"{a}.txt").write_text(f"{a} thinking about it.\n" * 20)
    (attempt / "final" / winner).mkdir(parents=True)
    (attempt / "final" / winner / "answer.txt").write_text("The answer is 4.")
    (attempt / "massgen.log").write_text("12:00:00 | INFO     | started\n")
    write_events(attempt / "events.jsonl", agents, stream_events, delta, winner=winner)


def write_json(path: Path, data: Any) -> None:
    """`data` as MassGen writes a JSON file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def write_metadata(attempt: Path, question: str, agents: tuple[str, ...] = ("agent_a", "agent_b"),
                   **cli_args: Any) -> None:
    """execution_metadata.yaml: the query, the config (its key verbatim, as MassGen writes it)."""
    config = "".join(f"  - id: {a}\n    backend:\n      type: openai\n      model: gpt-5\n"
                     f"      api_key: {SECRET}\n" for a in agents)
    args = {"session_id": None, "continue_session": False, **cli_args}
    lines = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in args.items())
    (attempt / "execution_metadata.yaml").write_text(
        f"query: {json.dumps(question)}\nmassgen_version: 0.1.97\nconfig:\n  agents:\n{config}"
        f"cli_args:\n{lines}")


def write_vote(attempt: Path, voter: str, stamp: str, target: str,
               reason: str = "most complete") -> None:
    """One vote snapshot, `<voter>/<stamp>/vote.json`."""
    vote = attempt / voter / stamp
    vote.mkdir(parents=True)
    write_json(vote / "vote.json", {"voter_id": voter, "voted_for": target,
                                    "voted_for_label": None, "reason": reason})


def event_line(ts: str, kind: str, agent: str | None, rnd: int, data: dict) -> str:
    """One events.jsonl line, spelled as MassGen writes it."""
    return json.dumps({"timestamp": ts, "event_type": kind, "agent_id": agent,
                       "round_number": rnd, "data": data}) + "\n"


class Events:
    """An events.jsonl being written: each event a little after the one before."""

    def __init__(self, start: str = "2026-01-01T12:00:00") -> None:
        """Start the clock at `start` (ISO, local time, as MassGen writes it)."""
        self.at = datetime.fromisoformat(start)
        self.lines: list[str] = []

    def add(self, kind: str, agent: str | None = None, rnd: int = 0, step: float = 0.1,
            **data: Any) -> Events:
        """Append one event `step` seconds after the previous one."""
        self.at += timedelta(seconds=step)
        self.lines.append(event_line(self.at.isoformat(timespec="microseconds"), kind, agent,
                                     rnd, data))
        return self

    def write(self, path: Path) -> None:
        """Write the file."""
        path.write_text("".join(self.lines))


def write_events(path: Path, agents: tuple[str, ...], stream_events: int,
                 delta: str = "tok ", winner: str = "agent_a") -> None:
    """An events.jsonl of a completed run: rounds, `stream_events` text deltas, answers, votes,
    the final presentation and answer_locked."""
    with path.open("w") as fh:
        fh.write(event_line("2026-01-01T12:00:00.000000", "system_status", None, 0,
                            {"message": "Initializing coordination..."}))
        fh.write(event_line("2026-01-01T12:00:00.000001", "system_status", None, 0,
                            {"message": "Agents working on task..."}))
        for a in agents:
            fh.write(event_line("2026-01-01T12:00:00.100000", "round_start", a, 0, {}))
        for n in range(stream_events):
            a = agents[n % len(agents)]
            sec = 1 + n * 10 // max(stream_events, 1)
            fh.write(event_line(f"2026-01-01T12:00:{sec:02d}.{n % 1000000:06d}", "text", a, 0,
                                {"content": delta}))
        for i, a in enumerate(agents, 1):
            fh.write(event_line("2026-01-01T12:00:11.000000", "answer_submitted", a, 0,
                                {"content": f"Answer from {a}: 4.", "answer_label": f"agent{i}.1"}))
            fh.write(event_line("2026-01-01T12:00:12.000000", "vote", a, 1,
                                {"target_id": winner, "reason": "most complete"}))
        counts = {winner: len(agents)}
        fh.write(event_line("2026-01-01T12:00:12.100000", "final_presentation_start", winner, 2,
                            {"vote_counts": counts, "answer_labels": {winner: "A1.1"},
                             "is_tie": False}))
        for piece in ("The answer ", "is 4."):
            fh.write(event_line("2026-01-01T12:00:12.200000", "final_presentation_chunk", winner,
                                2, {"content": piece}))
        fh.write(event_line("2026-01-01T12:00:12.500000", "final_answer", winner, 2,
                            {"content": "The answer is 4."}))
        fh.write(event_line("2026-01-01T12:00:12.500001", "final_presentation_end", winner, 2, {}))
        fh.write(event_line("2026-01-01T12:00:12.500002", "answer_locked", winner, 2, {}))


# -- the other kinds of run ----------------------------------------------------------------------


def _attempt(session: Path, turn: int = 1, number: int = 1) -> Path:
    return session / f"turn_{turn}" / f"attempt_{number}"


def _edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    write_json(path, data)


def _presented(ev: Events, rnd: int, counts: dict[str, int], labels: dict[str, str],
               text: str) -> None:
    """agent_a's whole final presentation in round `rnd`, as MassGen writes it, ending locked."""
    ev.add("final_presentation_start", "agent_a", rnd, vote_counts=counts,
           answer_labels=labels, is_tie=False)
    ev.add("final_presentation_chunk", "agent_a", rnd, content=text)
    ev.add("final_answer", "agent_a", rnd, content=text)
    ev.add("final_presentation_end", "agent_a", rnd)
    ev.add("answer_locked", "agent_a", rnd)


def _coordination(ev: Events, agents: tuple[str, ...], words: int = 6) -> None:
    """The start of a coordination: every agent starts and streams a few words."""
    ev.add("system_status", message="Initializing coordination...")
    ev.add("system_status", message="Agents working on task...")
    for a in agents:
        ev.add("round_start", a)
    for n in range(words):
        for a in agents:
            ev.add("text", a, content=f"{a}-word{n} ")


def run_interrupted_in_coordination(base: Path, name: str = "log_20260102_120000_000000") -> Path:
    """Ctrl-C while the agents were still working (run_f): status says in_progress; the metrics
    and coordination files are written at exit; no snapshot dir, no final/; failure_stage set."""
    session = write_run(base, name, question="Interrupted while coordinating")
    attempt = _attempt(session)
    for child in list(attempt.iterdir()):
        if child.is_dir() and child.name.startswith("agent_") and child.name != "agent_outputs":
            shutil.rmtree(child)
    shutil.rmtree(attempt / "final")
    shutil.rmtree(session / "turn_1" / "final")
    (attempt / "snapshot_mappings.json").unlink()

    def status(s: dict) -> None:
        s.update(finish_reason="in_progress", finish_reason_details="Phase: initial_answer",
                 is_complete=False)
        s["meta"]["elapsed_seconds"] = 4.2
        s["coordination"] = {"phase": "initial_answer", "is_final_presentation": False}
        s["rounds"] = {"total_rounds": 0, "by_outcome": {"answer": 0, "vote": 0, "presentation": 0}}
        s["results"] = {"votes": {}, "winner": None}
        for agent in s["agents"].values():
            agent.update(status="waiting", answer_count=0, vote_cast=None)

    _edit_json(attempt / "status.json", status)
    _edit_json(attempt / "metrics_summary.json", lambda m: (
        m["meta"].update(winner=None), m.update(rounds={"total_rounds": 0, "by_outcome": {
            "answer": 0, "vote": 0, "presentation": 0}})))
    write_metadata(attempt, "Interrupted while coordinating (turn 1)",
                   failure_stage="keyboard_interrupt")
    ev = Events()
    _coordination(ev, ("agent_a", "agent_b"))
    ev.add("text", "agent_a", content="and then the")
    ev.write(attempt / "events.jsonl")
    return session


def run_interrupted_in_presentation(base: Path, name: str = "log_20260103_120000_000000") -> Path:
    """Ctrl-C during the final presentation: exit 0 and status completed with the winner set,
    but no answer_locked, the presentation round not counted, the final answer cut mid-sentence
    and no turn-level final/."""
    session = write_run(base, name, question="Interrupted while presenting")
    attempt = _attempt(session)
    shutil.rmtree(session / "turn_1" / "final")

    def rounds(data: dict) -> None:
        data["rounds"]["by_outcome"]["presentation"] = 0
        data["rounds"]["total_rounds"] -= 1

    _edit_json(attempt / "status.json", rounds)
    _edit_json(attempt / "metrics_summary.json", rounds)
    (attempt / "final" / "agent_a" / "answer.txt").write_text("The answer is 4 because two and")
    lines = (attempt / "events.jsonl").read_text().splitlines(keepends=True)
    cut = next(n for n, line in enumerate(lines) if '"final_presentation_chunk"' in line)
    (attempt / "events.jsonl").write_text("".join(lines[:cut + 1]))
    return session


def run_killed(base: Path, name: str = "log_20260104_120000_000000") -> Path:
    """SIGKILL: files are whole, but the run stops: no metrics files, no final dir, agent outputs
    cut off, status.json as last written (in progress), events that simply stop."""
    session = write_run(base, name, question="Killed mid-run")
    attempt = _attempt(session)
    for file in ("metrics_summary.json", "metrics_events.json", "coordination_events.json"):
        (attempt / file).unlink()
    shutil.rmtree(attempt / "final")
    shutil.rmtree(session / "turn_1" / "final")
    for snap in [*attempt.glob("agent_*/*/vote.json"), *attempt.glob("agent_b/*/answer.txt")]:
        shutil.rmtree(snap.parent)
    (attempt / "agent_outputs" / "agent_b.txt").write_text("agent_b thinking about it.\nbut th")

    def status(s: dict) -> None:
        s.update(finish_reason="in_progress", finish_reason_details="Phase: enforcement",
                 is_complete=False)
        s["coordination"] = {"phase": "enforcement", "is_final_presentation": False}
        s["results"] = {"votes": {}, "winner": None}
        for agent in s["agents"].values():
            agent.update(status="streaming", vote_cast=None)
        s["agents"]["agent_b"]["answer_count"] = 0

    _edit_json(attempt / "status.json", status)
    ev = Events()
    _coordination(ev, ("agent_a", "agent_b"))
    ev.add("answer_submitted", "agent_a", content="Answer from agent_a: 4.", answer_label="agent1.1")
    ev.add("text", "agent_b", content="but th")
    ev.write(attempt / "events.jsonl")
    return session


def run_timed_out(base: Path, name: str = "log_20260105_120000_000000",
                  agents: tuple[str, ...] = ("agent_a", "agent_b")) -> Path:
    """The orchestrator's time limit (run_e): status timeout, an orchestrator_timeout event naming
    the selected agent, no presentation events, the selected answer in final/, metrics' winner null."""
    session = write_run(base, name, agents=agents, question="Timed out", winner="agent_b")
    attempt = _attempt(session)

    def status(s: dict) -> None:
        s.update(finish_reason="timeout", finish_reason_details="Time limit exceeded (25.0s/25s)",
                 is_complete=True)
        s["meta"]["elapsed_seconds"] = 25.0
        s["rounds"]["by_outcome"].update(presentation=0, timeout=1)
        s["results"]["winner"] = None
        s["agents"]["agent_a"].update(status="answered", vote_cast=None)

    _edit_json(attempt / "status.json", status)
    _edit_json(attempt / "metrics_summary.json", lambda m: m["meta"].update(winner=None))
    for vote in attempt.glob("agent_a/*/vote.json"):
        shutil.rmtree(vote.parent)
    (attempt / "final" / "agent_b" / "answer.txt").write_text("Agent b's answer: 4, selected at "
                                                              "the time limit.")
    shutil.rmtree(session / "turn_1" / "final")
    copy_final(attempt)
    ev = Events()
    _coordination(ev, agents)
    for i, a in enumerate(agents, 1):
        ev.add("answer_submitted", a, content=f"Answer from {a}: 4.", answer_label=f"agent{i}.1")
    ev.add("vote", "agent_b", 1, target_id="agent_b", reason="mine is complete")
    ev.add("orchestrator_timeout", None, 1, step=10, timeout_reason="Time limit exceeded (25.0s/25s)",
           available_answers=2, selected_agent="agent_b", selection_reason="most votes",
           agent_answer_summary={"agent_a": {"has_answer": True, "vote_count": 0},
                                 "agent_b": {"has_answer": True, "vote_count": 1}})
    ev.write(attempt / "events.jsonl")
    return session


def run_failed_at_startup(base: Path, name: str = "log_20260106_120000_000000") -> Path:
    """A start-up failure (run_z): only massgen.log, an empty events.jsonl and
    execution_metadata.yaml with failure_stage and failure_error."""
    session = base / name
    attempt = _attempt(session)
    attempt.mkdir(parents=True)
    (attempt / "events.jsonl").write_text("")
    (attempt / "massgen.log").write_text(log_lines(
        "Logging enabled", "❌ Configuration error: agent 'agent_a' has no backend type",
        level="ERROR"))
    write_metadata(attempt, "Failed at start-up", failure_stage="configuration_error",
                   failure_error="agent 'agent_a' has no backend type")
    return session


def run_restarted(base: Path, name: str = "log_20260107_120000_000000") -> Path:
    """restart_orchestration: attempt_1's answer was presented, post-evaluated and restarted;
    attempt_1's status.json is reset to an empty in-progress state; attempt_2 holds cumulative
    totals, round numbers carry on, and an agent's status is `answered`."""
    session = write_run(base, name, question="Restarted")
    one = _attempt(session)
    two = _attempt(session, 1, 2)
    shutil.copytree(one, two)
    for file in ("metrics_summary.json", "metrics_events.json", "coordination_events.json"):
        (one / file).unlink()
    write_json(one / "status.json", {
        "finish_reason": "in_progress", "finish_reason_details": "Phase: initial_answer",
        "is_complete": False, "meta": {"question": "Restarted (turn 1)", "start_time": START,
                                       "elapsed_seconds": 0.0, "session_id": "attempt_1"},
        "costs": {"total_estimated_cost": 0.0, "total_input_tokens": 0, "total_output_tokens": 0},
        "agents": {}, "results": {"votes": {}, "winner": None}})
    ev = Events()
    _coordination(ev, ("agent_a", "agent_b"))
    for i, a in enumerate(("agent_a", "agent_b"), 1):
        ev.add("answer_submitted", a, content=f"Answer from {a}: 4.", answer_label=f"agent{i}.1")
    for a in ("agent_a", "agent_b"):
        ev.add("vote", a, 1, target_id="agent_a", reason="complete")
    _presented(ev, 2, {"agent_a": 2}, {"agent_a": "A1.1"}, "It is 4.")
    ev.add("post_evaluation", "agent_a", 2, phase="start", content=None, winner=None)
    ev.add("post_evaluation", "agent_a", 2, phase="content", content="The answer lacks a proof.",
           winner=None)
    ev.add("post_evaluation", "agent_a", 2, phase="end", content=None, winner="agent_a")
    ev.add("restart_banner", None, 2, reason="The answer lacks a proof", instructions="Prove it",
           attempt=2, max_attempts=3)
    ev.write(one / "events.jsonl")

    def cumulative(data: dict) -> None:
        for key in ("costs", "totals"):
            if key in data:
                for field in data[key]:
                    if isinstance(data[key][field], (int, float)):
                        data[key][field] *= 2
        if "agents" in data and "agent_b" in data["agents"] and "status" in data["agents"]["agent_b"]:
            data["agents"]["agent_b"].update(status="answered", vote_cast=None)

    _edit_json(two / "status.json", cumulative)
    _edit_json(two / "metrics_summary.json", cumulative)
    for vote in two.glob("agent_b/*/vote.json"):
        shutil.rmtree(vote.parent)
    ev = Events("2026-01-01T12:00:20")
    ev.add("system_status", message="Agents working on task...")
    for a in ("agent_a", "agent_b"):
        ev.add("round_start", a, 3)
        ev.add("text", a, 3, content=f"{a} proves it. ")
    ev.add("answer_submitted", "agent_a", 3, content="4, with a proof.", answer_label="agent1.2")
    ev.add("answer_submitted", "agent_b", 3, content="4.", answer_label="agent2.2")
    ev.add("agent_restart", "agent_a", 4, restart_round=4, restart_reason="new answer")
    ev.add("vote", "agent_a", 4, target_id="agent_a", reason="has the proof")
    _presented(ev, 4, {"agent_a": 1}, {"agent_a": "A1.2"}, "The answer is 4.")
    ev.write(two / "events.jsonl")
    return session


def run_continued(base: Path, names: tuple[str, ...] = ("log_20260108_120000_000000",
                                                        "log_20260108_120500_000000"),
                  question: str = "Continued") -> list[Path]:
    """`massgen "Q1"` then `massgen --continue "Q2"` ...: one log dir per turn. In turn N's dir,
    turn_1/attempt_1 holds turn N's events.jsonl, massgen.log and execution_metadata.yaml
    (cli_args.session_id of the first turn, and the exit-1 bug's failure_stage), and
    turn_N/attempt_1 the rest."""
    first = write_run(base, names[0], question=question)
    dirs = [first]
    for turn, name in enumerate(names[1:], 2):
        session = base / name
        stub, real = _attempt(session), _attempt(session, turn)
        real.mkdir(parents=True)
        q = f"{question} (turn {turn})"
        write_attempt(real, agents=("agent_a", "agent_b"), stream_events=10, question=q,
                      winner="agent_b")
        copy_final(real)
        stub.mkdir(parents=True)
        for file in ("events.jsonl", "massgen.log"):
            (real / file).rename(stub / file)
        (real / "execution_metadata.yaml").unlink()
        write_metadata(stub, q, session_id=session_id_of(names[0]), continue_session=True,
                       failure_stage="system_exit", failure_error="1")
        dirs.append(session)
    return dirs


def run_compressed(base: Path, name: str = "log_20260109_120000_000000") -> Path:
    """MassGen compressed agent_a's context reactively: compression_debug/ traces and the lines
    in massgen.log (no event records it); a second compression only massgen.log tells of."""
    session = write_run(base, name, question="Compressed")
    attempt = _attempt(session)
    folder = attempt / "compression_debug"
    folder.mkdir()
    ms = int((START + 5) * 1000)
    write_json(folder / f"compression_{ms}_input.json", {
        "timestamp": ms, "original_messages": [{"role": "system", "content": "x"}] * 14,
        "original_message_count": 14, "messages_to_compress_count": 10,
        "recent_messages_count": 3})
    write_json(folder / f"compression_{ms + 1500}_result.json", {
        "timestamp": ms + 1500, "compressed_message_count": 4, "summary": "s" * 900,
        "summary_length_chars": 900})
    write_json(folder / f"compression_{ms + 1600}_retry_input.json", {
        "timestamp": ms + 1600, "compressed_message_count": 4, "compressed_message_tokens": 1200,
        "tools_count": 3, "tools_tokens_estimate": 300, "total_tokens_estimate": 1500})
    local = datetime.fromtimestamp(START)
    stamp = (local + timedelta(seconds=5)).strftime("%H:%M:%S")
    later = (local + timedelta(seconds=9)).strftime("%H:%M:%S")
    (attempt / "massgen.log").write_text(
        f"{local:%H:%M:%S} | INFO     | started\n"
        f"{stamp} | WARNING  | [ChatCompletion] Context length exceeded on request, triggering "
        "reactive compression: Error code: 400 - maximum context length is 8192 tokens\n"
        f"{stamp} | INFO     | [CompressionUtils] Compressing 14 messages with target_ratio=0.2\n"
        f"{stamp} | INFO     | [ChatCompletion] Compression recovery successful via summarization "
        "(4 items)\n"
        f"{later} | WARNING  | [ChatCompletion] Context length exceeded on request, triggering "
        "reactive compression: Error code: 400 - maximum context length is 8192 tokens\n"
        f"{later} | INFO     | [CompressionUtils] Compressing 20 messages with target_ratio=0.2\n"
        f"{later} | INFO     | [ChatCompletion] Compression recovery successful\n")
    return session


def run_revoted(base: Path, name: str = "log_20260110_120000_000000") -> Path:
    """Three agents, two of whom voted again after a new answer (as in run_b): five votes on
    disk, three of them final; MassGen's tally is agent_a 2, agent_b 1 (all five would say 3:2)."""
    agents = ("agent_a", "agent_b", "agent_c")
    session = write_run(base, name, agents=agents, question="Re-voted")
    attempt = _attempt(session)
    for vote in attempt.glob("agent_*/*/vote.json"):
        shutil.rmtree(vote.parent)
    for voter, stamp, target in (("agent_c", "20260101_120020_000000", "agent_b"),
                                 ("agent_a", "20260101_120021_000000", "agent_a"),
                                 ("agent_a", "20260101_120030_000000", "agent_a"),
                                 ("agent_b", "20260101_120031_000000", "agent_a"),
                                 ("agent_c", "20260101_120032_000000", "agent_b")):
        write_vote(attempt, voter, stamp, target, reason=f"{voter} prefers {target}")
    # status.json's vote_cast is each agent's *first* vote (stale after a re-vote).
    _edit_json(attempt / "status.json", lambda s: s["results"].update(
        votes={"agent1.1": 3, "agent2.1": 1, "agent2.2": 1}))
    ev = Events()
    _coordination(ev, agents)
    for i, a in enumerate(agents, 1):
        ev.add("answer_submitted", a, content=f"Answer from {a}.", answer_label=f"agent{i}.1")
    ev.add("vote", "agent_c", 2, target_id="agent_b", reason="agent_c prefers agent_b")
    ev.add("vote", "agent_a", 2, target_id="agent_a", reason="agent_a prefers agent_a")
    ev.add("answer_submitted", "agent_b", 2, content="Better.", answer_label="agent2.2")
    for a in agents:
        ev.add("agent_restart", a, 3, restart_round=3, restart_reason="new answer")
    for voter, target in (("agent_a", "agent_a"), ("agent_b", "agent_a"), ("agent_c", "agent_b")):
        ev.add("vote", voter, 3, target_id=target, reason=f"{voter} prefers {target}")
    _presented(ev, 3, {"agent_a": 2, "agent_b": 1}, {"agent_a": "A1.1", "agent_b": "A2.2"},
               "The answer is 4.")
    ev.write(attempt / "events.jsonl")
    return session


def run_unpriced(base: Path, name: str = "log_20260111_120000_000000") -> Path:
    """MassGen had no price for the models: it logged "No pricing found" and wrote $0."""
    session = write_run(base, name, question="Unpriced")
    attempt = _attempt(session)

    def zero(data: dict) -> None:
        for key, field in (("costs", "total_estimated_cost"), ("totals", "estimated_cost")):
            if key in data:
                data[key][field] = 0.0
        for agent in (data.get("agents") or {}).values():
            if "token_usage" in agent:
                agent["token_usage"]["estimated_cost"] = 0.0

    _edit_json(attempt / "status.json", zero)
    _edit_json(attempt / "metrics_summary.json", zero)
    (attempt / "massgen.log").write_text(log_lines(
        "[TokenCostCalculator] No pricing found for ChatCompletion/fake-alpha",
        "[TokenCostCalculator] No pricing found for ChatCompletion/fake-beta",
        "[TokenCostCalculator] No pricing found for ChatCompletion/fake-alpha"))
    return session


def run_agent_failed(base: Path, name: str = "log_20260112_120000_000000") -> Path:
    """A run that completed although agent_b failed with an API error (run_c)."""
    session = write_run(base, name, question="One agent failed")
    attempt = _attempt(session)
    _edit_json(attempt / "status.json", lambda s: s["agents"]["agent_b"].update(
        status="error", vote_cast=None,
        error={"type": "api_error", "message": "HTTP 500", "timestamp": START + 3}))
    for vote in attempt.glob("agent_b/*/vote.json"):
        shutil.rmtree(vote.parent)
    return session


FIVE = ("agent_a", "agent_b", "agent_c", "agent_d", "agent_e")
WORDS = ("caching", "the", "write-through", "layer", "keeps", "reads", "fast", "while",
         "invalidation", "stays", "simple", "and", "consistent", "across", "nodes.")


def run_five_agents(base: Path, name: str = "log_20260113_120000_000000") -> Path:
    """Five agents over several rounds, the way a real run streams: text in every round (so
    rounds would run together without a break), a tool call with a float duration, answers,
    restarts, votes and re-votes, then the winner's presentation and answer_locked."""
    session = write_run(base, name, agents=FIVE, question="Compare three strategies for "
                        "caching in a distributed web service and recommend one.")
    attempt = _attempt(session)
    ev = Events()
    ev.add("system_status", message="Initializing coordination...")
    ev.add("system_status", message="Agents working on task...")
    for a in FIVE:
        ev.add("round_start", a, 0)
    for n, word in enumerate(WORDS * 3):
        for a in FIVE:
            ev.add("text", a, 0, step=0.02, content=f"{word} ")
        if n == 5:
            ev.add("tool_start", "agent_c", 0, tool_id="t1", tool_name="search",
                   args={"q": "caching"})
            ev.add("tool_complete", "agent_c", 0, tool_id="t1", tool_name="search",
                   result="[]", elapsed_seconds=0.008932352066040039, status="ok",
                   is_error=False)
    for i, a in enumerate(FIVE, 1):
        ev.add("answer_submitted", a, 0, content=f"{a}'s answer", answer_label=f"agent{i}.1")
        ev.add("agent_restart", a, 1, restart_round=1, restart_reason="new answer")
    for a in FIVE:
        ev.add("round_start", a, 1)
        ev.add("text", a, 1, content="Comparing the answers: ")
        ev.add("text", a, 1, content="the first is the most complete.")
    for a in FIVE:
        ev.add("vote", a, 1, target_id="agent_b" if a == "agent_e" else "agent_a",
               reason="most complete")
    ev.add("answer_submitted", "agent_b", 1, content="better", answer_label="agent2.2")
    for a in FIVE:
        ev.add("agent_restart", a, 2, restart_round=2, restart_reason="new answer")
        ev.add("text", a, 2, content="Comparing again.")
    for a in FIVE:
        ev.add("vote", a, 2, target_id="agent_b" if a in ("agent_d", "agent_e") else "agent_a",
               reason="still the most complete")
    ev.add("status", "agent_a", 2, message="Voting complete - selected agent: agent_a",
           level="info")
    ev.add("final_presentation_start", "agent_a", 2, vote_counts={"agent_a": 3, "agent_b": 2},
           answer_labels={"agent_a": "A1.1", "agent_b": "A2.2"}, is_tie=False)
    for word in WORDS:
        ev.add("final_presentation_chunk", "agent_a", 2, step=0.02, content=f"{word} ")
        ev.add("text", "agent_a", 2, step=0.0, content=f"{word} ")
    ev.add("final_answer", "agent_a", 2, content=" ".join(WORDS))
    ev.add("final_presentation_end", "agent_a", 2)
    ev.add("answer_locked", "agent_a", 2)
    ev.write(attempt / "events.jsonl")
    _edit_json(attempt / "status.json", lambda s: s["meta"].update(elapsed_seconds=8.0))
    for vote in attempt.glob("agent_*/*/vote.json"):
        shutil.rmtree(vote.parent)
    for n, targets in enumerate(({"agent_e": "agent_b"}, {"agent_d": "agent_b", "agent_e": "agent_b"})):
        for a in FIVE:
            write_vote(attempt, a, f"20260101_12002{n}_00000{FIVE.index(a)}",
                       targets.get(a, "agent_a"))
    return session


KINDS: dict[str, Callable[[Path], Any]] = {
    "completed": write_run,
    "interrupted_in_coordination": run_interrupted_in_coordination,
    "interrupted_in_presentation": run_interrupted_in_presentation,
    "killed": run_killed,
    "timed_out": run_timed_out,
    "failed_at_startup": run_failed_at_startup,
    "restarted": run_restarted,
    "continued": run_continued,
    "compressed": run_compressed,
    "revoted": run_revoted,
    "unpriced": run_unpriced,
    "agent_failed": run_agent_failed,
    "five_agents": run_five_agents,
}


def write_every_kind(base: Path) -> dict[str, Path | list[Path]]:
    """One run of each kind under `base`, each in its own log dir; what each wrote."""
    return {kind: make(base) for kind, make in KINDS.items()}
