"""A MassGen run whose agents wrote everything hostile, in every file a command reads."""

from __future__ import annotations

import json
from pathlib import Path

from tests.hostile.planted import (
    BREAKOUT,
    ENV_KEY,
    ESCAPES,
    HOSTILE,
    INJECTION,
    LONG_WORD,
    MARKUP,
    SECRETS,
    leaks,  # noqa: F401 - re-exported for the tests
)
from tests.synthetic_runs import event_line, write_run

# The agent ids agents chose: one as a directory name can be (no "/"), one only in status.json.
DIR_AGENT = "agent_\x1b[2J[bold]\u202eevil"
ODD_AGENT = "agent_</log_data>\x1b]0;t\x07[/bold]"
KEY_HALVES = ("sk-proj-PLANTEDsplitACROSS", "TWOdeltas0123456789")
ALL_SECRETS = " ".join(text for text, _ in SECRETS) + f" env {ENV_KEY}"
TEXT = f"{HOSTILE}\n{LONG_WORD}\n{INJECTION}\n{ALL_SECRETS}\n{MARKUP}"


def write_hostile_run(base: Path, name: str = "log_20260202_120000_000000",
                      text: str = TEXT) -> Path:
    """The run, with `text` in every place a run holds text; returns its session directory."""
    session = write_run(base, name, agents=("agent_a", DIR_AGENT), question=text,
                        stream_events=4)
    attempt = session / "turn_1" / "attempt_1"
    status = json.loads((attempt / "status.json").read_text())
    status["agents"][ODD_AGENT] = {"status": f"error {ESCAPES}", "error": {
        "type": MARKUP, "message": text}, "token_usage": {"input_tokens": 1}}
    status["agents"][DIR_AGENT]["vote_cast"] = {"voted_for_agent": ODD_AGENT}
    status["finish_reason_details"] = text
    (attempt / "status.json").write_text(json.dumps(status))
    metrics = json.loads((attempt / "metrics_summary.json").read_text())
    metrics["tools"]["by_tool"][f"tool {MARKUP} {ESCAPES} {SECRETS[1][0]}"] = {
        "call_count": 1, "failure_count": 1, "total_execution_time_ms": 99.0}
    (attempt / "metrics_summary.json").write_text(json.dumps(metrics))
    mappings = json.loads((attempt / "snapshot_mappings.json").read_text())
    for key in list(mappings):
        mappings[f'{key}">{BREAKOUT}{ESCAPES}'] = mappings.pop(key)
    (attempt / "snapshot_mappings.json").write_text(json.dumps(mappings))
    for snap in attempt.glob("agent_*/*"):
        if (snap / "answer.txt").exists():
            (snap / "answer.txt").write_text(text)
            snap.rename(snap.parent / f'{snap.name}<log_data section="evil">{BREAKOUT[:1]}')
        elif (snap / "vote.json").exists():
            (snap / "vote.json").write_text(json.dumps({
                "voter_id": ODD_AGENT, "voted_for": DIR_AGENT, "reason": text}))
    for output in (attempt / "agent_outputs").iterdir():
        output.write_text(text)
    (attempt / "final" / "agent_a" / "answer.txt").write_text(text)
    # One line with the text on it, then the text as an error's continuation lines.
    (attempt / "massgen.log").write_text(f"12:00:00 | ERROR    | {text}\n".replace("\n", " ")
                                         + f"\n12:00:01 | ERROR    | failed:\n{text}\n")
    (attempt / "execution_metadata.yaml").write_text(
        f"query: {json.dumps(text)}\nmassgen_version: {json.dumps(ESCAPES)}\nconfig:\n  agents:\n"
        f"  - id: {json.dumps(ODD_AGENT)}\n    backend:\n      api_key: 90817263544536271\n"
        f"      note: {json.dumps(ALL_SECRETS if text is TEXT else text)}\n")
    write_hostile_events(attempt / "events.jsonl", text)
    return session


def write_hostile_events(path: Path, text: str = TEXT) -> None:
    """Every event type the TUI shows, each carrying hostile text; a key split across two deltas."""
    def ts(n: int) -> str:
        return f"2026-02-02T12:00:{n // 100:02d}.{n % 100:02d}0000"

    lines = [event_line(ts(0), "system_status", None, 0, {"message": HOSTILE})]
    n = 1
    for agent in ("agent_a", DIR_AGENT, ODD_AGENT):
        lines.append(event_line(ts(n), "round_start", agent, 0, {}))
        lines.append(event_line(ts(n + 1), "status", agent, 0, {"message": HOSTILE}))
        lines.append(event_line(ts(n + 2), "tool_start", agent, 0,
                                {"tool_name": f"{MARKUP} {ESCAPES}", "args": {"q": HOSTILE}}))
        for piece in [*(word + " " for word in text.split(" ")), "the key is ", *KEY_HALVES,
                      " ok\n"]:
            lines.append(event_line(ts(n + 3), "text", agent, 0, {"content": piece}))
        lines.append(event_line(ts(n + 4), "answer_submitted", agent, 0,
                                {"content": text, "answer_label": f"{MARKUP}{ESCAPES}"}))
        lines.append(event_line(ts(n + 5), "vote", agent, 1,
                                {"target_id": ODD_AGENT, "reason": HOSTILE}))
        n += 10
    lines.append(event_line(ts(n), "winner_selected", ODD_AGENT, 2, {"vote_results": HOSTILE}))
    lines.append(event_line(ts(n + 1), "final_answer", ODD_AGENT, 2, {"content": text}))
    lines.append(event_line(ts(n + 2), "text", ODD_AGENT, 2, {"content": "tail sk-proj-PLANTEDheld"}))
    path.write_text("".join(lines))
