"""Writing a plugin switch (`plugins.<name>.enabled`) into one of our config files.

Our files are never MassGen's (see paths.py), but they are the user's, so a switch changes
only the text it must: the value of an existing `enabled`, or a line or two inserted, or a
`plugins:` section appended. Every other byte (keys, quotes, comments, indentation) stays as
it was. Only where the file writes `plugins` in flow style (`plugins: {a: {}}`) is the file dumped
again by ruamel's round trip, which keeps comments and order but may respace.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from massgen_plugins.config import (
    ENABLED,
    PLUGINS,
    parse_yaml,
    plain,
    read_text,
    round_trip_yaml,
    validate_plugins_section,
    write_atomic,
)

_BOOL = re.compile(r"(?:true|false|True|False|TRUE|FALSE)\b")


def set_plugin_enabled(path: Path, name: str, enabled: bool) -> Path:
    """Write `plugins.<name>.enabled` into one file, changing nothing else; return the file written.

    A symlinked config (a dotfiles repository) is written at its target and the link kept. The
    read, change and write happen under a lock, so writers at once never lose a switch.
    """
    from filelock import FileLock

    target = path.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(target.parent / f".{target.name}.lock"):
        text = read_text(target) if target.exists() else ""
        # The one-line error for a broken file, before anything is written.
        data = parse_yaml(text, target)
        plugins = data.get(PLUGINS)
        if plugins is not None:
            validate_plugins_section(plugins, path, data)
        new = _edited(text, data, name, enabled)
        if new is None or not _only_the_switch_changed(data, new, name, enabled):
            new = _dumped(text, name, enabled)
        write_atomic(target, lambda fh: fh.write(new))
    return target


def _edited(text: str, data: Any, name: str, enabled: bool) -> str | None:
    """The text with the switch set by a line edit, or None where only a dump can do it."""
    value = "true" if enabled else "false"
    lines = text.splitlines(keepends=True)
    plugins = data.get(PLUGINS)
    if plugins is None:
        # At the column of the file's own top-level keys (some files indent them all).
        line, col = _first_key(data) if data and _block(data) else (len(lines), 0)
        pad = " " * col
        section = [f"{pad}{PLUGINS}:\n", f"{pad}  {name}:\n", f"{pad}    {ENABLED}: {value}\n"]
        if not text or text.endswith("\n"):
            return text + "".join(section)
        # The last line has no newline and may end a block scalar (a MassGen prompt), which
        # would gain one if text followed it: put the section above the first key instead.
        return _insert(lines, line, section)
    if not _block(plugins) or not plugins:
        return None
    section = plugins.get(name)
    if section is None:
        line, col = _first_key(plugins)
        return _insert(lines, line, [f"{' ' * col}{name}:\n", f"{' ' * (col + 2)}{ENABLED}: {value}\n"])
    if not _block(section) or not section:
        return None
    if ENABLED in section:
        line, col = section.lc.value(ENABLED)
        match = _BOOL.match(lines[line], col)
        if match is None:
            return None
        lines[line] = lines[line][:col] + value + lines[line][match.end():]
        return "".join(lines)
    line, col = _first_key(section)
    return _insert(lines, line, [f"{' ' * col}{ENABLED}: {value}\n"])


def _block(node: Any) -> bool:
    return hasattr(node, "lc") and not node.fa.flow_style()


def _first_key(node: Any) -> tuple[int, int]:
    """Line and column of a block mapping's first key: new keys go just above it, aligned."""
    line, col = node.lc.key(next(iter(node)))
    return line, col


def _insert(lines: list[str], at: int, new: list[str]) -> str:
    return "".join(lines[:at] + new + lines[at:])


def _only_the_switch_changed(before: Any, text: str, name: str, enabled: bool) -> bool:
    """Parse the edited text: the switch is set, and everything else reads as it did."""
    try:
        after = plain(parse_yaml(text, "edited config"))
    except Exception:
        return False
    want = plain(before) if before else {}
    want.setdefault(PLUGINS, {})
    want[PLUGINS] = dict(want[PLUGINS] or {})
    want[PLUGINS][name] = {**(want[PLUGINS].get(name) or {}), ENABLED: enabled}
    return bool(after == want)


def _dumped(text: str, name: str, enabled: bool) -> str:
    """The whole file through ruamel's round trip: comments and order kept, spacing may not be."""
    import io

    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.util import load_yaml_guess_indent

    _, indent, block_seq_indent = load_yaml_guess_indent(text) if text.strip() else (None, 2, 0)
    indent = indent or 2  # None where the file has no nested block to guess from
    yaml = round_trip_yaml()
    yaml.preserve_quotes = True
    yaml.width = 1 << 30  # never refold a long line (a MassGen system prompt)
    yaml.indent(mapping=indent, sequence=indent + (block_seq_indent or 0),
                offset=block_seq_indent or 0)
    data = (yaml.load(text) if text.strip() else None) or CommentedMap()
    plugins = data.get(PLUGINS)
    if plugins is None:
        plugins = data[PLUGINS] = CommentedMap()
    section = plugins.get(name)
    if section is None:
        section = plugins[name] = CommentedMap()
    section[ENABLED] = enabled
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
