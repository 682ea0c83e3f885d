"""The public API: one module a plugin imports from, whose names type checkers see as they are."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import massgen_plugins

INIT = Path(massgen_plugins.__file__)


def checked_imports() -> dict[str, tuple[str, str]]:
    """What the TYPE_CHECKING block imports: public name -> (module, attribute)."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If)
                 and isinstance(n.test, ast.Name) and n.test.id == "TYPE_CHECKING")
    return {alias.asname or alias.name: (node.module or "", alias.name)
            for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names}


def test_type_checkers_and_the_runtime_see_the_same_names():
    names = set(massgen_plugins.__all__) - {"__version__"}
    assert checked_imports() == massgen_plugins._EXPORTS
    assert names == set(massgen_plugins._EXPORTS)


def test_every_public_name_resolves_to_what_type_checkers_read():
    import importlib

    for name, (module, attribute) in massgen_plugins._EXPORTS.items():
        assert getattr(massgen_plugins, name) is getattr(importlib.import_module(module),
                                                        attribute), name


def test_importing_the_api_loads_nothing_until_a_name_is_used():
    code = ("import sys, massgen_plugins\n"
            "print(sorted(m for m in sys.modules if m.startswith('massgen_plugins.')))\n"
            "massgen_plugins.Setting\n"
            "print('massgen_plugins.values' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["[]", "True"]
