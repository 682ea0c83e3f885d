"""The agent panel's text view: wrapping as text streams in, following the end, resizing."""

from __future__ import annotations

import asyncio
import random

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult

from massgen_plugins.tui.stream_view import StreamView, clean, wrap_rows

WORDS = ["a", "token", "streaming", "x" * 31, "界面", "→", "supercalifragilistic", "  ", " "]


def random_text(rng: random.Random, words: int) -> str:
    return "".join(rng.choice(WORDS) + rng.choice(["", " ", " ", "  ", "\n"])
                   for _ in range(words))


@pytest.mark.parametrize("width", [1, 2, 7, 30, 80])
def test_streamed_text_wraps_exactly_as_the_whole_text_would(width):
    rng = random.Random(width)
    for _ in range(40):
        line = random_text(rng, 60).replace("\n", " ")
        whole = wrap_rows(line, width)
        assert "".join(whole) == line, "wrapping never loses or adds a character"
        for row in whole:
            visible = row.rstrip()
            assert cell_len(visible) <= width or len(visible) == 1, (row, width)
        rows = [""]
        at = 0
        while at < len(line):  # as StreamView.write does: rewrap only the last row
            step = rng.randint(1, 9)
            rows[-1:] = wrap_rows(rows[-1] + line[at:at + step], width)
            at += step
        assert rows == whole


def test_words_break_after_spaces_and_long_words_are_cut():
    assert wrap_rows("the quick brown fox", 10) == ["the quick ", "brown fox"]
    assert wrap_rows("ab " + "x" * 12, 5) == ["ab ", "xxxxx", "xxxxx", "xx"]
    assert wrap_rows("界面界面界", 4) == ["界面", "界面", "界"]


def test_control_characters_cannot_reach_the_terminal():
    assert clean("a\tb\r\n\x1b[31mred") == "a    b\n␛[31mred"
    assert clean("plain text") == "plain text"


class ViewApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StreamView(max_rows=200)


def run(size, steps):
    async def main():
        app = ViewApp()
        async with app.run_test(size=size) as pilot:
            view = app.query_one(StreamView)
            await pilot.pause()
            await steps(pilot, view)

    asyncio.run(main())


def test_a_long_line_wraps_to_the_panel_and_the_view_follows_the_end():
    async def steps(pilot, view):
        width = view.scrollable_content_region.width
        for n in range(400):
            view.write(f"tok{n} ")
        await pilot.pause()
        assert len(view.rows) > 20
        assert all(cell_len(row.rstrip()) <= width for row in view.rows)
        assert view.scroll_offset.y == view.max_scroll_y > 0, "the newest text is on screen"
        last_row = view.render_line(view.size.height - 1).text
        assert "tok399" in last_row
        assert view.text == "".join(f"tok{n} " for n in range(400))

    run((40, 12), steps)


def test_a_reader_who_scrolled_up_is_not_pulled_back_down():
    async def steps(pilot, view):
        view.write("\n".join(f"line {n}" for n in range(50)))
        await pilot.pause()
        view.scroll_to(y=5, animate=False, immediate=True)
        top = view.render_line(0).text
        view.write("\nmore\nand more")
        await pilot.pause()
        assert view.scroll_offset.y == 5 and view.render_line(0).text == top
        view.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        view.write("\nnewest")
        await pilot.pause()
        assert view.scroll_offset.y == view.max_scroll_y
        assert view.render_line(view.size.height - 1).text.strip() == "newest"

    run((40, 12), steps)


def test_resizing_rewraps_everything_and_keeps_the_text():
    async def steps(pilot, view):
        text = "word " * 300 + "\nend"
        view.write(text)
        await pilot.pause()
        narrow = len(view.rows)
        await pilot.resize_terminal(100, 12)
        await pilot.pause()
        assert len(view.rows) < narrow
        assert all(cell_len(r.rstrip()) <= view.scrollable_content_region.width
                   for r in view.rows)
        assert view.text == text
        assert view.render_line(view.size.height - 1).text.strip() == "end"

    run((40, 12), steps)


def test_old_lines_are_dropped_beyond_max_rows_and_the_newest_kept():
    async def steps(pilot, view):
        for n in range(1000):
            view.write(f"line {n}\n")
        await pilot.pause()
        assert 150 <= len(view.rows) <= 200
        first = int(view.text.split("\n", 1)[0].split()[1])
        assert 800 <= first < 860 and view.text.endswith("line 999\n")
        assert view.render_line(view.size.height - 2).text.strip() == "line 999"

    run((40, 12), steps)


def test_a_reader_scrolled_up_is_told_how_much_is_below():
    async def steps(pilot, view):
        view.write("\n".join(f"line {n}" for n in range(50)))
        await pilot.pause()
        assert "more row" not in view.render_line(view.size.height - 1).text
        view.scroll_to(y=10, animate=False, immediate=True)
        await pilot.pause()
        below = 50 - (10 + view.size.height)
        assert f"↓ {below} more rows" in view.render_line(view.size.height - 1).text
        view.write("\nanother")
        await pilot.pause()
        assert f"↓ {below + 1} more rows" in view.render_line(view.size.height - 1).text
        await pilot.press("end")
        await pilot.pause()
        assert view.render_line(view.size.height - 1).text.strip() == "another"

    run((40, 12), steps)


def test_agent_panels_wrap_and_follow_the_newest_text():
    from massgen_plugins.events.classes import Classifier
    from massgen_plugins.events.model import Event
    from massgen_plugins.tui.app import MassgenApp

    async def main():
        app = MassgenApp(Classifier())
        async with app.run_test(size=(120, 30)) as pilot:
            # The first batch arrives before the panel is laid out; later ones after.
            for start in (0, 1000):
                app.apply([Event("2026-01-01T12:00:00", "text", agent, 0, {"content": f"tok{n} "})
                           for n in range(start, start + 1000) for agent in ("agent_a", "agent_b")])
                await pilot.pause()
            for agent in ("agent_a", "agent_b"):
                view = app.panels[agent].stream
                assert view.max_scroll_y > 0 and view.scroll_offset.y == view.max_scroll_y
                assert "tok1999" in view.render_line(view.size.height - 1).text
                assert all(cell_len(row.rstrip()) <= view.size.width for row in view.rows)
                assert view.text == "".join(f"tok{n} " for n in range(2000))

    asyncio.run(main())


def test_one_endless_line_is_bounded_too():
    async def steps(pilot, view):
        for n in range(5000):
            view.write(f"tok{n} ")
        await pilot.pause()
        assert len(view.rows) <= 200
        assert view.text.endswith("tok4999 ") and len(view.text) <= 200 * 41
        assert "tok4999" in view.render_line(view.size.height - 1).text
        await pilot.resize_terminal(60, 12)
        await pilot.pause()
        assert view.text.endswith("tok4999 ") and len(view.rows) <= 200

    run((40, 12), steps)
