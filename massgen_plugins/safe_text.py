"""Text from run files, models and configs, made safe to show: every table, line and widget uses it.

Such text is data. Control characters are made visible (ESC as ␛, so an escape sequence shows
as harmless text instead of clearing the screen, retitling the window or writing the
clipboard), C1 controls, bidi overrides and lone UTF-16 surrogates become �, tabs become
spaces. Rich and Textual get it as `Text`, never as a string, so brackets are never read as
markup.
"""

from __future__ import annotations

import re
from typing import Any

_REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}  # ␀ ... ␟
_TABLE.update({0x7F: "\u2421", ord("\t"): "    ", ord("\r"): "", 0x2028: "\n", 0x2029: "\n"})
_TABLE.update(dict.fromkeys(range(128, 160), _REPLACEMENT))
# Embeddings, overrides and isolates reorder what follows them ("Trojan Source").
_TABLE.update(dict.fromkeys((*range(8234, 8239), *range(8294, 8298)), _REPLACEMENT))
_BLOCK = {**_TABLE, ord("\n"): "\n"}
# YAML and JSON escapes can spell UTF-16 surrogates one by one; no terminal can take them.
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE = {**_TABLE, ord("\n"): "\u240a", 0x2028: "\u240a", 0x2029: "\u240a"}  # one line stays one


def neutralise(text: str, newlines: bool = True) -> str:
    """`text` with controls visible and bidi overrides defused; newlines kept, or shown as ␊."""
    if text.isprintable():
        return text
    if _SURROGATE.search(text):  # a pair becomes its character, a lone half becomes �
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text.replace("\r\n", "\n").translate(_BLOCK if newlines else _LINE)


def shown(value: Any) -> str:
    """`value` as one line that is safe to print: secrets masked, controls visible."""
    from massgen_plugins.secrets import redact  # its patterns compile on first use, not at start

    return neutralise(redact(str(value)), newlines=False)


def shown_block(value: Any) -> str:
    """`value` as text of several lines that is safe to print: secrets masked, controls visible."""
    from massgen_plugins.secrets import redact

    return neutralise(redact(str(value)))


def rich_text(value: Any, block: bool = False, style: str = "") -> Any:
    """`value` as a Rich `Text` (never parsed as markup), made safe as `shown` does."""
    from rich.text import Text

    return Text(shown_block(value) if block else shown(value), style=style)
