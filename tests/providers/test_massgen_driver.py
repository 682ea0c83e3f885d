"""The MassGen driver's decisions, on requests shaped like those MassGen 0.1.97 sends.

The bodies are small hand-made copies of real captures: the same prompts' markers, the same
workflow tools, streamed as MassGen streams them, through the real openai SDK.
"""

from __future__ import annotations

import json
import subprocess
import sys

import openai
import pytest

from massgen_plugins.testing.massgen_driver import BACKGROUND_TOOLS, AgentSettings, MassgenDriver

SYSTEM = ("<system_prompt>\n<massgen_coordination>\nIf YES, use the `vote` tool. Otherwise, use the "
          "`new_answer` tool.\n</massgen_coordination>\n</system_prompt>")
ORIGINAL = "<ORIGINAL MESSAGE> What is 2+2? <END OF ORIGINAL MESSAGE>\n\n"
NO_ANSWERS = (ORIGINAL + "<CURRENT ANSWERS from the agents>\n(no answers available yet)\n"
              "<END OF CURRENT ANSWERS>")
TWO_ANSWERS = (ORIGINAL + "<CURRENT ANSWERS from the agents>\n"
               "<agent3.1> EMU-ANSWER from gpt-4.1-mini <end of agent3.1>\n"
               "<agent2.1> EMU-ANSWER from gpt-4o <end of agent2.1>\n<END OF CURRENT ANSWERS>")
NOTICE = ('{"success": true, "count": 0, "jobs": []}\n\n' + "=" * 60 + "\n⚠️  IMPORTANT: NEW ANSWER "
          "RECEIVED - ACTION REQUIRED\n" + "=" * 60 + "\n\n[UPDATE: agent1 (agent1.1) submitted "
          "new answer(s)]\n\nANSWER LABEL UPDATES:\n  - agent1: now available as agent1.1\n")
PRESENTER = ("You have been selected as the winning presenter in a coordination process.\nPresent "
             "the best possible coordinated answer. When you have composed your final answer, "
             "submit it using the `new_answer` tool.")
PRESENTER_USER = (ORIGINAL + 'VOTING RESULTS:\nYou received 3 vote(s)\n\nAll answers provided '
                  'during coordination:\n\nagent_a (YOUR ANSWER): "EMU-ANSWER from gpt-4o-mini"')
SUMMARIZER = ("You summarize conversations for context continuity.\n\nCRITICAL: You are "
              "summarizing an IN-PROGRESS conversation.")

NEW_ANSWER = {"name": "new_answer", "description": "Submit a new and improved answer",
              "parameters": {"type": "object", "properties": {"content": {"type": "string"}},
                             "required": ["content"]}}
BACKGROUND = {"name": BACKGROUND_TOOLS, "description": "List background jobs",
              "parameters": {"type": "object", "properties": {}}}


def vote(*agents):
    return {"name": "vote", "description": "Vote for the best agent to present final answer",
            "parameters": {"type": "object", "properties": {
                "agent_id": {"type": "string", "enum": list(agents)},
                "reason": {"type": "string"}}, "required": ["agent_id", "reason"]}}


ROUND_TOOLS = [NEW_ANSWER, vote("agent1", "agent2", "agent3"), BACKGROUND]


@pytest.fixture
def client(massgen_emulator):
    massgen_emulator.responder = MassgenDriver()
    return openai.OpenAI(base_url=massgen_emulator.base_url("openai"), api_key="test", max_retries=0)


def responses(client, system, user, tools, model="gpt-4o-mini"):
    """A streamed Responses request as MassGen sends it; the finished response."""
    events = list(client.responses.create(
        model=model, stream=True, input=[{"role": "system", "content": system},
                                         {"role": "user", "content": user}],
        tools=[{"type": "function", **t} for t in tools]))
    return events[-1].response


def chat(client, messages, tools, model="gpt-4o-mini"):
    """A streamed Chat Completions request as MassGen sends it: the text and the calls."""
    text, calls, finish = "", {}, None
    for chunk in client.chat.completions.create(
            model=model, stream=True, stream_options={"include_usage": True}, messages=messages,
            tools=[{"type": "function", "function": t} for t in tools]):
        for choice in chunk.choices:
            text += choice.delta.content or ""
            for piece in choice.delta.tool_calls or []:
                call = calls.setdefault(piece.index, {"id": piece.id, "name": "", "arguments": ""})
                call["name"] += piece.function.name or ""
                call["arguments"] += piece.function.arguments or ""
            finish = choice.finish_reason or finish
    return text, [{**c, "arguments": json.loads(c["arguments"])} for c in calls.values()], finish


def calls_of(response):
    return [(item.name, json.loads(item.arguments)) for item in response.output
            if item.type == "function_call"]


def test_first_round_answers_on_both_apis(client):
    done = responses(client, SYSTEM, NO_ANSWERS, ROUND_TOOLS)
    assert calls_of(done) == [("new_answer", {"content": "EMU-ANSWER from gpt-4o-mini"})]
    text, calls, finish = chat(client, [{"role": "system", "content": SYSTEM},
                                        {"role": "user", "content": NO_ANSWERS}], ROUND_TOOLS,
                               model="gpt-4.1-mini")
    assert (text, finish) == ("", "tool_calls")
    assert [(c["name"], c["arguments"]) for c in calls] == [
        ("new_answer", {"content": "EMU-ANSWER from gpt-4.1-mini"})]


def test_visible_answers_get_a_vote_for_the_first_enum_agent_that_has_one(client):
    done = responses(client, SYSTEM, TWO_ANSWERS, ROUND_TOOLS)
    ((name, args),) = calls_of(done)
    assert (name, args["agent_id"]) == ("vote", "agent2")
    assert args["reason"].startswith("EMU-VOTE from gpt-4o-mini")
    _, calls, _ = chat(client, [{"role": "system", "content": SYSTEM},
                                {"role": "user", "content": TWO_ANSWERS}], ROUND_TOOLS)
    assert calls[0]["name"] == "vote" and calls[0]["arguments"]["agent_id"] == "agent2"


def test_vote_only_mode_votes(client):
    done = responses(client, SYSTEM, TWO_ANSWERS, [vote("agent3")])
    assert calls_of(done)[0][1]["agent_id"] == "agent3"


def test_an_answer_announced_in_a_tool_output_is_voted_for(massgen_emulator, client):
    listed = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_9", "type": "function",
         "function": {"name": BACKGROUND_TOOLS, "arguments": "{}"}}]}
    _, calls, _ = chat(client, [{"role": "system", "content": SYSTEM},
                                {"role": "user", "content": NO_ANSWERS}, listed,
                                {"role": "tool", "tool_call_id": "call_9", "content": NOTICE}],
                       ROUND_TOOLS)
    assert calls[0]["name"] == "vote" and calls[0]["arguments"]["agent_id"] == "agent1"


def test_the_presenter_streams_the_final_answer_as_text(client):
    done = responses(client, PRESENTER, PRESENTER_USER, [NEW_ANSWER, BACKGROUND])
    assert done.output_text == "EMU-FINAL from gpt-4o-mini: EMU-ANSWER from gpt-4o-mini"
    assert calls_of(done) == []
    text, calls, finish = chat(client, [{"role": "system", "content": PRESENTER},
                                        {"role": "user", "content": PRESENTER_USER}],
                               [NEW_ANSWER, BACKGROUND])
    assert text.startswith("EMU-FINAL from gpt-4o-mini") and (calls, finish) == ([], "stop")


def test_the_summarizer_gets_a_summary(client):
    conversation = "Here is the conversation to summarize:\n\n[user]\n" + NO_ANSWERS
    done = responses(client, SUMMARIZER, conversation, [BACKGROUND])
    assert done.output_text.startswith("EMU-SUMMARY from gpt-4o-mini") and calls_of(done) == []


def test_a_request_that_is_not_massgens_gets_the_default_reply(client):
    done = client.responses.create(model="gpt-4o-mini", input="What is 2+2?")
    assert done.output_text == "Hello from the emulator."


def test_settings_per_model(massgen_emulator, client):
    massgen_emulator.responder = MassgenDriver({"gpt-4o": AgentSettings(answer="Four.")})
    assert calls_of(responses(client, SYSTEM, NO_ANSWERS, ROUND_TOOLS, model="gpt-4o")) == [
        ("new_answer", {"content": "Four."})]
    done = responses(client, PRESENTER, PRESENTER_USER, [NEW_ANSWER], model="gpt-4o")
    assert done.output_text == "EMU-FINAL from gpt-4o: Four."


def test_tool_first_grows_the_chain_until_the_window_overflows(massgen_emulator, client):
    massgen_emulator.responder = MassgenDriver(
        {"gpt-4o": AgentSettings(first_tool=BACKGROUND_TOOLS, first_text=2_000)})
    first = responses(client, SYSTEM, NO_ANSWERS, ROUND_TOOLS, model="gpt-4o")
    message, call = first.output
    assert len(message.content[0].text) == 2_000 and message.content[0].text.startswith("EMU-WORKING")
    assert (call.name, call.arguments) == (BACKGROUND_TOOLS, "{}")
    listed = [{"type": "function_call_output", "call_id": call.call_id, "output": NOTICE[:40]}]
    # Only the first request of that model: MassGen's follow-up with the tool's output answers.
    follow = client.responses.create(model="gpt-4o", previous_response_id=first.id, input=listed,
                                     tools=[{"type": "function", **t} for t in ROUND_TOOLS])
    assert calls_of(follow)[0][0] == "new_answer"
    # Every other model answers at once.
    assert calls_of(responses(client, SYSTEM, NO_ANSWERS, ROUND_TOOLS))[0][0] == "new_answer"
    massgen_emulator.windows["gpt-4o"] = first.usage.input_tokens + 100
    with pytest.raises(openai.BadRequestError, match=r"context_length_exceeded|context window"):
        client.responses.create(model="gpt-4o", previous_response_id=first.id, input=listed)


def test_the_command_line_serves_the_driver_with_windows():
    proc = subprocess.Popen([sys.executable, "-m", "massgen_plugins.testing.emulator", "--port", "0",
                             "--massgen", "--window", "gpt-4o=30", "--window", "tiny=5",
                             "--flood", "flooder=0,200,8"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="test", max_retries=0)
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": NO_ANSWERS}]
        _, calls, _ = chat(client, messages, ROUND_TOOLS)
        assert calls[0]["name"] == "new_answer"
        text, calls, _ = chat(client, messages, ROUND_TOOLS, model="flooder")
        assert len(text) == 200 and calls[0]["name"] == "new_answer"
        with pytest.raises(openai.BadRequestError, match="maximum context length is 30 tokens"):
            chat(client, messages, ROUND_TOOLS, model="gpt-4o")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_flooding_agent_reasons_and_talks_in_small_deltas(massgen_emulator, client):
    flood = AgentSettings(reasoning=400, text=300, delta=8)
    massgen_emulator.responder = MassgenDriver({"gpt-4.1-mini": flood})
    reasoning, deltas = [], []
    for chunk in client.chat.completions.create(
            model="gpt-4.1-mini", stream=True, messages=[{"role": "system", "content": SYSTEM},
                                                          {"role": "user", "content": NO_ANSWERS}],
            tools=[{"type": "function", "function": t} for t in ROUND_TOOLS]):
        for choice in chunk.choices:
            reasoning.append((choice.delta.model_extra or {}).get("reasoning_content") or "")
            deltas.append(choice.delta.content or "")
    thought, said = "".join(reasoning), "".join(deltas)
    assert len(thought) == 400 and len(said) == 300
    assert thought.startswith("Thinking 0 for it") and "\n\n" in thought, "paragraphs"
    assert said.startswith("Working 0 for gpt-4.1-mini") and said.count(".") > 3, "sentences"
    assert max(map(len, reasoning + deltas)) <= 8 and len([d for d in deltas if d]) >= 300 // 8
    # The presentation is as long, and says whose answer it is first.
    text, _, _ = chat(client, [{"role": "system", "content": PRESENTER},
                               {"role": "user", "content": PRESENTER_USER}], [NEW_ANSWER],
                      model="gpt-4.1-mini")
    assert text.startswith("EMU-FINAL from gpt-4.1-mini: EMU-ANSWER from gpt-4.1-mini\n\n")
    assert len(text) > 300
