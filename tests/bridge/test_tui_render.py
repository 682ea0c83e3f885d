"""How merged deltas are joined for MassGen's TUI, with a stand-in for MassGen's cleaning.

The real cleaning (MassGen's ContentProcessor) is exercised in tests/massgen/test_tui.py; here
a cleaning of the same shape (each text delta stripped and dropped under two characters, as
MassGen 0.1.97 does) shows the rules: merge where the join shows what the parts show, split
where it would not, and never lose what a part shows.
"""

from __future__ import annotations

import pytest

from massgen_plugins.bridge import tui_render
from massgen_plugins.bridge.tui_render import MassgenTuiClassifier, _groups
from massgen_plugins.events.model import Event


def stripped(text: str) -> str | None:
    """A text delta as MassGen shows it: stripped, nothing under two characters."""
    text = text.strip()
    return text if len(text) >= 2 else None


def marker_free(text: str) -> str:
    """The card drops a marker; a join that forms one must not be sent."""
    return text.replace("[X]", "")


def shows(parts: list[str]) -> str:
    """What MassGen shows for these deltas one by one."""
    return "".join(marker_free(s) for s in map(stripped, parts) if s is not None)


@pytest.mark.parametrize("parts", [
    ["Hello ", "world", " ", "a", ".\n\n", "Next ", "line"],
    ["Care", "fully ", "and", " then"],
    ["[", "X]", " kept"],
    ["  ", " "],
    ["only one "],
])
def test_merged_deltas_show_what_the_deltas_show_one_by_one(parts):
    merged = _groups(parts, stripped, marker_free)
    assert shows([content for content, _ in merged]) == shows(parts)
    assert 1 <= len(merged) <= len(parts)
    # Each result stands for the parts it shows (and those after it that show nothing), so
    # whoever delivers them knows which parts are on screen once it is.
    assert sum(count for _, count in merged) == len(parts) and all(n >= 1 for _, n in merged)
    end = 0
    for i, (_, count) in enumerate(merged):
        end += count
        assert shows(parts[:end]) == shows([content for content, _ in merged[:i + 1]])


def test_a_join_is_one_event_when_it_shows_the_same_and_apart_where_it_would_not():
    assert _groups(["Hello ", "world", " again"], stripped, marker_free) == [
        ("Helloworldagain", 3)]
    # "[" and "X]" would form a marker the card removes: the first stays apart.
    assert _groups(["ok [", "X] done"], stripped, marker_free) == [("ok [", 1), ("X] done", 1)]
    # A part on its own is sent as it came; a part that shows nothing counts with the one before.
    assert _groups([" lone ", " "], stripped, marker_free) == [(" lone ", 2)]


def test_deltas_that_show_nothing_keep_one_part_for_massgens_tool_batching():
    assert _groups(["", " ", "\n"], stripped, marker_free) == [(" ", 3)]


def event(kind: str, agent: str = "agent_a", **data: object) -> Event:
    return Event("2026-11-28T12:00:00", kind, agent, 0, data)


@pytest.fixture
def vocabulary(monkeypatch):
    def cleaning():
        return (lambda ev, content: stripped(content)), marker_free

    monkeypatch.setattr(tui_render, "_massgen_cleaning", cleaning)
    return MassgenTuiClassifier()


def test_massgens_vocabulary_classes_and_joins(vocabulary):
    assert vocabulary.of(event("status", message="x")) == "critical", "each line shows"
    assert vocabulary.of(event("thinking", content="", done=True)) == "critical"
    assert vocabulary.join(event("text"), ["ab ", "cd"]) == [("abcd", 2)]
    # Presentation chunks: MassGen's TUI does not show their content.
    assert vocabulary.join(event("final_presentation_chunk"), ["ab ", "cd"]) == [("ab cd", 2)]


def test_the_presenters_text_is_not_merged_until_its_final_answer(vocabulary):
    for kind in ("presentation_start", "final_presentation_start", "winner_selected"):
        vocabulary.before(event(kind))
        assert vocabulary.join(event("text"), ["ab ", "cd"]) == [("ab ", 1), ("cd", 1)]
        assert vocabulary.join(event("text", "agent_b"), ["ab ", "cd"]) == [("abcd", 2)]
        assert vocabulary.join(event("thinking"), ["ab ", "cd"]) == [("abcd", 2)]
        vocabulary.after(event("final_answer", content="the answer"))
        assert vocabulary.join(event("text"), ["ab ", "cd"]) == [("abcd", 2)]
    vocabulary.before(event("final_presentation_start"))
    vocabulary.new_turn()
    assert vocabulary.join(event("text"), ["ab ", "cd"]) == [("abcd", 2)]


def test_without_massgens_cleaning_deltas_are_paced_but_never_merged(monkeypatch):
    def missing():
        raise ImportError("a MassGen without ContentProcessor")

    monkeypatch.setattr(tui_render, "_massgen_cleaning", missing)
    vocabulary = MassgenTuiClassifier()
    assert vocabulary.join(event("text"), ["ab ", "cd"]) == [("ab ", 1), ("cd", 1)]
    assert vocabulary.join(event("thinking"), ["ab ", "cd"]) == [("ab ", 1), ("cd", 1)]
