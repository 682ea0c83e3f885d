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


def test_massgens_own_traces_and_log_lines_as_a_real_run_leaves_them(cli, tmp_path):
    from tests.synthetic_runs import run_compressed

    session = run_compressed(tmp_path)
    data = json.loads(cli("logs", "summary", str(session), "--json").stdout)
    found = data["attempts"][0]["compressions"]
    assert [(c["source"], c["messages_before"], c["messages_after"], c["tokens_after"], c["ok"])
            for c in found] == [("MassGen compression_debug", 14, 4, 1200, True),
                                ("massgen.log", 20, None, None, True)]
    assert found[0]["time"].startswith("2026-01-01T") and found[0]["note"] == \
        "summary of 900 characters"
    assert found[1]["note"] == "ChatCompletion backend"
    human = cli("logs", "summary", str(session), env={"COLUMNS": "80"}).stdout
    assert "Context compressions" in human and "14 msgs" in human and "20 msgs" in human
    assert all(len(line) <= 80 for line in human.splitlines())


def test_a_retry_refused_after_compression_marks_it_failed(cli, tmp_path):
    session = write_run(tmp_path)
    attempt = session / "turn_1" / "attempt_1"
    add_trace(attempt, 1767268805000, 12, 3)
    (attempt / "compression_debug" / "compression_1767268805100_retry_input.json").write_text(
        json.dumps({"compressed_message_count": 3, "compressed_message_tokens": 9000,
                    "error": "context_length_exceeded"}))
    found = json.loads(cli("logs", "summary", str(session), "--json").stdout)[
        "attempts"][0]["compressions"]
    assert len(found) == 1 and found[0]["ok"] is False
    assert found[0]["note"].endswith("the retry failed: context_length_exceeded")


def test_a_continued_turn_finds_its_compressions_beside_its_events(cli, tmp_path):
    from tests.synthetic_runs import run_continued

    _first, second = run_continued(tmp_path)
    stub = second / "turn_1" / "attempt_1"
    add_trace(stub, 1767268805000, 9, 2)
    add_record(stub, time=1767268900.0, agent="agent_b", method="openai-compact", ok=True,
               items_before=7, items_after=2)
    data = json.loads(cli("logs", "summary", str(second / "turn_2"), "--json").stdout)
    assert [(c["method"], c["messages_before"]) for c in data["attempts"][0]["compressions"]] == [
        ("massgen-summarization", 9), ("openai-compact", 7)]


def test_the_analysis_context_lists_each_compression(tmp_path):
    from massgen_plugins.logs.context import build_context
    from massgen_plugins.logs.reader import read_session
    from tests.synthetic_runs import run_compressed

    ctx = build_context(read_session(run_compressed(tmp_path)).latest, 50_000)
    block = ctx.text.split('<log_data section="compressions"')[1].split("</log_data>")[0]
    assert "agent not recorded massgen-summarization (reactive): 14 messages -> 4 messages, " \
           "~1,200 tokens [MassGen compression_debug]" in block
    assert "20 messages -> ? [massgen.log] ChatCompletion backend" in block
