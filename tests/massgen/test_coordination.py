"""The real MassGen 0.1.97 CLI runs a whole coordination against the emulator, on loopback only."""

from __future__ import annotations

from massgen_plugins.testing.massgen_driver import BACKGROUND_TOOLS, AgentSettings, MassgenDriver

AGENTS = """\
  - id: agent_a
    backend: {{type: openai, model: gpt-4o, base_url: {url}}}
  - id: agent_b
    backend: {{type: openai, model: gpt-4o-mini, base_url: {url}}}
  - id: agent_c
    backend: {{type: chatcompletion, model: gpt-4.1-mini, base_url: {url}}}
"""


def test_three_agents_over_both_apis_answer_vote_and_present(run_massgen, massgen_emulator):
    # Two agents call a local tool first, so MassGen continues one Responses chain with
    # previous_response_id and sends one Chat conversation back with the tool's output.
    first = AgentSettings(first_tool=BACKGROUND_TOOLS, first_text=500)
    massgen_emulator.responder = MassgenDriver({"gpt-4o": first, "gpt-4.1-mini": first})
    run = run_massgen(AGENTS.format(url=massgen_emulator.base_url("openai")))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.fields["WINNER"] in ("agent_a", "agent_b", "agent_c")
    assert run.fields["ANSWER_PREVIEW"].startswith("EMU-FINAL from ")
    assert "Traceback" not in run.stderr
    sent = massgen_emulator.of("openai")
    assert {r.path for r in sent} == {"/v1/responses", "/v1/chat/completions"}
    assert any(r.body.get("previous_response_id") for r in sent), "a chain was continued"
    assert any(m.get("role") == "tool" for r in sent for m in r.body.get("messages", []))
