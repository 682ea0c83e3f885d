"""`logs summary` lists a run's context compressions: MassGen's traces and the bridge's records."""

from __future__ import annotations

import json

from tests.synthetic_runs import write_run


def add_trace(attempt, ms, before, after):
    folder = attempt / "compression_debug"
    folder.mkdir(exist_ok=True)
    (folder / f"compression_{ms}_input.json").write_text(json.dumps({
        "timestamp": ms, "original_message_count": before, "messages_to_compress_count": before - 1}))
    (folder / f"compression_{ms + 40}_result.json").write_text(json.dumps({
        "timestamp": ms + 40, "compressed_message_count": after, "summary": "s" * 120,
        "summary_length_chars": 120}))


def add_record(attempt, **entry):
    folder = attempt / "massgen_plugins"
    folder.mkdir(exist_ok=True)
    with (folder / "compressions.jsonl").open("a") as fh:
        fh.write(json.dumps(entry) + "\n")


def test_summary_shows_each_compression_once(cli, tmp_path):
    session = write_run(tmp_path)
    attempt = session / "turn_1" / "attempt_1"
    # A compaction the bridge recorded, MassGen's summarization recorded by the bridge too
    # (MassGen also left its trace of it), and one only MassGen traced (no bridge then).
    add_record(attempt, time=1767268805.0, agent="agent_a", method="openai-compact", ok=True,
               items_before=9, items_after=3, tokens_before=7712, tokens_after=650,
               input_tokens=7712, output_tokens=12, cost_usd=0.0012, latency_s=0.8, note="")
    add_record(attempt, time=1767268809.3, agent="agent_b", method="massgen-summarization",
               ok=True, items_before=4, items_after=3, tokens_before=5000, tokens_after=900,
               input_tokens=None, output_tokens=None, cost_usd=None, latency_s=1.2, note="")
    add_trace(attempt, 1767268808500, 4, 3)
    add_trace(attempt, 1767268900000, 6, 2)
    data = json.loads(cli("logs", "summary", str(session), "--json").stdout)
    found = data["attempts"][0]["compressions"]
    assert [(c["agent"], c["method"], c["messages_before"], c["messages_after"]) for c in found] == [
        ("agent_a", "openai-compact", 9, 3), ("agent_b", "massgen-summarization", 4, 3),
        (None, "massgen-summarization", 6, 2)]
    assert found[0]["cost_usd"] == 0.0012 and found[0]["tokens_after"] == 650
    assert found[2]["source"] == "MassGen compression_debug" and found[2]["cost_usd"] is None
    human = cli("logs", "summary", str(session)).stdout
    assert "Context compressions" in human and "openai-compact" in human
    assert "massgen-summarization" in human


def test_damaged_records_are_one_warning(cli, tmp_path):
    session = write_run(tmp_path)
    attempt = session / "turn_1" / "attempt_1"
    add_record(attempt, time=1767268805.0, agent="agent_a", method="openai-compact", ok=True)
    with (attempt / "massgen_plugins" / "compressions.jsonl").open("a") as fh:
        fh.write('{"time": "soon"}\n{not json\n')
    result = cli("logs", "summary", str(session), "--json")
    assert result.returncode == 0
    assert len(json.loads(result.stdout)["attempts"][0]["compressions"]) == 1
    assert "skipped 2 lines that are not compression records" in result.stderr
