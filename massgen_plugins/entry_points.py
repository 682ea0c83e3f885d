"""The entry points installed in a group, read straight from the installed metadata.

Kept apart from plugins.py, which needs attrs and pluggy, so that a command listing can check
what is installed without loading either.
"""

from __future__ import annotations

import os
import sys

GROUP = "massgen"


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


def _contributors(group: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(metadata folder, entry points) of each distribution on sys.path with some in `group`."""
    found = []
    seen: set[str] = set()
    for entry in sys.path:
        folder = entry or os.curdir
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith(".dist-info"))
        except OSError:
            continue
        for name in names:
            # Installers name the folder after the normalised distribution name, so it is
            # enough to tell duplicates apart without reading every METADATA file.
            key = normalize(name[: -len(".dist-info")].partition("-")[0])
            if key in seen:
                continue
            seen.add(key)
            info = os.path.join(folder, name)
            entries = _group_of(os.path.join(info, "entry_points.txt"), group)
            if entries:
                found.append((info, entries))
    return found


def _name_and_version(info: str) -> tuple[str, str]:
    """A distribution's Name and Version from its METADATA header, else its folder's name."""
    name, _, version = os.path.basename(info)[: -len(".dist-info")].partition("-")
    try:
        with open(os.path.join(info, "METADATA"), encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    break  # the header ends at the first blank line
                key, _, value = line.partition(":")
                if key == "Name":
                    name = value.strip()
                elif key == "Version":
                    version = value.strip()
    except OSError:
        pass
    return name, version or "?"


def _group_of(path: str, group: str) -> list[tuple[str, str]]:
    """The `name = value` lines of one section of an entry_points.txt (an INI file)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return []
    out, inside = [], False
    for line in lines:
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            inside = line[1:-1].strip() == group
        elif inside and "=" in line and not line.startswith(("#", ";")):
            name, _, value = line.partition("=")
            out.append((name.strip(), value.strip()))
    return out
