"""Parsed JSON and YAML, checked before use: what a run file or a config may not hold.

No nesting past MAX_DEPTH, no YAML alias that expands past MAX_NODES values (a "billion
laughs" file is a few lines long), and no NaN, infinite or huge number: each such value is read
as null and counted, so the caller can say so.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from typing import Any

import orjson

MAX_DEPTH = 100
MAX_NODES = 200_000
# Numbers past 64 bits are no count, cost or time a run writes; they only break arithmetic.
MAX_INT = 2**63


class DataError(ValueError):
    """Parsed data that cannot be used as it is: the message says why, in a few words."""


def check_data(data: Any, null_numbers: bool = True) -> tuple[Any, int]:
    """`data` with non-finite and huge numbers read as null, and how many; DataError if too big.

    Too big: nested deeper than MAX_DEPTH, or more than MAX_NODES values once YAML aliases
    are expanded (a "billion laughs" file is a few lines long). Without `null_numbers`, only
    the size is checked and nothing is changed.
    """
    bad = 0
    nodes = 0
    root = {None: data}
    stack: list[tuple[Any, Any, int]] = [(root, None, 0)]
    while stack:
        parent, key, depth = stack.pop()
        value = parent[key]
        nodes += 1
        if nodes > MAX_NODES:
            raise DataError(f"holds more than {MAX_NODES:,} values once its aliases are expanded "
                            "(a YAML alias bomb?)")
        if isinstance(value, dict):
            if depth >= MAX_DEPTH:
                raise DataError(f"is nested deeper than {MAX_DEPTH} levels")
            stack.extend((value, k, depth + 1) for k in value)
        elif isinstance(value, list):
            if depth >= MAX_DEPTH:
                raise DataError(f"is nested deeper than {MAX_DEPTH} levels")
            stack.extend((value, i, depth + 1) for i in range(len(value)))
        elif null_numbers and ((isinstance(value, float) and not math.isfinite(value)) or (
                isinstance(value, int) and not isinstance(value, bool)
                and not -MAX_INT < value < MAX_INT)):
            parent[key] = None
            bad += 1
    return root[None], bad


_BRACKETS = re.compile(r"[\[\]{}]")


def check_yaml_text(text: str) -> None:
    """DataError for YAML whose brackets nest past MAX_DEPTH, checked before it is parsed.

    ruamel's scanner takes time quadratic in the depth of flow collections: 1,000 levels
    take seconds, a megabyte of them would take hours. Brackets in strings count too; no
    real config or run file nests a hundred of them.
    """
    depth = 0
    for m in _BRACKETS.finditer(text):
        if m.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise DataError(f"is nested deeper than {MAX_DEPTH} levels")
        elif depth:
            depth -= 1


# A number check_data would null has 19 digits in a row or a three-digit exponent. Found with
# a byte translation and two finds: a regular expression for it cost more than the parse.
_DIGITS = bytes(48 if 48 <= b <= 57 else 101 if b in b"eE" else 43 if b == 43 else 32
                for b in range(256))


def _odd_number(text: bytes) -> bool:
    shape = text.translate(_DIGITS)
    return b"0" * 19 in shape or b"e000" in shape or b"e+000" in shape


_MISSING = object()


def parse_json(raw: bytes | str) -> tuple[Any, int]:
    """Parsed JSON, and how many values were read as null (NaN, infinite, huge); DataError if unusable."""
    bad = 0

    def skipped(_text: str) -> None:
        nonlocal bad
        bad += 1
        return

    def integer(text: str) -> int | None:
        # Checked as text: int() refuses 4,300 digits and more with an error of its own.
        if len(text) > 19:
            skipped(text)
            return None
        return int(text)

    text = raw.encode("utf-8", errors="surrogatepass") if isinstance(raw, str) else raw
    # Walking every value after the parse (check_data) was most of a listing's cost; it is
    # only needed when a number may be out of range, or the text may nest or hold too much.
    plain = not _odd_number(text)
    openers = text.count(b"[") + text.count(b"{")
    try:
        data = _MISSING
        if plain:
            with contextlib.suppress(orjson.JSONDecodeError):
                # orjson parses 2 to 3 times faster; it refuses what it does not take as
                # json does (NaN, lone surrogates, a byte-order mark), and that is parsed below.
                data = orjson.loads(raw)
        if data is _MISSING:
            data = (json.loads(raw, parse_constant=skipped) if plain else
                    json.loads(raw, parse_constant=skipped, parse_int=integer))
    except UnicodeDecodeError:
        raise DataError("is not UTF-8 text (binary?)") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})") from None
    except RecursionError:
        raise DataError(f"is nested deeper than {MAX_DEPTH} levels") from None
    # Every value but a container's first follows a comma, so this bounds the values.
    if plain and openers <= MAX_DEPTH and text.count(b",") + openers + 1 < MAX_NODES:
        return data, bad
    data, more = check_data(data)
    return data, bad + more
