"""The bridge's check before each Responses request (seam `compression`), outside MassGen.

The wrapper the bridge puts on MassGen's `ResponseBackend._create_response_stream` is called
here as MassGen calls it, with a real openai SDK client against the emulator and the real
compact_openai plugin through the Host. Only MassGen's backend is stood in for, by a class of
the same name holding what the bridge reads of it. tests/massgen/test_proactive.py runs the
same path inside real MassGen.
"""

from __future__ import annotations

import asyncio
import os

import openai
import pytest

from massgen_plugins.bridge import compression, runtime
from massgen_plugins.host import Host

WINDOW = 10_000  # the trigger at the default 0.8: 8,000 tokens
SYSTEM = {"role": "system", "content": "You are agent_a."}
# A user message compaction keeps word for word: ~9,000 tokens, past the trigger, and the
# compacted context is no smaller.
LONG = {"role": "user", "content": "Read this through. " * 1_900}


class ResponseBackend:
    """What the bridge reads of MassGen's Responses backend (it knows it by its class name)."""

    def __init__(self, url: str) -> None:
        self.config = {"model": "gpt-4o", "base_url": url, "agent_id": "agent_a"}
        self.api_key = "sk-test-0000000000000000"
        self.client = openai.AsyncOpenAI(base_url=url, api_key=self.api_key, max_retries=0)

    async def _create_response_stream(self, api_params):
        return await self.client.responses.create(**api_params, stream=True)


@pytest.fixture
def agent(massgen_emulator, home, user_config, monkeypatch):
    """Send one request as MassGen would, through the bridge's wrapper; its response id back."""
    user_config.parent.mkdir(parents=True)
    user_config.write_text("plugins:\n  compact_openai:\n    allow_compatible: true\n"
                           f"model_catalog:\n  openai/gpt-4o: {{context_window: {WINDOW}}}\n")
    host = Host.create(environ={**os.environ, "MASSGEN_LOAD_PLUGINS": "compact_openai"})
    monkeypatch.setattr(runtime.BRIDGE, "_host", host)
    backend = ResponseBackend(massgen_emulator.base_url("openai"))

    def send(items, previous=None):
        params = {"model": "gpt-4o", "input": items}
        if previous is not None:
            params["previous_response_id"] = previous

        async def go():
            # As wrapt calls a wrapper: the bound method, its instance, the arguments.
            stream = await compression._on_request(backend._create_response_stream, backend,
                                                   (params,), {})
            done = None
            async for event in stream:
                if event.type == "response.completed":
                    done = event.response.id
            return done

        massgen_emulator.reply("Noted.")
        return asyncio.run(go())

    return send


def compacts(emulator):
    return [r for r in emulator.requests if r.path.endswith("/compact")]


def test_a_context_compaction_cannot_shrink_is_not_compacted_before_every_request(
        agent, massgen_emulator, capsys):
    first = agent([SYSTEM, LONG])
    # Past the trigger: compacted first, but the result kept the long message, so it was
    # refused and the request went as MassGen built it.
    assert len(compacts(massgen_emulator)) == 1
    sent = [r for r in massgen_emulator.requests if r.path == "/v1/responses"]
    assert sent[-1].body["input"][1]["content"] == LONG["content"]
    said = capsys.readouterr().err
    assert "compress_context (openai-compact) was refused for agent_a before its request" in said
    assert "it goes as MassGen built it" in said

    # The agent goes on past the trigger, request after request: not compacted again.
    previous = first
    for n in range(3):
        previous = agent([{"role": "user", "content": f"And step {n}?"}], previous)
        assert previous is not None, "each request went out and was answered"
    assert len(compacts(massgen_emulator)) == 1

    # A request under the trigger (a new round, say) arms it again: the next one past it is
    # compacted first once more.
    agent([SYSTEM, {"role": "user", "content": "A new round."}])
    agent([SYSTEM, LONG])
    assert len(compacts(massgen_emulator)) == 2
