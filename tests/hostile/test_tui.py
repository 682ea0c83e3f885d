"""The TUI shows a hostile run as text: no escape acts, no markup is read, no secret is shown."""

from __future__ import annotations

import asyncio
import html
import re

from massgen_plugins.events.classes import Classifier
from massgen_plugins.events.jsonl import read_events
from massgen_plugins.logs.files import Warnings
from massgen_plugins.tui.app import FinalAnswer, MassgenApp
from tests.hostile.hostile_run import DIR_AGENT, KEY_HALVES, ODD_AGENT, write_hostile_events
from tests.hostile.planted import EMOJI, ENV_KEY, RTL, leaks


def test_every_widget_shows_hostile_text_as_text(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_SERVICE_TOKEN", ENV_KEY)
    path = tmp_path / "events.jsonl"
    write_hostile_events(path)
    events = list(read_events(path, Warnings()))
    app = MassgenApp(Classifier())
    seen: dict[str, str] = {}

    async def go():
        async with app.run_test(size=(160, 48)) as pilot:
            for n in range(0, len(events), 7):  # in batches, as the sink delivers them
                app.apply(events[n:n + 7])
                await pilot.pause()
            app.finish(False)
            await pilot.pause(0.2)
            for agent, panel in app.panels.items():
                seen[f"head {agent}"] = str(panel.head.render())
                seen[f"text {agent}"] = panel.stream.text
            seen["votes"] = str(app.query_one("#votes").render())
            seen["screen"] = html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot()))
            await pilot.press("f")
            await pilot.pause(0.2)
            assert isinstance(app.screen, FinalAnswer)
            seen["final"] = str(app.screen.query_one("Static").render())

    asyncio.run(go())
    assert set(app.panels) == {"agent_a", DIR_AGENT, ODD_AGENT}
    for where, text in seen.items():
        assert leaks(text) == [], where
        assert KEY_HALVES[0][:12] not in text and "PLANTEDheld" not in text, where
    assert "[/bold]" in seen[f"head {ODD_AGENT}"] and "␛]0;t␇" in seen["votes"]
    text = seen["text agent_a"]
    assert "list[int]" in text and "[/bold]" in text and "␛[2J" in text
    assert EMOJI.split()[1][:2] in text and RTL.split()[0] in text
    assert "the key is ****6789" in text, "a key split across two deltas is masked whole"
    assert seen[f"text {ODD_AGENT}"].endswith("tail ****held"), "held text is shown at the end"
    assert "[/bold]" in seen["final"] and "list[int]" in seen["final"]
