"""Reading a run's files, which agents wrote and an attacker may have shaped.

A reader never leaves the run: every file is opened relative to the run's folder, one
component at a time, never through a link (open_within, which every read of a run file goes
through); a link, a name taken from a file's content that is not a plain name, and a hard link
(which may be a file outside the run) are skipped. Only regular files are opened, without
blocking (a FIFO named status.json is skipped, not waited on). Every read is bounded. Parsed
JSON and YAML is checked before use: no nesting past MAX_DEPTH, no YAML alias that expands
past MAX_NODES values, and no NaN, infinite or huge number (each such value is read as null).
Every problem becomes one warning naming the file, never an exception.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from massgen_plugins.data import (
    MAX_DEPTH,
    MAX_INT,
    DataError,
    check_data,
    check_yaml_text,
    parse_json,
)

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
HARD_LINK = "is a hard link, which could lead out of the run"

# Every component of a run path is opened relative to the folder before it, never through a
# link: a link swapped in after a check cannot lead a read out of the run, since there is no
# check apart from the open. Non-blocking: a FIFO is recognised after its open, not waited on.
_DIR_OPEN = (os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
_FILE_OPEN = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
              | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
              | getattr(os, "O_BINARY", 0))


class NotPlain(OSError):
    """A run path that was not opened: component `at` of it is a link, or not what was asked
    for (a FIFO, a hard link, a file where a folder was wanted); `why` says which."""

    def __init__(self, at: int, why: str, link: bool = False) -> None:
        """Component `at` (0-based) of the path; `link`: it is a symbolic link."""
        super().__init__(why)
        self.at, self.why, self.link = at, why, link


def open_within(dir_fd: int, parts: list[str] | tuple[str, ...],
                directory: bool = False) -> tuple[int, os.stat_result]:
    """A descriptor of `parts` under the folder open as `dir_fd`, and its stat; the caller
    closes it.

    Each component is opened relative to the one before, without following a link: a folder
    with O_DIRECTORY, the last (unless `directory`) as a regular file of one link (a hard link
    may be another file's, outside the run). Raises NotPlain for a link or a component of the
    wrong kind, FileNotFoundError, or the OSError of the open.
    """
    fd = dir_fd
    try:
        for i, name in enumerate(parts):
            last = i == len(parts) - 1
            if name in ("", ".", "..") or "/" in name or "\0" in name:
                raise NotPlain(i, f"holds {name!r}, which is not a name in the run")
            try:
                opened = os.open(name, _FILE_OPEN if last and not directory else _DIR_OPEN,
                                 dir_fd=fd)
            except OSError as exc:
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EISDIR):
                    raise
                raise _refusal(fd, name, i, directory or not last) from None
            if fd != dir_fd:
                os.close(fd)
            fd = opened
        info = os.fstat(fd)
        if not directory:
            if not stat.S_ISREG(info.st_mode):
                raise NotPlain(len(parts) - 1, _kind(info.st_mode))
            if info.st_nlink > 1:
                raise NotPlain(len(parts) - 1, HARD_LINK)
    except BaseException:
        if fd != dir_fd:
            os.close(fd)
        raise
    return fd, info


def _refusal(dir_fd: int, name: str, at: int, want_dir: bool) -> OSError:
    """Why `name` in `dir_fd` could not be opened as a folder (`want_dir`) or a file."""
    try:
        mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except OSError as exc:
        return exc
    if stat.S_ISLNK(mode):
        return NotPlain(at, "is a symbolic link", link=True)
    if want_dir and not stat.S_ISDIR(mode):
        return NotADirectoryError(errno.ENOTDIR, "not a directory")
    return NotPlain(at, "cannot read (is a directory, not a file)" if stat.S_ISDIR(mode)
                    else _kind(mode))


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "cannot read (is a directory, not a file)"
    return f"is {_KINDS.get(stat.S_IFMT(mode), 'not a regular file')}, not a regular file"


def open_root(path: str | os.PathLike[str]) -> int:
    """A descriptor of a run's own folder, which the user named (links on the way followed)."""
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))


def read_fd(fd: int, size: int, limit: int, head: bool = False) -> bytes:
    """At most `limit` + 1 bytes of an open file of `size` bytes (one more says it was cut);
    `head`: at most `limit`."""
    want = min(size, limit) if head else min(size + 1, limit + 1)
    chunks, got = [], 0
    while got < want:
        # read(n) allocates n bytes up front: never more than the file held at its fstat.
        chunk = os.read(fd, min(want - got, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_within(dir_fd: int, parts: list[str] | tuple[str, ...], limit: int,
                head: bool = False) -> bytes | None:
    """A plain file's bytes under `dir_fd` (see open_within), or None when it is not one, holds
    more than `limit` bytes (unless `head`: then its first `limit`), or cannot be read.

    For the short paths that read thousands of files which are nearly always plain: no
    warning (the general reader reports what is odd).
    """
    try:
        fd, info = open_within(dir_fd, parts)
    except OSError:
        return None
    try:
        if info.st_size > limit and not head:
            return None
        data = read_fd(fd, info.st_size, limit, head)
        # A file that grew or shrank since its fstat is left to the general reader.
        return data if len(data) == min(info.st_size, limit) else None
    except OSError:
        return None
    finally:
        os.close(fd)


def keep_aside(text: str, stem: str, suffix: str = ".md") -> Path | str:
    """Save paid text that could not go where it belongs (shown_block: secrets masked): its path,
    or why not.

    Into the working folder, else the temporary one, as STEM.TIMESTAMP.SUFFIX, never over a file.
    """
    import datetime as dt
    import tempfile

    from massgen_plugins.safe_text import shown_block

    data = shown_block(text)
    name = f"{stem}.{dt.datetime.now().strftime('%Y%m%d_%H%M%S')}{suffix}"
    why = "no folder"
    try:
        folders = [Path.cwd(), Path(tempfile.gettempdir())]
    except OSError:  # the working folder was removed
        folders = [Path(tempfile.gettempdir())]
    for folder in folders:
        target = folder / name
        try:
            with target.open("x", encoding="utf-8") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            return target
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            if target.exists() and not isinstance(exc, FileExistsError):
                target.unlink(missing_ok=True)  # a part of it is no copy
    return why


def write_in_run(root: Path, path: Path, text: str, replace: bool = False) -> None:
    """Write `text` to `path`, a file in the run whose folder is `root`: whole or not at all,
    through no link.

    The folders below `root` are opened as a reader opens them (see open_within), and the file
    is created relative to the last one: a folder swapped for a link while the text was made
    cannot send it out of the run. Without `replace`, FileExistsError when the file exists (a
    link too); with it, a temporary sibling is renamed over it. OSError (ELOOP for a link on
    the way) when it cannot be written; a file half written is removed.
    """
    given = os.path.abspath(os.fspath(root))
    target = os.path.abspath(os.fspath(path))
    if not target.startswith(given.rstrip(os.sep) + os.sep):
        raise OSError(errno.EINVAL, f"not inside the run's folder {given}")
    parts = [p for p in target[len(given):].split(os.sep) if p]
    base = open_root(given)
    try:
        try:
            folder = (open_within(base, parts[:-1], directory=True)[0] if len(parts) > 1
                      else os.open(".", _DIR_OPEN, dir_fd=base))
        except NotPlain as exc:
            raise OSError(errno.ELOOP, f"{os.path.join(given, *parts[: exc.at + 1])} "
                                       f"{exc.why}, which is not followed") from None
    finally:
        os.close(base)
    try:
        name = parts[-1]
        _place_at(folder, name, text.encode("utf-8"), replace)
        with contextlib.suppress(OSError):  # where the OS allows it: the new name is durable
            os.fsync(folder)
    finally:
        os.close(folder)


_CREATE = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
           | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def _create_at(folder: int, name: str, data: bytes, mode: int | None = None) -> None:
    """Create `name` in `folder` (never through a link: O_EXCL) holding `data`, synced; with
    `mode`, that mode rather than the umask's."""
    fd = os.open(name, _CREATE, 0o666, dir_fd=folder)
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)  # the data is on disk before anyone reads the name
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=folder)
        raise


def _place_at(folder: int, name: str, data: bytes, replace: bool) -> None:
    """Give `name` in `folder` the whole of `data` or nothing: a synced temporary sibling first.

    `replace` renames it over `name`; otherwise a link takes the name and fails with
    FileExistsError if it is taken (a file system without links: a check, then a rename). The
    temporary sibling is removed whatever happens.
    """
    import secrets

    try:
        old = os.stat(name, dir_fd=folder, follow_symlinks=False)
        mode = stat.S_IMODE(old.st_mode) if replace and stat.S_ISREG(old.st_mode) else None
    except FileNotFoundError:
        mode = None
    temp = f".{name}.{secrets.token_hex(6)}.tmp"
    _create_at(folder, temp, data, mode)  # the replaced file's mode, if it had one
    try:
        if replace:
            os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
            return
        try:
            os.link(temp, name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK):
                raise
            try:
                os.stat(name, dir_fd=folder, follow_symlinks=False)
            except FileNotFoundError:
                os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
            else:
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), name) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp, dir_fd=folder)


def entries_at(fd: int) -> dict[str, str]:
    """Each entry of the folder open as `fd`: "dir", "file", or "other" (a link, a FIFO)."""
    with os.scandir(fd) as entries:
        return {e.name: "dir" if e.is_dir(follow_symlinks=False) else
                "file" if e.is_file(follow_symlinks=False) else "other" for e in entries}


def plain_name(name: str) -> bool:
    """True for a name that is one path component (an agent id), not a path: safe to join."""
    return (name not in ("", ".", "..") and "/" not in name and "\\" not in name
            and "\0" not in name and ":" not in name)


CHUNK = 1 << 20


def marked_lines(fh: BinaryIO, pattern: re.Pattern[bytes], limit: int) -> Iterator[bytes]:
    """Each line of `fh` whose first `limit` bytes hold a match of `pattern`, cut to them.

    The file is searched a chunk at a time and only the lines around a match are cut out:
    a file of millions of empty lines costs a search, not a loop, and one endless line costs
    `limit` bytes of memory.
    """
    head = b""  # the start (at most `limit` bytes) of a line a chunk boundary cut
    while chunk := fh.read(CHUNK):
        first = chunk.find(b"\n")
        if first < 0:
            head += chunk[:max(0, limit - len(head))]
            continue
        line = (head + chunk[:min(first, limit)])[:limit]
        if pattern.search(line):
            yield line
        base, end = first + 1, chunk.rfind(b"\n") + 1
        last = -1
        for match in pattern.finditer(chunk, base, end):
            begin = max(chunk.rfind(b"\n", base, match.start()) + 1, base)
            if begin == last or match.end() - begin > limit:
                continue  # the line is out already, or the match lies past its kept part
            last = begin
            yield chunk[begin:min(chunk.find(b"\n", begin), begin + limit)]
        head = chunk[end:end + limit]
    if head and pattern.search(head):
        yield head


def _skipped_values(path: Path, count: int, warn: Warnings) -> None:
    if count:
        warn.add(path, f"{count} value{'s' * (count != 1)} that {'are' if count != 1 else 'is'} "
                       "NaN, infinite or past 64 bits read as null")


class RunFiles:
    """The files of one run: opened only inside its directory and through no link, only if
    regular and of one link, size-bounded."""

    def __init__(self, root: Path, warn: Warnings) -> None:
        """Read inside `root`, reporting problems to `warn`."""
        self.given = os.path.abspath(os.fspath(root))
        self.root = Path(os.path.realpath(self.given))
        self.warn = warn
        self._fd: int | None = None

    def _root_fd(self) -> int:
        # Opened once: the run's folder stays the one first opened, whatever is renamed later.
        if self._fd is None:
            self._fd = open_root(self.root)
            weakref.finalize(self, os.close, self._fd)
        return self._fd

    def parts(self, path: Path) -> tuple[str, ...] | None:
        """`path`'s components below the run's folder; None (with a warning) when it is not
        below it."""
        text = os.path.abspath(os.fspath(path))
        for base in (self.given, str(self.root)):
            if text == base:
                return ()
            if text.startswith(base.rstrip(os.sep) + os.sep):
                return tuple(p for p in text[len(base):].split(os.sep) if p)
        self.warn.add(path, f"leads outside the run (to {os.path.realpath(text)}); skipped")
        return None

    def _open(self, path: Path, directory: bool = False, quiet_dir: bool = False) -> int | None:
        """A descriptor of `path` (see open_within), or None, with a warning unless it is
        missing (or, with `quiet_dir`, a folder)."""
        parts = self.parts(path)
        if parts is None:
            return None
        try:
            root = self._root_fd()
            if not parts:
                if not directory:
                    raise NotPlain(0, _kind(stat.S_IFDIR))
                return os.open(".", _DIR_OPEN, dir_fd=root)
            return open_within(root, parts, directory)[0]
        except (FileNotFoundError, NotADirectoryError):
            return None
        except NotPlain as exc:
            if exc.link:
                self._link(parts[: exc.at + 1])
            elif not (quiet_dir and "is a directory" in exc.why):
                self.warn.add(path, f"{exc.why}; skipped")
            return None
        except OSError as exc:
            self.warn.add(path, f"cannot {'list' if directory else 'read'} ({_why(exc)}); skipped")
            return None

    def _link(self, parts: tuple[str, ...]) -> None:
        """Report the link at `parts`, which is not followed; a dangling one (MassGen leaves
        dangling workspace links) is passed over in silence."""
        link = os.path.join(self.given, *parts)
        try:
            os.stat(link)
        except FileNotFoundError:
            return
        except OSError as exc:  # a loop
            self.warn.add(link, f"cannot read (a symbolic link: {_why(exc)}); skipped")
            return
        target = os.path.realpath(link)
        root = str(self.root)
        if target == root or target.startswith(root.rstrip(os.sep) + os.sep):
            self.warn.add(link, f"is a symbolic link (to {target}), which is not followed; "
                                "skipped")
        else:
            self.warn.add(link, f"leads outside the run (to {target}); skipped")

    def stat(self, path: Path) -> os.stat_result | None:
        """`path`'s own stat (a link's, not its target's), or None; never a warning."""
        parts = self.parts(path)
        if not parts:
            return None
        try:
            fd, _ = open_within(self._root_fd(), parts[:-1], directory=True) if len(
                parts) > 1 else (os.open(".", _DIR_OPEN, dir_fd=self._root_fd()), None)
        except OSError:
            return None
        try:
            return os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        except OSError:
            return None
        finally:
            os.close(fd)

    def kind(self, path: Path) -> str | None:
        """"file", "dir", "link" or "other" for what `path` is (nothing followed), or None
        when there is nothing there; never a warning."""
        info = self.stat(path)
        if info is None:
            return None
        mode = info.st_mode
        return ("file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode)
                else "link" if stat.S_ISLNK(mode) else "other")

    def open(self, path: Path) -> BinaryIO | None:
        """`path` opened for reading, if it is a plain regular file inside the run."""
        fd = self._open(path)
        return None if fd is None else os.fdopen(fd, "rb")

    def is_file(self, path: Path) -> bool:
        """True for a plain regular file inside the run; a link, a hard link or a FIFO is
        reported."""
        fd = self._open(path, quiet_dir=True)
        if fd is None:
            return False
        os.close(fd)
        return True

    def is_dir(self, path: Path) -> bool:
        """True for a directory inside the run, not a link, that can be entered."""
        fd = self._open(path, directory=True)
        if fd is None:
            return False
        try:
            return os.access(".", os.X_OK, dir_fd=fd)
        except OSError:
            return False
        finally:
            os.close(fd)

    def list_dir(self, path: Path) -> list[Path]:
        """The entries of a directory of the run, or [] (with a warning) when it cannot be listed."""
        fd = self._open(path, directory=True)
        if fd is None:
            return []
        try:
            return [path / name for name in os.listdir(fd)]
        except OSError as exc:
            self.warn.add(path, f"cannot list ({_why(exc)}); skipped")
            return []
        finally:
            os.close(fd)

    def read_bytes(self, path: Path, limit: int) -> bytes | None:
        """Up to `limit` + 1 bytes of `path`, or None when it cannot be read."""
        fd = self._open(path)
        if fd is None:
            return None
        try:
            return read_fd(fd, os.fstat(fd).st_size, limit)
        except OSError as exc:
            self.warn.add(path, f"cannot read ({_why(exc)}); skipped")
            return None
        finally:
            os.close(fd)

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


def mapping(value: Any) -> dict[str, Any]:
    """`value` when it is a mapping as JSON or YAML gave it, else an empty one."""
    return value if isinstance(value, dict) else {}


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
