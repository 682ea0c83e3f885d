"""Nothing our commands read at start-up can block them: metadata and caches as FIFOs, too big, too deep.

Each command runs in a subprocess with a deadline, so a regression fails the test instead of
hanging the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, no_traceback

EXAMPLE_LOGS = ROOT / "examples" / "massgen_logs"
DEADLINE = 60


def run(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "massgen-plugins"
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=DEADLINE,
                          env=dict(os.environ), cwd=Path.cwd())


def listed(result: subprocess.CompletedProcess[str]) -> dict[str, dict]:
    assert result.returncode == 0 and no_traceback(result), result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)["plugins"]}


def help_cache(home: Path) -> Path:
    return home / "home" / ".cache" / "massgen-plugins" / "commands.json"


@pytest.mark.parametrize("name", ["entry_points.txt", "METADATA"])
def test_a_fifo_in_installed_metadata_blocks_nothing(make_plugin, home, name):
    site = make_plugin("loud", "")
    odd = make_plugin("odd", "", where=site) / "fake_odd-1.0.dist-info"
    (odd / name).unlink()
    os.mkfifo(odd / name)
    for args in (["--help"], ["logs", "--help"]):
        result = run(*args)
        assert result.returncode == 0 and no_traceback(result), result.stderr
    rows = listed(run("plugins", "list", "--json"))
    assert "loud" in rows
    if name == "entry_points.txt":
        assert "odd" not in rows, "its entry points cannot be read, so it offers none"
    else:  # the name and version come from the folder's name instead
        assert (rows["odd"]["distribution"], rows["odd"]["version"]) == ("fake_odd", "1.0")


def test_entry_points_past_the_size_limit_are_skipped(make_plugin, home):
    site = make_plugin("loud", "")
    huge = make_plugin("huge", "", where=site) / "fake_huge-1.0.dist-info" / "entry_points.txt"
    huge.write_text("[massgen]\nhuge = fake_huge\n" + "# padding\n" * 200_000)
    rows = listed(run("plugins", "list", "--json"))
    assert "loud" in rows and "huge" not in rows


def test_a_fifo_for_the_help_cache_is_replaced_by_a_good_record(home):
    cache = help_cache(home)
    cache.parent.mkdir(parents=True)
    os.mkfifo(cache)
    result = run("--help")
    assert result.returncode == 0 and "plugins" in result.stdout and no_traceback(result)
    assert cache.is_file() and json.loads(cache.read_text())["records"]


@pytest.mark.parametrize("damage", ["deep", "shape", "huge", "binary"])
def test_a_damaged_help_cache_is_ignored_and_rebuilt(home, damage):
    assert run("--help").returncode == 0
    cache = help_cache(home)
    good = json.loads(cache.read_text())
    if damage == "deep":
        data = b"[" * 200_000 + b"]" * 200_000
    elif damage == "shape":  # every record under its own, matching, key: the wrong shape
        data = json.dumps({"version": 1, "records": {k: [{"path": 5}, "x"]
                                                     for k in good["records"]}}).encode()
    elif damage == "huge":
        data = json.dumps({"version": 1, "records": good["records"],
                           "pad": "x" * 5_000_000}).encode()
    else:
        data = bytes(range(256)) * 100
    cache.write_bytes(data)
    result = run("--help")
    assert result.returncode == 0 and "logs" in result.stdout and no_traceback(result), (
        result.stderr)
    assert json.loads(cache.read_text())["records"] == good["records"]


def test_a_fifo_for_a_logs_list_cache_is_skipped(home):
    from massgen_plugins.logs.row_cache import RowCache

    base = str(EXAMPLE_LOGS)
    cache = RowCache(Path(base)).path
    cache.parent.mkdir(parents=True)
    os.mkfifo(cache)
    result = run("logs", "list", "--json", "--logs-dir", base)
    assert result.returncode == 0 and no_traceback(result), result.stderr
    assert json.loads(result.stdout)["runs"]
    cache.unlink()
    cache.write_text("[" * 100_000)  # damaged: read again and rebuilt
    again = run("logs", "list", "--json", "--logs-dir", base)
    assert again.returncode == 0 and again.stdout == result.stdout and no_traceback(again)
    assert cache.is_file() and json.loads(cache.read_text())["rows"]


def test_a_fifo_where_a_config_file_goes_is_one_line(home, user_config):
    user_config.parent.mkdir(parents=True)
    os.mkfifo(user_config)
    assert listed(run("plugins", "list", "--json"))  # not a config file: nothing read from it
    result = run("plugins", "disable", "tui_throttle")
    assert result.returncode == 2 and no_traceback(result)
    assert result.stderr == (f"massgen-plugins: error: {user_config}: config is a FIFO, not a "
                             "regular file; replace it with a YAML file\n")
    assert not user_config.is_file()
