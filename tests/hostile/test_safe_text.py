"""Text from runs, models and configs is shown as text: no escape acts, no markup is read."""

from __future__ import annotations

import io

from rich.console import Console

from massgen_plugins.safe_text import neutralise, rich_text, shown
from tests.hostile.planted import BIDI, EMOJI, ESCAPES, HOSTILE, MARKUP, RTL, leaks


def test_escape_sequences_and_controls_become_visible_text():
    assert neutralise("\x1b[2J\x1b]0;title\x07") == "␛[2J␛]0;title␇"
    assert neutralise("a\tb\r\nc\x00\x7f\x9b") == "a    b\nc␀␡\N{REPLACEMENT CHARACTER}"
    assert leaks(neutralise(ESCAPES)) == []


def test_bidi_overrides_are_neutralised_but_right_to_left_text_and_emoji_stay():
    assert leaks(neutralise(BIDI)) == []
    assert "evil" in neutralise(BIDI)
    assert neutralise(RTL) == RTL and neutralise(EMOJI) == EMOJI


def test_one_line_stays_one_line():
    assert shown("first\nsecond\u2028third") == "first␊second␊third"


def test_markup_is_printed_as_written():
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(rich_text(MARKUP))
    assert console.export_text().strip() == MARKUP


def test_everything_hostile_at_once():
    text = shown(HOSTILE)
    assert leaks(text) == [] and "[/bold]" in text and "list[int]" in text and "****" in text
