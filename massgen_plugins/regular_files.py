"""Reading a small file that must be a regular one: installed metadata, our caches, config.

Anything on sys.path or in a cache folder may be a FIFO, a socket or a device under the
expected name, and a plain `open()` of a FIFO waits for a writer forever. Here the open never
waits (O_NONBLOCK), the descriptor is checked to be a regular file before a byte is read, and
a read stops at a size limit. Imports only `os` and `stat`: `massgen-plugins --help` uses it.
"""

from __future__ import annotations

import os
import stat

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device",
          stat.S_IFBLK: "a device", stat.S_IFDIR: "a directory"}


class NotRegular(OSError):
    """The path names a FIFO, socket, device or directory, not a regular file."""


class TooLarge(OSError):
    """The file holds more bytes than the caller's limit; `size` says how many it holds."""

    def __init__(self, size: int) -> None:
        """A file of `size` bytes."""
        super().__init__(f"holds {size:,} bytes, more than it may")
        self.size = size


def read_regular(path: str | os.PathLike[str], limit: int, head: bool = False) -> bytes:
    """The bytes of the regular file at `path` (following links), without ever blocking.

    Raises OSError: the open's own error, NotRegular, or TooLarge for a file over `limit`
    bytes; with `head`, a longer file gives its first `limit` bytes instead.
    """
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)
        mode = info.st_mode
        if not stat.S_ISREG(mode):
            kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
            raise NotRegular(f"is {kind}, not a regular file")
        chunks: list[bytes] = []
        left = limit + 1  # one byte past the limit tells a file that is too large
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        if not head:
            raise TooLarge(max(info.st_size, len(data)))
        data = data[:limit]
    return data


def read_regular_text(path: str | os.PathLike[str], limit: int) -> str | None:
    """A regular file's text (UTF-8, undecodable bytes replaced), or None for anything else.

    For caches and installed metadata, where an unreadable, odd or oversized file is simply
    not used.
    """
    try:
        return read_regular(path, limit).decode("utf-8", errors="replace")
    except OSError:
        return None
