"""Compaction before the overflow, inside real MassGen: no request refused as too long.

Real `massgen --automation` runs against the emulator on loopback, as in test_compression.py:
agent_a (gpt-4o, Responses) calls a local tool first with a long text, so the request MassGen
chains after it (previous_response_id) is past the 20,000-token window the emulator enforces.
The run config gives the bridge that window (`model_catalog`); the trigger is the default
(80% of it). With the trigger, that request is compacted before it goes out; without it, the
API refuses it first and MassGen's reactive path recovers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from massgen_plugins.testing.massgen_driver import (
    BACKGROUND_TOOLS,
    SUMMARIZER,
    AgentSettings,
    MassgenDriver,
)
from tests.massgen.test_compression import (
    AGENTS,
    COMPACT_OFF,
    COMPACT_ON,
    compactions,
    summarizer_requests,
    summary_json,
)
from tests.massgen.test_safety import finished, hook_plugin, ours

WINDOW = 20_000
LONG = 80_000  # ~20,000 tokens of text: MassGen's chained request comes to ~22,700
CATALOG = f"model_catalog:\n  openai/gpt-4o: {{context_window: {WINDOW}}}\n"
PROACTIVE_LINE = ("compressed agent_a's context with openai-compact before its request, past the "
                  "trigger (16,000 of a 20,000-token window)")


def overflowing(emulator) -> str:
    """The agents, of which only agent_a would overflow its window."""
    emulator.responder = MassgenDriver(
        {"gpt-4o": AgentSettings(first_tool=BACKGROUND_TOOLS, first_text=LONG)})
    emulator.windows["gpt-4o"] = WINDOW
    return AGENTS.format(url=emulator.base_url("openai"))


def responses(emulator, model: str = "gpt-4o") -> list:
    return [r for r in emulator.of("openai") if r.path == "/v1/responses"
            and r.body.get("model") == model]


def chained_after_the_tool(emulator):
    """agent_a's request that continues its first response (the one past the window)."""
    return next(r for r in responses(emulator) if r.body.get("previous_response_id"))


def test_an_agent_about_to_overflow_is_compacted_first_and_nothing_is_refused(
        run_massgen, massgen_emulator):
    run = run_massgen(overflowing(massgen_emulator), extra=COMPACT_ON + CATALOG)
    log = finished(run)
    assert massgen_emulator.refused == [], "no request was refused as too long"
    assert "Context length exceeded" not in log, "MassGen's reactive path never ran"
    assert not summarizer_requests(massgen_emulator, "gpt-4o")

    # The compaction took the server-side history MassGen's request would have continued,
    # and that request never went out: the compacted one went instead.
    (compact,) = compactions(massgen_emulator)
    chain = compact.body["previous_response_id"]
    assert [i["type"] for i in compact.body["input"]] == ["function_call_output"]
    assert not [r for r in responses(massgen_emulator)
                if r.body.get("previous_response_id") == chain]
    sent = massgen_emulator.of("openai")
    instead = next(r for r in sent[sent.index(compact) + 1:] if r in responses(massgen_emulator))
    assert "previous_response_id" not in instead.body
    (answered,) = massgen_emulator.compactions
    assert [i["encrypted_content"] for i in instead.body["input"] if i.get("type") == "compaction"] \
        == [i["encrypted_content"] for i in answered if i["type"] == "compaction"]
    assert instead.body["input"][0]["role"] == "system"
    asked = [i["content"] for i in responses(massgen_emulator)[0].body["input"]
             if i.get("role") == "user"]
    assert [i["content"] for i in instead.body["input"] if i.get("role") == "user"] == asked
    assert instead.body["tools"], "MassGen's tools go out with the compacted request"

    # One line in the output and massgen.log; logs summary shows why it ran.
    ours(run, log, PROACTIVE_LINE)
    records = [c for c in summary_json(run.attempt)["compressions"] if c["agent"] == "agent_a"]
    assert [(c["method"], c["reason"], c["ok"]) for c in records] == [
        ("openai-compact", "proactive", True)]
    human = subprocess.run([str(Path(sys.executable).parent / "massgen-plugins"), "logs",
                            "summary", str(run.attempt)], capture_output=True, text=True,
                           timeout=120, env={"COLUMNS": "200", "PATH": ""})
    row = next(line for line in human.stdout.splitlines() if "openai-compact" in line)
    assert "agent_a" in row and "proactive" in row


def test_with_the_trigger_off_the_api_refuses_first_and_compaction_recovers(
        run_massgen, massgen_emulator):
    run = run_massgen(overflowing(massgen_emulator),
                      extra=COMPACT_ON + CATALOG + "compression:\n  proactive: false\n")
    log = finished(run)
    (refused,) = massgen_emulator.refused
    assert refused is chained_after_the_tool(massgen_emulator)
    assert "Context length exceeded" in log
    (compact,) = compactions(massgen_emulator)
    assert compact.body["previous_response_id"] == refused.body["previous_response_id"]
    ours(run, log, "compressed agent_a's context with openai-compact: the server-side history")
    assert "before its request" not in run.stderr
    records = [c for c in summary_json(run.attempt)["compressions"] if c["agent"] == "agent_a"]
    assert [(c["method"], c["reason"], c["ok"]) for c in records] == [
        ("openai-compact", "reactive", True)]


PLUGINS = {
    "raises": ("raise RuntimeError('compactor down')", "",
               "plugin 'flaky': hook compress_context raised RuntimeError: compactor down"),
    "declines": ("return None", "", None),
    "hangs": ("time.sleep(3600)", "deadlines: {compress_context: 2}\n",
              "plugin 'flaky': hook compress_context did not return within 2 s; not asked "
              "again in this process"),
}


@pytest.mark.parametrize("behaviour", list(PLUGINS))
def test_a_plugin_that_fails_before_the_request_leaves_it_as_massgen_built_it(
        run_massgen, massgen_emulator, make_plugin, behaviour):
    body, extra, said = PLUGINS[behaviour]
    make_plugin("flaky", hook_plugin(body))
    run = run_massgen(overflowing(massgen_emulator), extra=COMPACT_OFF + CATALOG + extra)
    log = finished(run)
    # The request went as MassGen built it (the tool output after its chain), the API refused
    # it, and MassGen's own reactive path took over, as without the bridge. (Its summarizer's
    # own request may be refused too: MassGen sizes it for the 128,000 tokens it believes
    # gpt-4o has.)
    refused = massgen_emulator.refused
    assert refused[0] is chained_after_the_tool(massgen_emulator)
    assert [i["type"] for i in refused[0].body["input"]] == ["function_call_output"]
    assert all(r.body.get("previous_response_id") or SUMMARIZER in json.dumps(r.body)
               for r in refused)
    assert compactions(massgen_emulator) == []
    assert summarizer_requests(massgen_emulator, "gpt-4o"), "MassGen's summarization ran"
    assert "compressed agent_a's context with MassGen's summarization" in log
    if said is not None:
        ours(run, log, f"{said}; the request goes as MassGen built it")
    else:
        assert "massgen-plugins: warning" not in run.stderr


def test_a_continued_session_works_after_a_compaction_in_each_turn(run_massgen, massgen_emulator,
                                                                   home):
    agents = overflowing(massgen_emulator)
    first = run_massgen(agents, extra=COMPACT_ON + CATALOG, flags=())
    finished(first)
    turn_one = list(massgen_emulator.requests)
    issued_before = [i["encrypted_content"] for out in massgen_emulator.compactions
                     for i in out if i["type"] == "compaction"]
    assert len(issued_before) == 1
    sessions = home / "work" / ".massgen" / "sessions"
    (answer,) = sessions.glob("*/turn_1/answer.txt")

    # Turn 2 in a new process, with the same emulator: agent_a overflows again.
    overflowing(massgen_emulator)
    second = run_massgen(agents, question="And what is 3+3?", extra=COMPACT_ON + CATALOG,
                         flags=("--continue",))
    assert "Traceback" not in second.stderr
    # MassGen 0.1.97 ends every --continue turn with this error and exit 1, the turn done.
    assert second.returncode == 0 or "too many values to unpack" in second.stdout
    assert second.fields.get("WINNER") == "agent_a"
    assert list(sessions.glob("*/turn_2/answer.txt")), "turn 2 has its final answer"
    assert massgen_emulator.refused == []

    turn_two = massgen_emulator.requests[len(turn_one):]
    opening = next(r for r in turn_two if r.path == "/v1/responses"
                   and r.body.get("model") == "gpt-4o")
    # What MassGen carries into the next turn: the question and the final answer, as text.
    # It keeps no agent's items: neither turn 1's compaction item nor its server-side chain.
    text = json.dumps(opening.body["input"])
    assert "What is 2+2?" in text and json.dumps(answer.read_text().strip())[1:-1] in text
    assert "previous_response_id" not in opening.body
    assert not any(token in json.dumps(r.body) for r in turn_two for token in issued_before)
    # Turn 2's own compaction went out before its request, and its item was accepted.
    (compact,) = [r for r in turn_two if r.path.endswith("/compact")]
    instead = next(r for r in turn_two[turn_two.index(compact) + 1:]
                   if r.path == "/v1/responses" and r.body.get("model") == "gpt-4o")
    carried = [i["encrypted_content"] for i in instead.body["input"] if i.get("type") == "compaction"]
    assert carried == [i["encrypted_content"] for i in massgen_emulator.compactions[-1]
                       if i["type"] == "compaction"]
    assert PROACTIVE_LINE in second.stderr
