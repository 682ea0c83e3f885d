"""The real MassGen 0.1.97 CLI runs a whole coordination against the emulator, on loopback only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from massgen_plugins.testing.massgen_driver import BACKGROUND_TOOLS, AgentSettings, MassgenDriver

CONFIG = """\
agents:
  - id: agent_a
    backend: {{type: openai, model: gpt-4o, base_url: {url}}}
  - id: agent_b
    backend: {{type: openai, model: gpt-4o-mini, base_url: {url}}}
  - id: agent_c
    backend: {{type: chatcompletion, model: gpt-4.1-mini, base_url: {url}}}
orchestrator:
  max_new_answers_per_agent: 2
  coordination:
    enable_subagents: false
    enable_changedoc: false
    persona_generator: {{enabled: false}}
timeout_settings:
  orchestrator_timeout_seconds: 120
"""
# MassGen fetches litellm's price list from the internet: every proxy points at a closed
# loopback port, and only the emulator is exempt. No api_key: in the config (0.1.97 crashes on it).
LOOPBACK_ONLY = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
                 "ALL_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost",
                 "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENAI_API_KEY": "test"}


def test_three_agents_over_both_apis_answer_vote_and_present(real_massgen, home, massgen_emulator):
    # Two agents call a local tool first, so MassGen continues one Responses chain with
    # previous_response_id and sends one Chat conversation back with the tool's output.
    first = AgentSettings(first_tool=BACKGROUND_TOOLS, first_text=500)
    massgen_emulator.responder = MassgenDriver({"gpt-4o": first, "gpt-4.1-mini": first})
    config = home / "work" / "run.yaml"
    config.write_text(CONFIG.format(url=massgen_emulator.base_url("openai")), encoding="utf-8")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "massgen"), "--automation", "--no-session-registry",
         "--config", str(config), "What is 2+2?"],
        capture_output=True, text=True, timeout=300, cwd=home / "work",
        env={**{k: v for k, v in os.environ.items() if k.upper() not in LOOPBACK_ONLY},
             **LOOPBACK_ONLY})
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    assert lines["WINNER"] in ("agent_a", "agent_b", "agent_c")
    assert lines["ANSWER_PREVIEW"].startswith("EMU-FINAL from ")
    assert "Traceback" not in result.stderr
    sent = massgen_emulator.of("openai")
    assert {r.path for r in sent} == {"/v1/responses", "/v1/chat/completions"}
    assert any(r.body.get("previous_response_id") for r in sent), "a chain was continued"
    assert any(m.get("role") == "tool" for r in sent for m in r.body.get("messages", []))
