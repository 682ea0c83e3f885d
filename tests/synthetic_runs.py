"""Writing MassGen-shaped run directories of any size, for tests and benches.

The shapes follow ../shared/massgen-logs/LAYOUT.md (massgen 0.1.97).
"""

from __future__ import annotations

import json
from pathlib import Path

SECRET = "sk-proj-SYNTHETICSECRET0123456789abcdef"


def write_run(base: Path, name: str = "log_20260101_120000_000000", *, turns: int = 1,
              agents: tuple[str, ...] = ("agent_a", "agent_b"), stream_events: int = 50,
              question: str = "What is 2+2?", winner: str = "agent_a",
              delta: str = "tok ") -> Path:
    """A complete session dir with `turns` turns; returns the session path."""
    session = base / name
    for turn in range(1, turns + 1):
        attempt = session / f"turn_{turn}" / "attempt_1"
        attempt.mkdir(parents=True)
        write_attempt(attempt, agents=agents, stream_events=stream_events,
                      question=f"{question} (turn {turn})", winner=winner, delta=delta)
    return session


def write_attempt(attempt: Path, *, agents: tuple[str, ...], stream_events: int, question: str,
                  winner: str, delta: str = "tok ") -> None:
    """The files of one finished attempt."""
    usage = {a: {"input_tokens": 1000 * (i + 1), "output_tokens": 100 * (i + 1),
                 "reasoning_tokens": 0, "cached_input_tokens": 10 * (i + 1),
                 "estimated_cost": 0.001 * (i + 1)} for i, a in enumerate(agents)}
    status = {
        "finish_reason": "completed", "finish_reason_details": f"Winner: {winner}",
        "is_complete": True,
        "meta": {"question": question, "start_time": 1767268800.0, "elapsed_seconds": 12.5},
        "costs": {"total_estimated_cost": 0.003, "total_input_tokens": 3000,
                  "total_output_tokens": 300},
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
        "rounds": {"total_rounds": 2 * len(agents) + 1,
                   "by_outcome": {"answer": len(agents), "vote": len(agents), "presentation": 1,
                                  "error": 0, "timeout": 0}},
        "api_timing": {"total_calls": 5, "total_time_ms": 5000.0, "avg_time_ms": 1000.0,
                       "avg_ttft_ms": 200.0, "by_backend": {"Response": {"calls": 5}}},
        "agents": {a: {"tool_metrics": {"total_calls": 1}} for a in agents},
        "subagents": {"total_subagents": 0, "total_estimated_cost": 0.0, "subagents": []},
    }
    (attempt / "status.json").write_text(json.dumps(status))
    (attempt / "metrics_summary.json").write_text(json.dumps(metrics))
    (attempt / "execution_metadata.yaml").write_text(
        f"query: {question}\nmassgen_version: 0.1.97\nconfig:\n  agents:\n  - id: agent_a\n"
        f"    backend:\n      type: openai\n      model: gpt-5\n      api_key: {SECRET}\n")
    mappings = {}
    for i, a in enumerate(agents, 1):
        snap = attempt / a / f"20260101_12000{i}_000000"
        snap.mkdir(parents=True)
        (snap / "answer.txt").write_text(f"Answer from {a}: 4.")
        mappings[f"agent{i}.1"] = {"type": "answer", "agent_id": a,
                                   "path": f"{a}/{snap.name}/answer.txt"}
        vote = attempt / a / f"20260101_12001{i}_000000"
        vote.mkdir()
        (vote / "vote.json").write_text(json.dumps({"voter_id": a, "voted_for": winner,
                                                    "voted_for_label": "agent1.1",
                                                    "reason": "most complete"}))
    (attempt / "snapshot_mappings.json").write_text(json.dumps(mappings))
    (attempt / "agent_outputs").mkdir()
    for a in agents:
        (attempt / "agent_outputs" / f"{a}.txt").write_text(f"{a} thinking about it.\n" * 20)
    (attempt / "final" / winner).mkdir(parents=True)
    (attempt / "final" / winner / "answer.txt").write_text("The answer is 4.")
    (attempt / "massgen.log").write_text("12:00:00 | INFO     | started\n")
    write_events(attempt / "events.jsonl", agents, stream_events, delta)


def event_line(ts: str, kind: str, agent: str | None, rnd: int, data: dict) -> str:
    """One events.jsonl line, spelled as MassGen writes it."""
    return json.dumps({"timestamp": ts, "event_type": kind, "agent_id": agent,
                       "round_number": rnd, "data": data}) + "\n"


def write_events(path: Path, agents: tuple[str, ...], stream_events: int,
                 delta: str = "tok ") -> None:
    """An events.jsonl with a round start, `stream_events` text deltas and the critical ones."""
    with path.open("w") as fh:
        fh.write(event_line("2026-01-01T12:00:00.000000", "system_status", None, 0,
                            {"message": "Initializing coordination..."}))
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
                                {"target_id": "agent_a", "reason": "most complete"}))
        fh.write(event_line("2026-01-01T12:00:12.500000", "final_answer", "agent_a", 2,
                            {"content": "The answer is 4."}))
