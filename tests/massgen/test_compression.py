"""MassGen's own context recovery, with the bridge: /responses/compact first, summarization else.

Real `massgen --automation` runs against the emulator on loopback. Agents on gpt-4o (Responses)
and gpt-4.1-mini (Chat Completions) call a local tool first with a long text, so their next
request (a previous_response_id chain, or the whole Chat history) is past the window the
emulator enforces for their model: OpenAI's real context-length error, then MassGen's
recovery. gpt-4o-mini (Responses) stays small.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from massgen_plugins.testing.massgen_driver import BACKGROUND_TOOLS, AgentSettings, MassgenDriver

AGENTS = """\
  - id: agent_a
    backend: {{type: openai, model: gpt-4o, base_url: {url}}}
  - id: agent_b
    backend: {{type: openai, model: gpt-4o-mini, base_url: {url}}}
  - id: agent_c
    backend: {{type: chatcompletion, model: gpt-4.1-mini, base_url: {url}}}
"""
# The emulator is an OpenAI-compatible base URL, so compact_openai is told to claim it; this
# section is read from the run config itself (the run_config seam).
COMPACT_ON = "plugins:\n  compact_openai:\n    allow_compatible: true\n"
COMPACT_OFF = "plugins:\n  compact_openai:\n    allow_compatible: true\n    enabled: false\n"
# MassGen's first request of a round is ~3,000 tokens (its system prompt); the long text
# pushes the chain past 6,000.
WINDOW = 6000
LONG = 24_000


def overflowing(emulator):
    long_first = AgentSettings(first_tool=BACKGROUND_TOOLS, first_text=LONG)
    emulator.responder = MassgenDriver({"gpt-4o": long_first, "gpt-4.1-mini": long_first})
    emulator.windows.update({"gpt-4o": WINDOW, "gpt-4.1-mini": WINDOW})
    return AGENTS.format(url=emulator.base_url("openai"))


def compactions(emulator):
    return [r for r in emulator.of("openai") if r.path.endswith("/compact")]


def summarizer_requests(emulator, model):
    def system(r):
        body = r.body
        texts = [body.get("instructions") or ""]
        for item in body.get("input") or body.get("messages") or []:
            if isinstance(item, dict) and item.get("role") == "system":
                texts.append(str(item.get("content")))
        return " ".join(texts)
    return [r for r in emulator.of("openai") if r.body.get("model") == model
            and "You summarize conversations for context continuity" in system(r)]


def summary_json(attempt):
    out = subprocess.run([str(Path(sys.executable).parent / "massgen-plugins"), "logs", "summary",
                          str(attempt), "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["attempts"][0]


def test_responses_agents_compact_and_the_run_completes(run_massgen, massgen_emulator):
    run = run_massgen(overflowing(massgen_emulator), extra=COMPACT_ON)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.fields["WINNER"] in ("agent_a", "agent_b", "agent_c")
    assert "Traceback" not in run.stderr

    (compact,) = compactions(massgen_emulator)
    body = compact.body
    assert body["model"] == "gpt-4o", "only the Responses agent that overflowed"
    # The agent's history: MassGen chained its request after the tool call, so compaction
    # takes that server-side history (previous_response_id) plus the new tool output, with
    # MassGen's system prompt as the instructions.
    chained = [r for r in massgen_emulator.of("openai")
               if r.path == "/v1/responses" and r.body.get("previous_response_id")
               and r.body.get("model") == "gpt-4o"]
    assert body["previous_response_id"] == chained[0].body["previous_response_id"]
    assert [i["type"] for i in body["input"]] == ["function_call_output"]
    assert body["instructions"].lstrip().startswith("<system_prompt>")

    # The retry carries the compaction item verbatim and the user messages; it continues no
    # server-side chain.
    sent = massgen_emulator.of("openai")
    after = sent[sent.index(compact) + 1:]
    retry = next(r for r in after if r.path == "/v1/responses"
                 and r.body.get("model") == "gpt-4o")
    assert "previous_response_id" not in retry.body
    (answered,) = massgen_emulator.compactions
    issued = [i for i in answered if i["type"] == "compaction"]
    carried = [i for i in retry.body["input"] if i.get("type") == "compaction"]
    assert [c["encrypted_content"] for c in carried] == [c["encrypted_content"] for c in issued]
    users = [i["content"] for i in retry.body["input"] if i.get("role") == "user"]
    first = next(r for r in sent if r.body.get("model") == "gpt-4o")
    asked = [i["content"] for i in first.body["input"] if i.get("role") == "user"]
    assert users == asked and "<ORIGINAL MESSAGE>" in users[0], "no user message is lost"
    assert retry.body["input"][0]["role"] == "system"

    # The Chat Completions agent got MassGen's own summarization, never /compact.
    assert summarizer_requests(massgen_emulator, "gpt-4.1-mini")
    assert not summarizer_requests(massgen_emulator, "gpt-4o")

    # One line each, in the run's output and massgen.log, and in logs summary.
    assert "compressed agent_a's context with openai-compact" in run.stderr
    log = (run.attempt / "massgen.log").read_text()
    assert "compressed agent_a's context with openai-compact" in log
    assert "compressed agent_c's context with MassGen's summarization" in log
    methods = {(c["agent"], c["method"]) for c in summary_json(run.attempt)["compressions"]}
    assert {("agent_a", "openai-compact"), ("agent_c", "massgen-summarization")} <= methods


def test_switched_off_in_the_run_config_massgen_summarizes(run_massgen, massgen_emulator):
    run = run_massgen(overflowing(massgen_emulator), extra=COMPACT_OFF)
    assert "Traceback" not in run.stderr
    assert compactions(massgen_emulator) == []
    assert summarizer_requests(massgen_emulator, "gpt-4o"), "MassGen's summarization ran"
    log = (run.attempt / "massgen.log").read_text()
    assert "compressed agent_a's context with MassGen's summarization" in log
