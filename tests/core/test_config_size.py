"""A large config loads in about the time its parse takes: merging its values costs no more."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

LOAD = """
import sys
from massgen_plugins.config import Config
config = Config.load(sys.argv[1], environ={})
print(len(config.get("model_catalog")), config.source("model_catalog.openai/model-11999.context_window"))
"""


def test_a_config_of_thousands_of_values_loads_and_keeps_each_source(home, tmp_path):
    # 0.6 MB: each value set used to scan the sources of all the values before it.
    path = tmp_path / "big.yaml"
    path.write_text("model_catalog:\n" + "".join(
        f"  openai/model-{i}:\n    context_window: 128000\n    max_output_tokens: 4096\n"
        for i in range(12_000)))
    result = subprocess.run([sys.executable, "-c", LOAD, str(path)], capture_output=True,
                            text=True, timeout=150, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"12000 {path}\n"
