"""Every help page of ours fits an 80-column terminal."""

from __future__ import annotations

WIDTH = 80


def test_every_help_page_fits_80_columns(cli):
    pages, todo, seen = {}, [[]], set()
    while todo:
        path = todo.pop()
        result = cli(*path, "--help", env={"COLUMNS": str(WIDTH)})
        assert result.returncode == 0, (path, result.stderr)
        pages[" ".join(path) or "massgen-plugins"] = result.stdout
        listing = False
        for line in result.stdout.splitlines():
            if line.strip() == "Commands:":
                listing = True
            elif listing and line.startswith("  ") and not line.startswith("    "):
                name = [*path, line.split()[0]]
                if tuple(name) not in seen:
                    seen.add(tuple(name))
                    todo.append(name)
    assert {"logs analyze", "logs models", "config show", "plugins list"} <= set(pages)
    wide = {name: [line for line in text.splitlines() if len(line) > WIDTH]
            for name, text in pages.items()}
    assert {name: lines for name, lines in wide.items() if lines} == {}
