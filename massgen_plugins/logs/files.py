"""Reading log files that may be missing, truncated, binary, huge or otherwise broken.

Every reader takes a `Warnings` collector: a problem becomes one line naming the file and what
was skipped, never an exception.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# JSON files are read whole; MassGen's own are kilobytes. Anything far larger is not one of
# them, and reading it would cost the user memory for nothing.
MAX_JSON_BYTES = 256 * 1024 * 1024
# Text shown or analysed is read up to this size; the rest is reported as cut.
MAX_TEXT_BYTES = 4 * 1024 * 1024


class Warnings:
    """Collects one-line warnings about files that could not be read in full."""

    def __init__(self) -> None:
        """Start with no warnings."""
        self.lines: list[str] = []

    def add(self, path: Path | str, message: str) -> None:
        """Record a problem with one file."""
        line = f"{path}: {message}"
        if line not in self.lines:
            self.lines.append(line)

    def __iter__(self) -> Iterator[str]:
        """The warnings, in the order they were found."""
        return iter(self.lines)


def _why(exc: OSError) -> str:
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    return exc.strerror or type(exc).__name__


def read_json(path: Path, warn: Warnings) -> Any:
    """The parsed JSON in `path`, or None (with a warning) when it is missing or broken."""
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            warn.add(path, f"{size / 1e6:.0f} MB is too large for this file; skipped")
            return None
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        warn.add(path, f"cannot read ({_why(exc)}); skipped")
        return None
    if not raw.strip():
        warn.add(path, "is empty; skipped")
        return None
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        warn.add(path, "is not UTF-8 text (binary?); skipped")
    except json.JSONDecodeError as exc:
        warn.add(path, f"invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); "
                       "skipped (truncated by a crash?)")
    return None


def read_text(path: Path, warn: Warnings, limit: int = MAX_TEXT_BYTES) -> str | None:
    """The text in `path` (at most `limit` bytes), or None when it is missing or unreadable."""
    try:
        with path.open("rb") as fh:
            # read(n) allocates n bytes up front, so never ask for more than the file holds.
            size = os.fstat(fh.fileno()).st_size
            raw = fh.read(min(limit + 1, size + 1))
    except FileNotFoundError:
        return None
    except OSError as exc:
        warn.add(path, f"cannot read ({_why(exc)}); skipped")
        return None
    if b"\x00" in raw[:8192]:
        warn.add(path, "is binary, not text; skipped")
        return None
    text = raw[:limit].decode("utf-8", errors="replace")
    if len(raw) > limit:
        warn.add(path, f"is larger than {limit // (1024 * 1024)} MB; read the first part only")
    return text


def read_yaml(path: Path, warn: Warnings) -> Any:
    """The parsed YAML in `path`, or None (with a warning) when it is missing or broken."""
    text = read_text(path, warn, MAX_JSON_BYTES)
    if text is None:
        return None
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        warn.add(path, f"invalid YAML{where}; skipped")
        return None


def list_dir(path: Path, warn: Warnings) -> list[Path]:
    """The entries of a directory, or [] (with a warning) when it cannot be listed."""
    try:
        return list(path.iterdir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        warn.add(path, f"cannot list ({_why(exc)}); skipped")
        return []


def is_dir(path: Path) -> bool:
    """True for a directory that can be entered (a symlink loop is not one)."""
    try:
        return path.is_dir() and os.access(path, os.X_OK)
    except OSError:
        return False


def get(data: Any, *keys: str, default: Any = None) -> Any:
    """`data[k1][k2]...`, or `default` when any level is missing or not a mapping."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def number(data: Any, *keys: str, where: Path | None = None,
           warn: Warnings | None = None) -> float | None:
    """A numeric field, or None; a value of the wrong type is reported and ignored."""
    value = get(data, *keys)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if warn is not None and where is not None:
            warn.add(where, f"{'.'.join(keys)} is {value!r}, expected a number; ignored")
        return None
    return value


def text_field(data: Any, *keys: str) -> str | None:
    """A string field, or None when missing or not a string."""
    value = get(data, *keys)
    return value if isinstance(value, str) else None
