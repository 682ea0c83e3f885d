"""A scrolling view of streamed text that wraps at the panel's width and draws cheaply.

Textual's `Log` keeps each line unwrapped (an agent's paragraph becomes one line far wider than
its panel), measures the whole growing line on every write, and renders every visible line
from scratch on every frame. Streaming into four panels, that made each frame cost ~90 ms on
this project's CI machine. `StreamView` instead:

- wraps as text arrives, rewrapping only the last row (greedy wrapping is prefix-stable: rows
  above the last never change when text is appended), so a write costs what it appends;
- caches each row's rendered strip, so a frame that scrolls by one row renders one new strip;
- grows its virtual size without a layout pass (its own size never depends on its content);
- follows the end only while the reader is at the end, so scrolling up to read is not undone;
  no scrollbar is drawn (repainting it cost as much as the text), and while the reader is
  scrolled up, the last line says how many rows are below.
"""

from __future__ import annotations

import re
from collections import deque

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.color import Color
from textual.filter import LineFilter
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from massgen_plugins.safe_text import neutralise

_TOKEN = re.compile(r"\S+\s*|\s+")


def clean(text: str) -> str:
    """Text safe to draw (see safe_text): tabs as spaces, controls visible, bidi overrides defused."""
    return neutralise(text)


def wrap_rows(line: str, width: int) -> list[str]:
    """One line of text (no newline) as rows of at most `width` cells, broken after spaces.

    Spaces after a word hang past the edge instead of starting the next row; a word wider than
    a row starts a row of its own and is cut at the edge.
    """
    if width <= 0 or (len(line) <= width and line.isascii()):
        return [line]
    measure = len if line.isascii() else cell_len  # ASCII: one cell per character
    rows: list[str] = []
    row, used = "", 0
    for token in _TOKEN.findall(line):
        word = token.rstrip()
        need = measure(word)
        if used + need <= width:
            row, used = row + token, used + measure(token)
            continue
        if row and need <= width:
            rows.append(row)
            row, used = token, measure(token)
            continue
        if row:
            rows.append(row)
        row, used = "", 0
        for char in word:  # cut a word wider than a row
            char_cells = measure(char)
            if used + char_cells > width and row:
                rows.append(row)
                row, used = "", 0
            row, used = row + char, used + char_cells
        row += token[len(word):]
        used += len(token) - len(word)
    rows.append(row)
    return rows


class StreamView(ScrollView, can_focus=True):
    """Streamed text, wrapped to the view's width, following the end while the reader is there."""

    DEFAULT_CSS = """
    StreamView {
        background: $surface;
        color: $text;
        overflow-y: scroll;
        overflow-x: hidden;
        scrollbar-size-vertical: 0;
    }
    """

    def __init__(self, max_rows: int = 20_000, *, id: str | None = None,  # noqa: A002
                 classes: str | None = None) -> None:
        """A view that keeps about the last `max_rows` rows."""
        super().__init__(id=id, classes=classes)
        self.max_rows = max_rows
        self._lines: deque[str] = deque()  # finished lines, unwrapped (to rewrap on resize)
        self._line_rows: deque[int] = deque()  # how many rows each finished line wrapped to
        self._tail: list[str] = []  # the line being written, in the pieces that arrived
        self._tail_rows = 1
        self._rows: list[str] = [""]
        self._dropped = 0  # rows pruned from the top: row ids stay stable for the cache
        self._width = 0
        self._strips: LRUCache[int, Strip] = LRUCache(1024)
        self._paint: tuple[Style, tuple[LineFilter, ...], Color] | None = None

    @property
    def text(self) -> str:
        """Everything still held, as written (without the pruned top)."""
        return "\n".join([*self._lines, "".join(self._tail)])

    @property
    def rows(self) -> list[str]:
        """The wrapped rows, top to bottom."""
        return list(self._rows)

    def write(self, text: str) -> None:
        """Append `text`; newlines start new lines."""
        if not text:
            return
        # Until the first layout the width is unknown: keep the text, and wrap it on resize.
        wrap = self._width > 0
        follow = self._at_end()
        first_changed = len(self._rows) - 1
        for n, piece in enumerate(clean(text).split("\n")):
            if n:
                self._lines.append("".join(self._tail))
                self._line_rows.append(self._tail_rows)
                self._tail, self._tail_rows = [], 1
                if wrap:
                    self._rows.append("")
            if piece:
                self._tail.append(piece)
                if wrap:
                    wrapped = wrap_rows(self._rows[-1] + piece, self._width)
                    self._rows[-1:] = wrapped
                    self._tail_rows += len(wrapped) - 1
        if not wrap:
            while len(self._lines) >= self.max_rows:
                self._lines.popleft()
                self._line_rows.popleft()
            return
        for row in range(first_changed, len(self._rows)):
            self._strips.discard(self._dropped + row)
        pruned = self._prune(follow)
        self._grow(follow, first_changed - pruned)

    # -- Textual --------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        """Styles changed (focus, theme): drop the cached style and strips."""
        super().notify_style_update()
        self._paint = None
        self._strips.clear()

    def on_resize(self) -> None:
        """Rewrap everything at the new width."""
        width = self.scrollable_content_region.width
        if width == self._width:
            return
        follow = self._at_end()
        self._width = width
        rows: list[str] = []
        counts: deque[int] = deque()
        for line in self._lines:
            wrapped = wrap_rows(line, width)
            counts.append(len(wrapped))
            rows.extend(wrapped)
        tail = wrap_rows("".join(self._tail), width)
        self._rows, self._line_rows, self._tail_rows = rows + tail, counts, len(tail)
        self._strips.clear()
        self._prune(follow)
        self._grow(follow, 0)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """The strip for row `y` of the view."""
        return self.render_lines(Region(0, y, self.size.width, 1))[0]

    def render_lines(self, crop: Region) -> list[Strip]:
        """The rows in `crop`, from the strip cache; the last says what is below, if anything."""
        # A StreamView has no border, padding or tint, and its strips are styled already,
        # so Textual's per-line styles pass is skipped: with four panels scrolling, it cost
        # as much again as everything else in a frame.
        top, (width, height) = self.scroll_offset.y, self.size
        strips = [self._strip(top + y, width) for y in crop.line_range]
        below = len(self._rows) - (top + height)
        if below > 0 and crop.bottom == height:
            # No scrollbar is drawn (it cost as much as the text), so say how far the end is.
            note = f" ↓ {below:,} more row{'s' * (below != 1)} · End to follow "
            style = self._painting()[0]
            strips[-1] = Strip([Segment(note, style + Style(reverse=True))]).crop_extend(
                0, width, style)
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    # -- internals --------------------------------------------------------------------------

    def _strip(self, row: int, width: int) -> Strip:
        key = self._dropped + row
        strip = self._strips.get(key)
        if strip is None or strip.cell_length != width:
            style, filters, background = self._painting()
            text = self._rows[row] if 0 <= row < len(self._rows) else ""
            strip = Strip([Segment(text, style)]).crop_extend(0, width, style)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            self._strips[key] = strip
        return strip

    def _painting(self) -> tuple[Style, tuple[LineFilter, ...], Color]:
        # Looked up once per style change: rich_style walks the ancestors every time.
        if self._paint is None:
            self._paint = (self.rich_style, tuple(self.get_line_filters()),
                           self.background_colors[1])
        return self._paint

    def _at_end(self) -> bool:
        return self.scroll_offset.y >= self.max_scroll_y

    def _prune(self, follow: bool) -> int:
        """Drop rows from the top beyond `max_rows`, whole lines first; how many rows went."""
        if len(self._rows) <= self.max_rows:
            return 0
        # A tenth more than needed, so pruning (and rejoining an endless line) happens once
        # per max_rows / 10 new rows, not on every write.
        excess = len(self._rows) - self.max_rows + self.max_rows // 10
        dropped = 0
        while excess > dropped and self._lines:
            self._lines.popleft()
            dropped += self._line_rows.popleft()
        if excess > dropped and self._tail_rows > 1:
            # One line longer than the whole view (no newline ever came): drop its top rows,
            # which wrapping kept character for character.
            cut = min(excess - dropped, self._tail_rows - 1)
            self._tail = ["".join(self._rows[dropped + cut:])]
            self._tail_rows -= cut
            dropped += cut
        if dropped:
            del self._rows[:dropped]
            self._dropped += dropped
            if not follow:  # keep what the reader is looking at in place
                self.scroll_to(y=max(0, self.scroll_offset.y - dropped), animate=False,
                               immediate=True)
        return dropped

    def _grow(self, follow: bool, first_changed: int) -> None:
        size = Size(self._width, len(self._rows))
        if size != self.virtual_size:
            # The view's own size never depends on its content, so skip the screen-wide
            # layout pass that assigning `virtual_size` would request; update scrollbars only.
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)
        if follow and self.scroll_offset.y != self.max_scroll_y:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
            return
        self.refresh_lines(max(0, first_changed), len(self._rows) - max(0, first_changed))
        if not follow:  # the "more below" count on the last line changed
            self.refresh(Region(0, self.size.height - 1, self.size.width, 1))
