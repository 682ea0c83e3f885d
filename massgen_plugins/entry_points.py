"""The entry points installed in a group, read straight from the installed metadata.

Kept apart from plugins.py, which needs attrs and pluggy, so that a command listing can check
what is installed without loading either.
"""

from __future__ import annotations

import os
import sys

from massgen_plugins.regular_files import read_regular, read_regular_text

GROUP = "massgen"
# An entry_points.txt is a few lines; METADATA's header, a few kilobytes (its body, the README,
# is never needed). Anything larger, or not a regular file (a FIFO would block), is skipped.
MAX_ENTRY_POINTS_BYTES = 1024 * 1024
METADATA_HEAD_BYTES = 64 * 1024


def normalize(name: str) -> str:
    """Plugin names compare case-blind, with `-` and `_` alike."""
    return name.strip().lower().replace("-", "_")


def installed_entry_points(group: str = GROUP) -> list[tuple[str, str, str, str]]:
    """(name, value, distribution, version) of each entry point in `group`, in sys.path order.

    A direct read of the `*.dist-info/entry_points.txt` files on sys.path, which is what
    importlib.metadata does too, at a quarter of its cost: importing it (and the email parser
    it reads METADATA with) was most of `massgen-plugins --help`. A distribution seen twice (an
    editable install on two path entries) counts once, the first, as importlib.metadata has it.
    """
    found: list[tuple[str, str, str, str]] = []
    for info, entries in _contributors(group):
        dist, version = _name_and_version(info)
        found.extend((name, value, dist, version) for name, value in entries)
    return found


def installed_stamps(group: str = GROUP) -> list[tuple[str, int]]:
    """(metadata folder, modification time) of each distribution with entry points in `group`.

    Installing, upgrading or reinstalling a distribution rewrites its folder, so these change
    when the code behind the entry points may have.
    """
    stamps = []
    for info, _ in _contributors(group):
        try:
            stamps.append((info, os.stat(info).st_mtime_ns))
        except OSError:
            stamps.append((info, 0))
    return stamps


def _dist_infos() -> list[tuple[str, str]]:
    """(normalised distribution name, metadata folder) of each *.dist-info, in sys.path order."""
    found = []
    for entry in sys.path:
        folder = entry or os.curdir
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith(".dist-info"))
        except OSError:
            continue
        # Installers name the folder after the normalised distribution name, so it is enough
        # to tell distributions apart without reading every METADATA file.
        found += [(normalize(n[: -len(".dist-info")].partition("-")[0]), os.path.join(folder, n))
                  for n in names]
    return found


def _contributors(group: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(metadata folder, entry points) of each distribution on sys.path with some in `group`."""
    found = []
    seen: set[str] = set()
    for key, info in _dist_infos():
        if key in seen:
            continue
        seen.add(key)
        entries = _group_of(os.path.join(info, "entry_points.txt"), group)
        if entries:
            found.append((info, entries))
    return found


def installed_version(distribution: str) -> str | None:
    """The version of an installed distribution (the first on sys.path), or None without it."""
    want = normalize(distribution)
    for key, info in _dist_infos():
        if key == want:
            version = _name_and_version(info)[1]
            return None if version == "?" else version
    return None


def _name_and_version(info: str) -> tuple[str, str]:
    """A distribution's Name and Version from its METADATA header, else its folder's name."""
    name, _, version = os.path.basename(info)[: -len(".dist-info")].partition("-")
    try:
        head = read_regular(os.path.join(info, "METADATA"), METADATA_HEAD_BYTES, head=True)
    except OSError:
        head = b""
    for line in head.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            break  # the header ends at the first blank line
        key, _, value = line.partition(":")
        if key == "Name":
            name = value.strip()
        elif key == "Version":
            version = value.strip()
    return name, version or "?"


def _group_of(path: str, group: str) -> list[tuple[str, str]]:
    """The `name = value` lines of one section of an entry_points.txt (an INI file)."""
    text = read_regular_text(path, MAX_ENTRY_POINTS_BYTES)
    if text is None:
        return []
    out, inside = [], False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            inside = line[1:-1].strip() == group
        elif inside and "=" in line and not line.startswith(("#", ";")):
            name, _, value = line.partition("=")
            out.append((name.strip(), value.strip()))
    return out
