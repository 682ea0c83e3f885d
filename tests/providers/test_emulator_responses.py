"""The emulator's Responses API: function calls, the responder hook."""

from __future__ import annotations

import json

import openai
import pytest

from massgen_plugins.testing.replies import Call, Reply

ASK = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Oslo?"}]


@pytest.fixture
def client(massgen_emulator):
    return openai.OpenAI(base_url=massgen_emulator.base_url("openai"), api_key="test", max_retries=0)


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
