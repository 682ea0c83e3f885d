"""When an agent's context is compacted before a request: its size as the API will count it, and
the guard against compacting again and again (massgen_plugins.compression)."""

from __future__ import annotations

import openai
import pytest

from massgen_plugins.compression import MIN_GAIN, Trigger, ratios, request_tokens
from massgen_plugins.testing.replies import Call

SYSTEM = {"role": "system", "content": "You are agent_a. " * 200}
TOOLS = [{"type": "function", "name": "lookup", "description": "Look a thing up. " * 20,
          "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}]
DEFAULTS = (0.8, 0.5)


@pytest.fixture
def client(massgen_emulator):
    return openai.OpenAI(base_url=massgen_emulator.base_url("openai"), api_key="test",
                         max_retries=0)


def counted(client, **body):
    """The emulator's own count of a request's input, as /responses/input_tokens gives it."""
    return client.post("/responses/input_tokens", body=body, cast_to=object)["input_tokens"]


def test_a_chained_request_is_sized_by_the_history_the_api_reported(massgen_emulator, client):
    # MassGen sends only the new tool output after a local tool call: the 40,000 characters
    # the model wrote are in the server-side history, not in the request.
    massgen_emulator.reply("Working. " * 4_500, calls=[Call("lookup", {"q": "x"})])
    first = client.responses.create(model="gpt-4o", input=[SYSTEM, {"role": "user",
                                                                     "content": "Go."}],
                                    tools=TOOLS)
    call = first.output[-1]
    new = [{"type": "function_call_output", "call_id": call.call_id, "output": "found it"}]
    params = {"model": "gpt-4o", "input": new, "previous_response_id": first.id, "tools": TOOLS}
    history = first.usage.input_tokens + first.usage.output_tokens

    size = request_tokens(params, history)
    truth = counted(client, model="gpt-4o", input=new, previous_response_id=first.id)
    assert truth > 10_000
    assert abs(size - truth) / truth < 0.05, (size, truth)
    # Without the history's figure the size is not guessed from the few new items.
    assert request_tokens(params, None) is None


def test_a_request_that_continues_nothing_counts_its_tool_definitions_too(massgen_emulator,
                                                                         client):
    items = [SYSTEM, {"role": "user", "content": "Go."}]
    with_tools = request_tokens({"input": items, "tools": TOOLS}, None)
    without = request_tokens({"input": items}, None)
    # The API counts the tool definitions sent with a request; the emulator does not.
    truth = counted(client, model="gpt-4o", input=items)
    assert abs(without - truth) <= 0.01 * truth, (without, truth)
    assert with_tools > without + 100
    # Instructions sent beside the items count as well.
    assert request_tokens({"input": items, "instructions": "Be brief. " * 100}, None) > \
        without + 200


def test_a_request_past_the_trigger_is_compacted_and_the_next_under_it_is_not():
    trigger = Trigger(window=20_000, trigger_ratio=0.8, target_ratio=0.5)
    assert (trigger.threshold, trigger.target) == (16_000, 10_000)
    assert not trigger.due(15_000)
    assert trigger.due(17_000)
    assert trigger.measured(3_000), "the compacted request came in well under the trigger"
    assert not trigger.due(6_000)
    assert trigger.due(16_500), "a context that grew back past the trigger is compacted again"


def test_a_context_compaction_cannot_get_under_the_trigger_is_not_compacted_every_request():
    trigger = Trigger(window=20_000, trigger_ratio=0.8, target_ratio=0.5)
    attempts = 0
    # Each request ~1,000 tokens larger; every compaction leaves it past the trigger (the
    # API counts the compacted request at 17,000: long user messages kept word for word).
    for size in range(17_000, 30_000, 1_000):
        if trigger.due(size):
            attempts += 1
            trigger.measured(17_000)
    assert attempts == 1
    # A refused or failed attempt is not repeated for every later request either.
    trigger = Trigger(window=20_000, trigger_ratio=0.8, target_ratio=0.5)
    assert trigger.due(18_000)
    trigger.missed()
    assert not any(trigger.due(size) for size in (18_500, 19_000, 25_000))
    # Once a request goes out under the trigger (MassGen's reactive path compressed it, or a
    # new round started), the trigger is armed again.
    assert not trigger.due(4_000)
    assert trigger.due(18_000)


def test_the_ratios_come_from_a_plugin_then_the_config_then_the_defaults():
    assert ratios({}, None, DEFAULTS) == (0.8, 0.5, None)
    assert ratios({"trigger_ratio": 0.9}, None, DEFAULTS) == (0.9, 0.5, None)
    assert ratios({"trigger_ratio": 0.9, "target_ratio": 0.3}, {"trigger_ratio": 0.7},
                  DEFAULTS) == (0.7, 0.3, None)
    assert ratios({}, {"trigger_ratio": 1}, DEFAULTS) == (1.0, 0.5, None)


@pytest.mark.parametrize("section", [
    {"trigger_ratio": 0.55},                      # the target would free less than MIN_GAIN
    {"trigger_ratio": 0.5, "target_ratio": 0.6},  # a target above the trigger
    {"trigger_ratio": 80},                        # a percentage, not a share
    {"target_ratio": 0},
    {"trigger_ratio": True},
])
def test_ratios_that_would_compact_again_at_once_are_one_warning_and_the_defaults(section):
    trigger, target, warning = ratios(section, None, DEFAULTS)
    assert (trigger, target) == DEFAULTS
    assert warning is not None and "using 0.8 and 0.5" in warning
    assert f"at least {MIN_GAIN:g} below the trigger" in warning
    assert repr(section.get("trigger_ratio", 0.8)) in warning


def test_settings_of_the_retired_chat_still_load_with_one_warning_each(cli, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("compression:\n  trigger_ratio: 0.85\n  max_consecutive: 3\n"
                           "  keep_ratio: 0.2\n")
    result = cli("config", "show")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(f"massgen-plugins: warning: {user_config}:3: "
                               "compression.max_consecutive: no longer used (")
    assert lines[1].startswith(f"massgen-plugins: warning: {user_config}:4: "
                               "compression.keep_ratio: no longer used (")
    assert all(line.endswith("; remove it") for line in lines)
    assert "trigger_ratio" in result.stdout and "0.85" in result.stdout
