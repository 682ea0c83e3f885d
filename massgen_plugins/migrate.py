"""`massgen-plugins config migrate`: our settings out of a MassGen file that holds nothing else.

Older `massgen-plugins plugins disable` wrote its switch into `~/.config/massgen/config.yaml`
(or `.massgen/config.yaml`), creating the file when there was none. MassGen takes that file as
its run config, and one holding only `plugins:` makes `massgen "question"` fail. Such a file
is moved to our own file of the same level: verbatim when ours is empty, else merged into it
(ours keeps its values, as it already outranked MassGen's) with the old text kept below as
comments. MassGen's file is removed only once ours is written, and only if it is still what
was read. A MassGen file that also holds MassGen's settings is left as it is: MassGen
ignores our keys there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from massgen_plugins.config import (
    CORE_SCHEMA,
    OURS_FOR,
    Config,
    ConfigFile,
    config_files,
    leaves,
    only_ours,
    parse_yaml,
    plain,
    read_text,
    round_trip_yaml,
    write_atomic,
)
from massgen_plugins.errors import ConfigError


def migrate() -> list[str]:
    """Move our settings out of each MassGen file that holds nothing else; what was done, by line."""
    files = config_files()
    planned = []
    lines = []
    # Every file is read and parsed before anything is written: a broken one stops it all.
    for file in files:
        if not file.massgens or not file.exists:
            continue
        text = read_text(file.path)
        data = parse_yaml(text, file.path)
        if only_ours(data):
            target = next(f for f in files if f.role == OURS_FOR[file.role])
            planned.append((file, text, data, target))
        elif any(str(key) in CORE_SCHEMA for key in data):
            lines.append(f"{file.path}: a MassGen config that holds massgen-plugins settings "
                         "too; left as it is (MassGen ignores them)")
    for file, text, data, target in planned:
        lines += _move(file, text, data, target.path)
    if not planned:
        lines.append("Nothing to migrate: no file MassGen reads holds only massgen-plugins "
                     "settings.")
    return lines


def _move(file: ConfigFile, text: str, data: Any, target: Path) -> list[str]:
    from filelock import FileLock

    real = target.resolve()
    real.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(real.parent / f".{real.name}.lock"):
        ours = read_text(real) if real.exists() else ""
        kept = parse_yaml(ours, real)
        if kept:
            new = _merged(ours, text, file.path)
            verb = (f"merged {file.path} into {target} (where a value is set in both, the one "
                    "already there stays; its text is kept there as comments)")
        else:  # nothing there, or only comments: they stay, above the text moved
            new = ours + ("\n" if ours and not ours.endswith("\n") else "") + text
            verb = f"moved {file.path} to {target}"
        want = _effective(data, kept)
        if _effective(parse_yaml(new, real)) != want:  # never write what reads differently
            raise ConfigError(f"{file.path}: cannot merge it into {target} without changing a "
                              "value; move its settings there by hand")
        write_atomic(real, lambda fh: fh.write(new))
    lines = [verb]
    try:
        still = read_text(file.path)
    except ConfigError:
        still = None
    if still != text:
        return [*lines, f"{file.path} changed meanwhile, so it is left in place; run "
                        "`massgen-plugins config migrate` again"]
    link = file.path.is_symlink()
    os.unlink(file.path)
    if link:
        return [*lines, f"removed the link {file.path} (the file it pointed to is left as it "
                        "was)"]
    return [*lines, f"removed {file.path}, so MassGen runs as if it had never been written"]


def _effective(*layers: Any) -> dict[str, Any]:
    """The values `layers` give, lowest first, merged as the config files are."""
    merged = Config(files=[])
    for data in layers:
        for path, value in leaves(plain(data)):
            merged.set(path, value, "")
    return merged.values


def _merged(ours: str, theirs: str, source: Path) -> str:
    """Our file's text with the settings of `theirs` it lacks added, and `theirs` as comments."""
    import io

    yaml = round_trip_yaml()
    yaml.width = 1 << 30  # never refold a long line
    target = yaml.load(ours)
    _fill(target, yaml.load(theirs))
    out = io.StringIO()
    yaml.dump(target, out)
    kept = "".join(f"# {line}" for line in theirs.splitlines(keepends=True))
    if not kept.endswith("\n"):
        kept += "\n"
    return (out.getvalue() + f"# Moved here from {source} by `massgen-plugins config migrate`;"
            " the settings above include it. Its text was:\n" + kept)


def _fill(ours: Any, theirs: Mapping[str, Any]) -> None:
    """Add to `ours` each setting of `theirs` it lacks, as a lower config layer would give it."""
    for key, value in theirs.items():
        if key not in ours:
            ours[key] = value
        elif isinstance(ours[key], Mapping) and ours[key] and isinstance(value, Mapping):
            _fill(ours[key], value)
