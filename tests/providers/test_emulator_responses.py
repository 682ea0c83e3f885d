"""The emulator's Responses API: function calls, stored responses and previous_response_id chains."""

from __future__ import annotations

import json

import openai
import pytest

from massgen_plugins.testing.replies import Call, Reply

ASK = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Oslo?"}]


@pytest.fixture
def client(massgen_emulator):
    return openai.OpenAI(base_url=massgen_emulator.base_url("openai"), api_key="test", max_retries=0)


def raw(client, path, **body):
    # openai 2.2.0 (MassGen's pin) has no typed responses.compact or input_tokens.
    return client.post(path, body=body, cast_to=object)


def output_of(call):
    return {"type": "function_call_output", "call_id": call.call_id, "output": '{"temp": 3}'}


def test_a_reply_with_text_and_calls_gives_a_message_then_each_call(massgen_emulator, client):
    massgen_emulator.reply("Checking.", calls=[Call("weather", {"city": "Oslo"}),
                                               Call("clock", {})])
    response = client.responses.create(model="gpt-5", input=ASK)
    message, first, second = response.output
    assert message.type == "message" and response.output_text == "Checking."
    assert (first.type, first.name, json.loads(first.arguments)) == ("function_call", "weather",
                                                                     {"city": "Oslo"})
    assert first.id.startswith("fc_") and first.call_id.startswith("call_")
    assert first.status == "completed" and second.name == "clock"
    assert len({first.call_id, second.call_id}) == 2


def test_a_reply_that_only_calls_has_no_message(massgen_emulator, client):
    massgen_emulator.reply(calls=[Call("weather", {"city": "Oslo"})])
    response = client.responses.create(model="gpt-5", input=ASK)
    assert [item.type for item in response.output] == ["function_call"]
    assert response.usage.output_tokens > 0


def test_a_streamed_call_comes_as_the_real_service_sends_it(massgen_emulator, client):
    massgen_emulator.reply("Checking.", calls=[Call("weather", {"city": "Oslo"}),
                                               Call("clock", {"zone": "CET"})], chunks=4)
    events = list(client.responses.create(model="gpt-5", input=ASK, stream=True))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    done = events[-1].response
    assert [item.type for item in done.output] == ["message", "function_call", "function_call"]
    for index, call in enumerate(done.output[1:], start=1):
        mine = [e for e in events if getattr(e, "output_index", None) == index]
        # Each call is whole before the next begins: added, its deltas, done, item done.
        assert [e.type for e in mine] == (["response.output_item.added"]
                                          + ["response.function_call_arguments.delta"] * 4
                                          + ["response.function_call_arguments.done",
                                             "response.output_item.done"])
        assert mine[0].item.arguments == "" and mine[0].item.call_id == call.call_id
        assert "".join(e.delta for e in mine[1:5]) == call.arguments == mine[5].arguments
        assert mine[-1].item.arguments == call.arguments
    first_call = kinds.index("response.output_item.added", 3)
    assert kinds.index("response.output_item.done") < first_call, "the message finishes first"


def test_previous_response_id_resolves_the_whole_chain(massgen_emulator, client):
    massgen_emulator.reply("Let me look.", calls=[Call("weather", {"city": "Oslo"})])
    first = client.responses.create(model="gpt-5", input=ASK)
    seen = []
    massgen_emulator.responder = lambda prompt: seen.append(prompt) or Reply("3 degrees.")
    follow = client.responses.create(model="gpt-5", previous_response_id=first.id,
                                     input=[output_of(first.output[1])])
    assert follow.output_text == "3 degrees." and follow.previous_response_id == first.id
    (prompt,) = seen
    assert prompt.system == "Be brief." and prompt.texts("user") == ["Weather in Oslo?"]
    assert [i.get("type", "message") for i in prompt.items] == [
        "message", "message", "message", "function_call", "function_call_output"]
    assert prompt.texts("assistant") == ["Let me look."] and prompt.texts("tool") == ['{"temp": 3}']
    counted = raw(client, "/responses/input_tokens", model="gpt-5", previous_response_id=follow.id)
    assert counted["input_tokens"] > follow.usage.input_tokens, "the chain keeps growing"


def test_only_the_chain_overflows_the_window(massgen_emulator, client):
    massgen_emulator.reply("x" * 400, calls=[Call("weather", {"city": "Oslo"})])
    first = client.responses.create(model="gpt-5", input=ASK)
    massgen_emulator.windows["gpt-5"] = 60
    tool_output = [output_of(first.output[1])]
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="gpt-5", previous_response_id=first.id, input=tool_output)
    assert info.value.code == "context_length_exceeded" and info.value.status_code == 400
    # Alone, the same input fits; without its call it is refused for the pairing instead.
    with pytest.raises(openai.BadRequestError, match="No tool call found"):
        client.responses.create(model="gpt-5", input=tool_output)


def test_the_pairing_check_runs_on_the_chain(massgen_emulator, client):
    massgen_emulator.reply(calls=[Call("weather", {"city": "Oslo"})])
    first = client.responses.create(model="gpt-5", input=ASK)
    with pytest.raises(openai.BadRequestError, match=f"No tool output found for function call "
                                                     f"{first.output[0].call_id}"):
        client.responses.create(model="gpt-5", previous_response_id=first.id,
                                input=[{"role": "user", "content": "Never mind."}])


def test_an_unknown_or_unstored_previous_response_is_not_found(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="gpt-5", previous_response_id="resp_nope", input="hi")
    err = info.value
    assert err.status_code == 400 and err.code == "previous_response_not_found"
    assert err.param == "previous_response_id" and err.type == "invalid_request_error"
    assert err.body["message"] == "Previous response with id 'resp_nope' not found."
    unstored = client.responses.create(model="gpt-5", input="hi", store=False)
    with pytest.raises(openai.BadRequestError, match=f"'{unstored.id}' not found"):
        client.responses.create(model="gpt-5", previous_response_id=unstored.id, input="again")


def test_compact_takes_previous_response_id_and_compacts_the_chain(massgen_emulator, client):
    first = client.responses.create(model="gpt-5", input=ASK)
    compacted = raw(client, "/responses/compact", model="gpt-5", previous_response_id=first.id,
                    input=[{"role": "user", "content": "And tomorrow?"}])
    kept = [item["content"][0]["text"] for item in compacted["output"] if item["type"] == "message"]
    assert kept == ["Weather in Oslo?", "And tomorrow?"], "the chain's user messages, then the new"
    assert compacted["output"][-1]["type"] == "compaction"
    with pytest.raises(openai.BadRequestError, match="'resp_gone' not found"):
        raw(client, "/responses/compact", model="gpt-5", previous_response_id="resp_gone")
    with pytest.raises(openai.BadRequestError, match="Unknown parameter: 'tools'"):
        raw(client, "/responses/compact", model="gpt-5", previous_response_id=first.id, tools=[])


def test_the_responder_answers_when_nothing_is_queued(massgen_emulator, client):
    massgen_emulator.responder = lambda prompt: Reply(f"{prompt.api} {prompt.model}")
    massgen_emulator.reply("scripted")
    assert client.responses.create(model="gpt-5", input="hi").output_text == "scripted"
    assert client.responses.create(model="gpt-5", input="hi").output_text == "responses gpt-5"
    massgen_emulator.responder = lambda prompt: None
    assert client.responses.create(model="gpt-5", input="hi").output_text == "Hello from the emulator."


def test_the_responder_sees_the_offered_functions_read_only(massgen_emulator, client):
    seen = []
    massgen_emulator.responder = seen.append
    tool = {"type": "function", "name": "vote", "parameters": {"type": "object", "properties": {
        "agent_id": {"type": "string", "enum": ["agent1", "agent2"]}}}}
    client.responses.create(model="gpt-5", input=ASK, tools=[tool, {"type": "web_search"}],
                            instructions="Use tools.")
    (prompt,) = seen
    assert set(prompt.tools) == {"vote"}
    assert prompt.tools["vote"]["properties"]["agent_id"]["enum"] == ("agent1", "agent2")
    assert prompt.system == "Use tools.\n\nBe brief."
    with pytest.raises(TypeError):
        prompt.items[0]["content"] = "changed"


def test_calls_are_refused_where_only_text_is_emulated(massgen_emulator):
    import anthropic

    massgen_emulator.reply(calls=[Call("weather")], provider="anthropic")
    client = anthropic.Anthropic(base_url=massgen_emulator.base_url("anthropic"), api_key="test",
                                 max_retries=0)
    with pytest.raises(anthropic.InternalServerError, match="only on the OpenAI routes"):
        client.messages.create(model="claude-sonnet-4-6", max_tokens=10,
                               messages=[{"role": "user", "content": "hi"}])
