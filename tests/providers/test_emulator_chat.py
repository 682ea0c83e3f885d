"""The emulator's Chat Completions API, as strict as the real one about context and tool pairing."""

from __future__ import annotations

import json

import openai
import pytest

from massgen_plugins.testing.replies import Call, Reply

ASK = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Oslo?"}]
TOOLS = [{"type": "function", "function": {"name": "weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}}}}]


@pytest.fixture
def client(massgen_emulator):
    return openai.OpenAI(base_url=massgen_emulator.base_url("openai"), api_key="test", max_retries=0)


def test_text_with_usage(massgen_emulator, client):
    massgen_emulator.reply("Cold.", input_tokens=12, output_tokens=2, cached_tokens=4)
    done = client.chat.completions.create(model="gpt-4o-mini", messages=ASK)
    choice = done.choices[0]
    assert (choice.message.content, choice.finish_reason, choice.message.tool_calls) == (
        "Cold.", "stop", None)
    assert (done.usage.prompt_tokens, done.usage.completion_tokens, done.usage.total_tokens) == (
        12, 2, 14)
    assert done.usage.prompt_tokens_details.cached_tokens == 4
    sent = massgen_emulator.of("openai")[-1]
    assert sent.path == "/v1/chat/completions" and sent.headers["authorization"] == "***"


def test_tool_calls_finish_with_tool_calls(massgen_emulator, client):
    massgen_emulator.reply(calls=[Call("weather", {"city": "Oslo"}), Call("weather", {"city": "Rome"})])
    done = client.chat.completions.create(model="gpt-4o-mini", messages=ASK, tools=TOOLS)
    choice = done.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    calls = choice.message.tool_calls
    assert [json.loads(c.function.arguments)["city"] for c in calls] == ["Oslo", "Rome"]
    assert all(c.id.startswith("call_") and c.type == "function" for c in calls)


def test_a_stream_sends_text_then_calls_in_pieces_then_the_usage_chunk(massgen_emulator, client):
    massgen_emulator.reply("Looking.", calls=[Call("weather", {"city": "Oslo"})], chunks=3,
                           output_tokens=9)
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=ASK, tools=TOOLS,
                                                 stream=True, stream_options={"include_usage": True}))
    *body, last = chunks
    assert last.choices == [] and last.usage.completion_tokens == 9
    assert all(c.usage is None for c in body)
    deltas = [c.choices[0].delta for c in body]
    assert deltas[0].role == "assistant"
    assert "".join(d.content or "" for d in deltas) == "Looking."
    pieces = [t for d in deltas for t in d.tool_calls or []]
    assert pieces[0].id.startswith("call_") and pieces[0].function.name == "weather"
    assert all(p.index == 0 for p in pieces) and len(pieces) == 4, "the head, then 3 pieces"
    assert json.loads("".join(p.function.arguments for p in pieces)) == {"city": "Oslo"}
    assert [c.choices[0].finish_reason for c in body][-1] == "tool_calls"


def test_reasoning_streams_before_the_text_as_reasoning_content(massgen_emulator, client):
    massgen_emulator.reply("Cold.", reasoning="Oslo is north. It is winter.", chunks=4)
    deltas = [c.choices[0].delta for c in client.chat.completions.create(
        model="gpt-4o-mini", messages=ASK, stream=True)]
    said = [(d.model_extra or {}).get("reasoning_content") for d in deltas]
    pieces = [p for p in said if p]
    assert "".join(pieces) == "Oslo is north. It is winter." and len(pieces) == 4
    last_reasoning = max(i for i, p in enumerate(said) if p)
    first_text = min(i for i, d in enumerate(deltas) if d.content)
    assert last_reasoning < first_text, "reasoning first, as the models that send it do"
    massgen_emulator.reply("Cold.", reasoning="Winter.")
    message = client.chat.completions.create(model="gpt-4o-mini", messages=ASK).choices[0].message
    assert (message.content, message.model_extra["reasoning_content"]) == ("Cold.", "Winter.")


def test_a_stream_without_include_usage_has_no_usage_chunk(massgen_emulator, client):
    massgen_emulator.reply("Cold.")
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=ASK, stream=True))
    assert all(c.choices for c in chunks) and chunks[-1].choices[0].finish_reason == "stop"


def test_the_context_error_is_chat_completions_own(massgen_emulator, client):
    massgen_emulator.windows["gpt-4o-mini"] = 20
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-4o-mini",
                                       messages=[{"role": "user", "content": "word " * 100}])
    err = info.value
    assert err.code == "context_length_exceeded" and err.param == "messages"
    assert err.body["message"].startswith("This model's maximum context length is 20 tokens. "
                                          "However, your messages resulted in ")
    assert err.body["message"].endswith(" tokens. Please reduce the length of the messages.")


def test_an_orphan_tool_message_is_refused(client):
    orphan = [*ASK, {"role": "tool", "tool_call_id": "call_x", "content": "3 degrees"},
              {"role": "assistant", "content": "[CONTEXT RECOVERY] summary"}]
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=orphan)
    assert info.value.body["message"] == ("Invalid parameter: messages with role 'tool' must be a "
                                          "response to a preceeding message with 'tool_calls'.")
    assert info.value.param == "messages.[2].role"


def test_a_call_must_be_answered_right_after_it(client):
    call = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}]}
    answer = {"role": "tool", "tool_call_id": "call_1", "content": "3 degrees"}
    with pytest.raises(openai.BadRequestError, match="did not have response messages: call_1"):
        client.chat.completions.create(model="gpt-4o-mini", messages=[*ASK, call])
    done = client.chat.completions.create(model="gpt-4o-mini", messages=[*ASK, call, answer])
    assert done.choices[0].message.content


@pytest.mark.parametrize("kind, error", [("rate_limit", openai.RateLimitError),
                                         ("server_error", openai.InternalServerError),
                                         ("context_length", openai.BadRequestError)])
def test_faults_apply(massgen_emulator, client, kind, error):
    massgen_emulator.fail(kind, "openai")
    with pytest.raises(error):
        client.chat.completions.create(model="gpt-4o-mini", messages=ASK)
    assert client.chat.completions.create(model="gpt-4o-mini", messages=ASK).choices


def test_a_stream_error_arrives_inside_the_stream(massgen_emulator, client):
    massgen_emulator.fail("stream_error", "openai")
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=ASK, stream=True)
    with pytest.raises(openai.APIError, match="maximum context length"):
        list(stream)


def test_the_responder_sees_chat_messages(massgen_emulator, client):
    seen = []
    massgen_emulator.responder = lambda prompt: seen.append(prompt) or Reply("ok")
    client.chat.completions.create(model="gpt-4o-mini", messages=ASK, tools=TOOLS)
    (prompt,) = seen
    assert (prompt.api, prompt.system, prompt.texts("user")) == (
        "chat_completions", "Be brief.", ["Weather in Oslo?"])
    assert set(prompt.tools) == {"weather"}
