"""MassGen's TUI as a sink chain sees it: event classes, and joins that show the same text.

MassGen 0.1.97's TUI cleans each streamed delta on its own before it appends it to the open
card: a `text` delta is normalized (stripped, dropped under two characters, JSON noise and
workspace lines removed), a whitespace-only `thinking` delta is dropped, runs of three or more
newlines are cut to two, reasoning markers are removed. Delivered one by one, "Hello " and
"world" show as "Helloworld"; a plain concatenation would show "Hello world". So a merge here
is what MassGen itself makes of each part, concatenated, and only where MassGen shows that
concatenation unchanged (cleaning it again changes nothing); where it would not, the merge is
split, and a part that stands alone is sent as it came. The cleaning is MassGen's own code,
called here; were any of it missing, deltas would not be merged at all, only paced.

While an agent presents the final answer, MassGen keeps its last `text` delta as the answer
in case the `final_answer` event never comes: that agent's text is not merged then.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

from massgen_plugins.events.classes import MASSGEN_TUI_CLASSES, Classifier

# The deltas MassGen's TUI cleans one by one before appending them to a card.
CLEANED = ("text", "thinking", "post_evaluation")
# From the event that starts an agent's final presentation until its final_answer, MassGen
# keeps each text delta of that agent as the answer (tui_event_pipeline, _apply_output).
PRESENTING = ("presentation_start", "final_presentation_start", "winner_selected")
_NEWLINES = re.compile(r"\n{3,}")  # TimelineSection.add_text keeps at most two newlines


class MassgenTuiClassifier(Classifier):
    """The classes of MassGen's events for its Textual TUI, and joins it shows unchanged."""

    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        """MASSGEN_TUI_CLASSES with `overrides`; MassGen's cleaning is looked up on first use."""
        super().__init__(overrides, defaults=MASSGEN_TUI_CLASSES)
        self.presenting: set[str | None] = set()
        self._lock = threading.Lock()
        self._cleaning: tuple[Callable[[Any, str], str | None], Callable[[str], str]] | None = None
        self._ready = False

    # -- what the bridge tells it, in the order MassGen's TUI receives the events ---------

    def before(self, event: Any) -> None:
        """Note an event before it enters the chain: an agent starting its presentation."""
        if event.event_type in PRESENTING:
            self.presenting.add(event.agent_id)

    def after(self, event: Any) -> None:
        """Note an event once the chain took it: a final answer ends its agent's presentation."""
        if event.event_type == "final_answer":
            # Its deltas before it were flushed (joined) as it went through: merging is safe again.
            self.presenting.discard(event.agent_id)

    def new_turn(self) -> None:
        """MassGen resets every panel for a new turn."""
        self.presenting.clear()

    # -- joins ------------------------------------------------------------------------------

    def join(self, event: Any, parts: Sequence[str]) -> list[tuple[str, int]]:
        """The parts as MassGen shows them: merged where that shows the same, else apart."""
        if event.event_type not in CLEANED:
            # Presentation chunks: the TUI does not show their content.
            return [("".join(parts), len(parts))]
        cleaning = None if event.event_type == "text" and event.agent_id in self.presenting \
            else self._load()
        if cleaning is None:
            return [(part, 1) for part in parts]
        shown, card = cleaning
        return _groups(parts, lambda part: shown(event, part), card)

    def _load(self) -> tuple[Callable[[Any, str], str | None], Callable[[str], str]] | None:
        """MassGen's own cleaning functions; None when this MassGen lacks one of them."""
        with self._lock:
            if not self._ready:
                self._ready = True
                try:
                    self._cleaning = _massgen_cleaning()
                except Exception:
                    self._cleaning = None
            return self._cleaning


def _massgen_cleaning() -> tuple[Callable[[Any, str], str | None], Callable[[str], str]]:
    """What MassGen appends to a card for one delta, and what the card keeps of a text."""
    from massgen.events import MassGenEvent
    from massgen.frontend.displays.content_processor import ContentProcessor
    from massgen.frontend.displays.textual_widgets.collapsible_text_card import (
        CollapsibleTextCard,
    )
    from massgen.frontend.displays.tui_event_pipeline import _sanitize_textual_retry_text

    processor = ContentProcessor()  # our own: its state (tool batching) is never read
    lock = threading.Lock()

    def shown(event: Any, content: str) -> str | None:
        """The text MassGen's adapter hands the timeline for this delta, or None for nothing."""
        data = {**event.data, "content": content}
        massgen_event = MassGenEvent(timestamp=event.timestamp, event_type=event.event_type,
                                     agent_id=event.agent_id, round_number=event.round_number or 0,
                                     data=data)
        with lock:
            output = processor.process_event(massgen_event, 1)
        if output is None or isinstance(output, list):
            return None
        if output.output_type not in ("text", "thinking") or not output.text_content:
            return None
        text = _NEWLINES.sub("\n\n", _sanitize_textual_retry_text(output.text_content))
        return text if text.strip() else None

    return shown, CollapsibleTextCard._clean_content


def _groups(parts: Sequence[str], shown: Callable[[str], str | None],
            card: Callable[[str], str]) -> list[tuple[str, int]]:
    """Consecutive parts joined where MassGen shows the join as it shows them one by one.

    One by one, MassGen appends card(shown(part)) for each part that shows. A join of those
    texts shows the same when the card keeps each of them whole and MassGen's cleaning of the
    join gives the join back: it is cleaned again when it arrives. Each result comes with how
    many parts it stands for; a part that shows nothing counts with the result before it (or
    the first, at the start).
    """
    def whole(text: str) -> bool:
        return card(text) == text

    def same(text: str) -> bool:
        return shown(text) == text and whole(text)

    rendered = [shown(p) for p in parts]
    texts = [t for t in rendered if t is not None]
    if len(texts) > 1 and all(whole(t) for t in texts) and same("".join(texts)):
        return [("".join(texts), len(parts))]
    out: list[tuple[str, int]] = []
    group: list[str] = []
    first = ""  # the part as it came, for a group of one
    taken = [0]  # parts the results so far stand for

    def close(end: int) -> None:
        """End the open group: it stands for the parts before index `end`."""
        if group:
            out.append((first if len(group) == 1 else "".join(group), end - taken[0]))
            taken[0] = end
            group.clear()

    for i, (part, text) in enumerate(zip(parts, rendered)):
        if text is None:
            continue  # MassGen shows nothing for it: nothing to keep
        if not whole(text):
            close(i)
            out.append((part, i + 1 - taken[0]))  # shown only as itself
            taken[0] = i + 1
        elif group and same("".join(group) + text):
            group.append(text)
        else:
            close(i)
            group.append(text)
            first = part
    close(len(parts))
    if not out:
        # Nothing shows, but a whitespace thinking delta still tells MassGen's tool batching
        # that content came between two tools: keep one part that says so.
        return [(next((p for p in parts if p), parts[0] if parts else ""), len(parts))]
    if taken[0] < len(parts):  # parts after the last result that show nothing
        content, count = out[-1]
        out[-1] = (content, count + len(parts) - taken[0])
    return out
