"""Reading a run's files, which agents wrote and an attacker may have shaped.

A reader never leaves the run: every path is resolved, and one that leads outside the run's
directory (a symlink, or a name taken from a file's content) is skipped. Only regular files
are opened, without blocking (a FIFO named status.json is skipped, not waited on). Every read
is bounded. Parsed JSON and YAML is checked before use: no nesting past MAX_DEPTH, no YAML
alias that expands past MAX_NODES values, and no NaN, infinite or huge number (each such
value is read as null). Every problem becomes one warning naming the file, never an exception.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

# MassGen's JSON files are kilobytes (status.json of a long run, a few MB). Anything far larger
# is not one of them, and parsing it would cost the user gigabytes of memory for nothing.
MAX_JSON_BYTES = 64 * 1024 * 1024
# execution_metadata.yaml holds the config and the command line: kilobytes.
MAX_YAML_BYTES = 4 * 1024 * 1024
# Text shown or analysed is read up to this size; the rest is reported as cut.
MAX_TEXT_BYTES = 4 * 1024 * 1024
# The analysis report a run's session, turn or attempt dir may hold.
REPORT = "ANALYSIS_REPORT.md"
NUMBERED = re.compile(r"^(turn|attempt)_(\d+)$")
MAX_DEPTH = 100
MAX_NODES = 200_000
# Numbers past 64 bits are no count, cost or time a run writes; they only break arithmetic.
MAX_INT = 2**63


class DataError(ValueError):
    """Parsed data that cannot be used as it is: the message says why, in a few words."""


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

    def extend(self, other: Warnings) -> None:
        """Add another collection's warnings after these."""
        for line in other.lines:
            if line not in self.lines:
                self.lines.append(line)


def _why(exc: OSError) -> str:
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    return exc.strerror or type(exc).__name__


_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device",
          stat.S_IFBLK: "a device"}


def open_regular(path: Path, warn: Warnings) -> BinaryIO | None:
    """`path` opened for binary reading if it is a regular file; None (with a warning) otherwise.

    Never blocks: a FIFO, socket or device is recognised before it is opened, and the open
    itself does not wait for a writer if one is swapped in.
    """
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISREG(mode):
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                         | getattr(os, "O_BINARY", 0))
            mode = os.fstat(fd).st_mode
            if stat.S_ISREG(mode):
                return os.fdopen(fd, "rb")
            os.close(fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        warn.add(path, f"cannot read ({_why(exc)}); skipped")
        return None
    if stat.S_ISDIR(mode):
        warn.add(path, "cannot read (is a directory, not a file); skipped")
    else:
        warn.add(path, f"is {_KINDS.get(stat.S_IFMT(mode), 'not a regular file')}, not a "
                       "regular file; skipped")
    return None


_PLAIN_OPEN = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_BINARY", 0))


def open_plain(path: str) -> tuple[int, int] | None:
    """(descriptor, size) of a regular file opened for reading, not through a link; None when
    it is anything else or cannot be opened. The caller closes the descriptor.

    For the short paths that read thousands of files which are nearly always plain: one open
    and one fstat, never blocking, and no warning (the general reader reports what is odd).
    """
    try:
        fd = os.open(path, _PLAIN_OPEN)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return None
    return fd, info.st_size


def read_plain(path: str, limit: int, head: bool = False) -> bytes | None:
    """A regular file's bytes, not through a link (see open_plain); None when it is anything
    else, holds more than `limit` bytes, or cannot be read. `head`: its first `limit` bytes,
    however long it is."""
    opened = open_plain(path)
    if opened is None:
        return None
    fd, size = opened
    try:
        if size > limit and not head:
            return None
        want = min(size, limit)
        data = os.read(fd, want + (not head))
        # A file that grew or shrank since its fstat is left to the general reader.
        return data if len(data) == want else None
    except OSError:
        return None
    finally:
        os.close(fd)


def plain_name(name: str) -> bool:
    """True for a name that is one path component (an agent id), not a path: safe to join."""
    return (name not in ("", ".", "..") and "/" not in name and "\\" not in name
            and "\0" not in name and ":" not in name)


def plain_entries(path: str) -> dict[str, str]:
    """Each entry of a folder: "dir", "file", or "other" (a link, a FIFO: not plain)."""
    with os.scandir(path) as entries:
        return {e.name: "dir" if e.is_dir(follow_symlinks=False) else
                "file" if e.is_file(follow_symlinks=False) else "other" for e in entries}


def read_bounded(fh: BinaryIO, limit: int) -> bytes:
    """At most `limit` + 1 bytes from `fh` (one more than the limit says it was cut)."""
    # read(n) allocates n bytes up front, so never ask for more than the file holds.
    size = os.fstat(fh.fileno()).st_size
    return fh.read(min(limit + 1, size + 1))


def head_lines(fh: BinaryIO, limit: int) -> Iterator[bytes]:
    """Each line of `fh`, cut to its first `limit` bytes: one endless line costs no memory."""
    while line := fh.readline(limit):
        if len(line) == limit and not line.endswith(b"\n"):
            while (rest := fh.readline(limit)) and not rest.endswith(b"\n"):
                pass  # the rest of an overlong line, read and dropped
        yield line


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
        elif null_numbers and (isinstance(value, float) and not math.isfinite(value) or (
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
        return None

    def integer(text: str) -> int | None:
        # Checked as text: int() refuses 4,300 digits and more with an error of its own.
        if len(text) > 19:
            return skipped(text)
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


def _skipped_values(path: Path, count: int, warn: Warnings) -> None:
    if count:
        warn.add(path, f"{count} value{'s' * (count != 1)} that {'are' if count != 1 else 'is'} "
                       "NaN, infinite or past 64 bits read as null")


# Resolved folders, with the identity each had: a listing reads thousands of files in a few
# folders each.
_real_dirs: dict[str, tuple[str, int, int]] = {}


def _realpath(text: str) -> str:
    # os.path.realpath stats every component of every file; with each folder resolved once, a
    # file costs two lstats (is it a link? is its folder still the one resolved?). A link is
    # always resolved afresh, and so is a folder that changed (replaced by a link).
    if not os.path.isabs(text):
        text = os.path.abspath(text)
    parent, name = os.path.split(text)
    if name in ("", ".", "..") or os.path.islink(text):
        return os.path.realpath(text)
    try:
        info = os.lstat(parent)
    except OSError:
        return os.path.realpath(text)
    known = _real_dirs.get(parent)
    if known is None or known[1:] != (info.st_ino, info.st_dev) or stat.S_ISLNK(info.st_mode):
        if len(_real_dirs) > 50_000:
            _real_dirs.clear()
        known = (_realpath(parent) if parent != text else parent, info.st_ino, info.st_dev)
        if not stat.S_ISLNK(info.st_mode):
            _real_dirs[parent] = known
    return os.path.join(known[0], name)


class RunFiles:
    """The files of one run: opened only inside its directory, only if regular, size-bounded."""

    def __init__(self, root: Path, warn: Warnings) -> None:
        """Read inside `root` (resolved once), reporting problems to `warn`."""
        self.root = Path(_realpath(os.fspath(root)))
        self.warn = warn

    def inside(self, path: Path) -> bool:
        """True when `path` resolves inside the run; otherwise False, with a warning."""
        real = _realpath(os.fspath(path))
        root = str(self.root)
        if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
            return True
        self.warn.add(path, f"leads outside the run (to {real}); skipped")
        return False

    def open(self, path: Path) -> BinaryIO | None:
        """`path` opened for reading, if it is a regular file inside the run."""
        return open_regular(path, self.warn) if self.inside(path) else None

    def is_file(self, path: Path) -> bool:
        """True for a regular file inside the run; a symlink out of it, or a FIFO, is reported."""
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return False
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            self.warn.add(path, f"is {_KINDS.get(stat.S_IFMT(mode), 'not a regular file')}, "
                                "not a regular file; skipped")
            return False
        return stat.S_ISREG(mode) and self.inside(path)

    def is_dir(self, path: Path) -> bool:
        """True for a directory inside the run that can be entered (a symlink loop is not one)."""
        try:
            return path.is_dir() and os.access(path, os.X_OK) and self.inside(path)
        except OSError:
            return False

    def list_dir(self, path: Path) -> list[Path]:
        """The entries of a directory of the run, or [] (with a warning) when it cannot be listed."""
        if not self.inside(path):
            return []
        try:
            return list(path.iterdir())
        except FileNotFoundError:
            return []
        except OSError as exc:
            self.warn.add(path, f"cannot list ({_why(exc)}); skipped")
            return []

    def read_bytes(self, path: Path, limit: int) -> bytes | None:
        """Up to `limit` + 1 bytes of `path`, or None when it cannot be read."""
        fh = self.open(path)
        if fh is None:
            return None
        try:
            with fh:
                return read_bounded(fh, limit)
        except OSError as exc:
            self.warn.add(path, f"cannot read ({_why(exc)}); skipped")
            return None

    def read_json(self, path: Path) -> Any:
        """The parsed JSON in `path`, or None (with a warning) when it is missing or broken."""
        raw = self.read_bytes(path, MAX_JSON_BYTES)
        if raw is None:
            return None
        if len(raw) > MAX_JSON_BYTES:
            self.warn.add(path, f"is larger than {MAX_JSON_BYTES // 2**20} MB, too large for this "
                                "file; skipped")
            return None
        if not raw.strip():
            self.warn.add(path, "is empty; skipped")
            return None
        try:
            data, bad = parse_json(raw)
        except DataError as exc:
            hint = " (truncated by a crash?)" if "invalid JSON" in str(exc) else ""
            self.warn.add(path, f"{exc}; skipped{hint}")
            return None
        _skipped_values(path, bad, self.warn)
        return data

    def read_text(self, path: Path, limit: int = MAX_TEXT_BYTES) -> str | None:
        """The text in `path` (at most `limit` bytes), or None when it is missing or unreadable."""
        raw = self.read_bytes(path, limit)
        if raw is None:
            return None
        if b"\x00" in raw[:8192]:
            self.warn.add(path, "is binary, not text; skipped")
            return None
        if len(raw) > limit:
            self.warn.add(path, f"is larger than {limit // (1024 * 1024)} MB; read the first "
                                "part only")
        return raw[:limit].decode("utf-8", errors="replace")

    def read_yaml(self, path: Path) -> Any:
        """The parsed YAML in `path`, or None (with a warning) when it is missing or broken."""
        return self.parse_yaml(path, self.read_bytes(path, MAX_YAML_BYTES))

    def parse_yaml(self, path: Path, raw: bytes | None) -> Any:
        """The YAML `raw` (read from `path` with read_bytes) parsed, or None with a warning."""
        if raw is None:
            return None
        if len(raw) > MAX_YAML_BYTES:
            self.warn.add(path, f"is larger than {MAX_YAML_BYTES // 2**20} MB, too large for this "
                                "file; skipped")
            return None
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        try:
            text = raw.decode("utf-8", errors="replace")
            check_yaml_text(text)
            data, bad = check_data(YAML(typ="safe", pure=True).load(text))
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            self.warn.add(path, f"invalid YAML{where}; skipped")
            return None
        except RecursionError:
            self.warn.add(path, f"is nested deeper than {MAX_DEPTH} levels; skipped")
            return None
        except ValueError as exc:  # DataError, or a number the constructor refused
            self.warn.add(path, f"{exc}; skipped")
            return None
        _skipped_values(path, bad, self.warn)
        return data


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
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            -MAX_INT < value < MAX_INT):  # NaN fails this too
        if warn is not None and where is not None:
            warn.add(where, f"{'.'.join(keys)} is {_brief(value)}, expected a number; ignored")
        return None
    return value


def _brief(value: Any) -> str:
    """A value as a warning quotes it: short, whatever it is."""
    if isinstance(value, (dict, list)):
        return f"a{'n object' if isinstance(value, dict) else ' list'}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def text_field(data: Any, *keys: str) -> str | None:
    """A string field, or None when missing or not a string."""
    value = get(data, *keys)
    return value if isinstance(value, str) else None
