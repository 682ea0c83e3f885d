"""`massgen-plugins chat --tui`: the chat is a live producer through the same sink chain (throttle on)."""

from __future__ import annotations

import asyncio

from massgen_plugins.conversation import Conversation, Transcript
from massgen_plugins.events.classes import Classifier
from massgen_plugins.host import Host
from massgen_plugins.providers.registry import make_provider
from massgen_plugins.tui.chat import ChatApp


def test_chat_streams_into_the_tui_through_the_throttle(massgen_emulator, home, tmp_path):
    env = {"OPENAI_API_KEY": "k-test-000000", "OPENAI_BASE_URL": massgen_emulator.base_url("openai")}
    conv = Conversation(make_provider("openai", environ=env), "gpt-5", 400_000,
                        Transcript(tmp_path / "chat.jsonl"))
    host = Host.create(environ={"MASSGEN_LOAD_PLUGINS": "tui_throttle"})
    massgen_emulator.reply("Paris is the capital.", chunks=6)
    app = ChatApp(conv, host, Classifier())

    async def go():
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press(*"capital of France?", "enter")
            for _ in range(200):
                await pilot.pause(0.05)
                view = app.view.agents.get("assistant")
                if view and view.answers:
                    break
            await pilot.press(*"/compact", "enter")
            for _ in range(200):
                await pilot.pause(0.05)
                if conv.records:
                    break
            await pilot.pause(0.5)

    asyncio.run(go())
    assert app.view.agents["you"].transcript == "capital of France?\n"
    assert app.view.agents["assistant"].transcript == "Paris is the capital.\n"
    assert type(app.chain).__name__ == "ThrottleSink"
    assert conv.records and "compressed (manual" in app.view.system
    kinds = [r["kind"] for r in conv.transcript.records()]
    assert kinds == ["item", "item", "compression"]
