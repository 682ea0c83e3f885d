"""JSON text exactly as `emit_json` prints it (indent 2, sorted keys), made faster.

The listing's worker processes make each row's text, so it lives below the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def json_text(data: Any) -> str:
    """`data` (masked already) as emit_json prints it."""
    try:
        return "".join(_indented(data, "\n"))
    except _Unusual:
        return json.dumps(data, indent=2, sort_keys=True, default=str)


class _Unusual(Exception):
    """A value _indented leaves to json.dumps."""


_encode: Callable[[str], str] = json.encoder.encode_basestring_ascii


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


_SCALAR: dict[type, Callable[[Any], str]] = {
    type(None): lambda _v: "null", bool: lambda v: "true" if v else "false",
    int: int.__repr__, float: _float, str: _encode}


def _indented(data: Any, newline: str) -> list[str]:
    """json.dumps(data, indent=2, sort_keys=True) for str-keyed dicts, lists and plain scalars.

    json.dumps indents with its pure-Python encoder, which was a tenth of a cold listing;
    here containers are laid out the same way, strings go to the C encoder json.dumps uses and
    numbers are spelled as it spells them (anything else raises _Unusual).
    """
    scalar = _SCALAR.get(type(data))
    if scalar is not None:
        return [scalar(data)]
    inner = newline + "  "
    if type(data) is dict:
        if not data:
            return ["{}"]
        if any(type(k) is not str for k in data):
            raise _Unusual
        out = ["{"]
        for i, key in enumerate(sorted(data)):
            out += [inner if i == 0 else "," + inner, _encode(key), ": "]
            out += _indented(data[key], inner)
        return [*out, newline, "}"]
    if type(data) is list:
        if not data:
            return ["[]"]
        out = ["["]
        for i, item in enumerate(data):
            out.append(inner if i == 0 else "," + inner)
            out += _indented(item, inner)
        return [*out, newline, "]"]
    raise _Unusual
