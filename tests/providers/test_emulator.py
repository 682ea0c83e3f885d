"""The emulator is as strict as the real services, and runs as its own process for CLI tests."""

from __future__ import annotations

import subprocess
import sys

import openai
import pytest


@pytest.fixture
def client(massgen_emulator):
    return openai.OpenAI(base_url=massgen_emulator.base_url("openai"), api_key="test", max_retries=0)


def compact(client, **body):
    return client.post("/responses/compact", body=body, cast_to=object)


def test_compaction_round_trip_and_forged_items(massgen_emulator, client):
    history = [{"role": "user", "content": "Plan a trip."},
               {"role": "assistant", "content": "Where to?"},
               {"role": "user", "content": "Lisbon."}]
    # The raw endpoint, as the plugin calls it: openai 2.2.0 (MassGen's pin) has no typed
    # responses.compact.
    compacted = compact(client, model="gpt-5", input=history, instructions="Be brief.")
    assert compacted["object"] == "response.compaction"
    kinds = [item["type"] for item in compacted["output"]]
    assert kinds == ["message", "message", "compaction"], "the user messages, then one compaction"
    carried = compacted["output"]
    massgen_emulator.reply("Sure.")
    follow = client.responses.create(model="gpt-5", input=[*carried,
                                                           {"role": "user", "content": "Go on"}])
    assert follow.output_text == "Sure."
    forged = {"type": "compaction", "encrypted_content": "enc_not_issued_here"}
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="gpt-5", input=[forged])
    assert info.value.code == "invalid_encrypted_content"


def test_compact_rejects_parameters_it_does_not_take(client):
    with pytest.raises(openai.BadRequestError, match="Unknown parameter: 'store'"):
        compact(client, model="gpt-5", input=[{"role": "user", "content": "x"}], store=False)


def test_tool_outputs_must_match_their_calls(client):
    call = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}
    output = {"type": "function_call_output", "call_id": "c1", "output": "ok"}
    with pytest.raises(openai.BadRequestError, match="No tool call found"):
        client.responses.create(model="gpt-5", input=[{**output, "call_id": "other"}])
    with pytest.raises(openai.BadRequestError, match="No tool output found for function call c1"):
        compact(client, model="gpt-5", input=[{"role": "user", "content": "x"}, call])
    assert client.responses.create(model="gpt-5", input=[{"role": "user", "content": "x"},
                                                         call, output]).output_text


def test_requests_are_recorded_with_keys_masked(massgen_emulator, client):
    client.responses.create(model="gpt-5", input="hello")
    rec = massgen_emulator.of("openai")[-1]
    assert rec.path == "/v1/responses" and rec.body["input"] == "hello"
    assert rec.headers["authorization"] == "***"


def test_unknown_fault_is_refused(massgen_emulator):
    with pytest.raises(ValueError, match="unknown fault 'nope'"):
        massgen_emulator.fail("nope")


def test_runs_as_a_process_for_cli_tests():
    proc = subprocess.Popen([sys.executable, "-m", "massgen_plugins.testing.emulator", "--port",
                             "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="test", max_retries=0)
        assert client.responses.create(model="gpt-5", input="hi").output_text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_scripted_overflow_reports_a_count_past_the_window(massgen_emulator, client):
    massgen_emulator.fail("context_length", "openai")
    with pytest.raises(openai.BadRequestError, match=r"\(128001 tokens > 128000\)"):
        client.responses.create(model="gpt-5", input="hi")
