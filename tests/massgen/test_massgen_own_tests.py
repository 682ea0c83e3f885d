"""MassGen's own bundled tests near our seams pass with our distributions installed, bridge on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

# MassGen 0.1.97's tests of its backends, context recovery and message formatting. The bundled
# test files that need the repository (snapshots, golden files, scripts) are left out.
NEAR_OUR_SEAMS = ("backend/test_compression_utils.py", "test_response_duplicate_items.py",
                  "test_backend_capabilities.py", "test_cli_backends.py",
                  "test_message_context_building.py", "test_backend_cost_tracking.py")
REPORT = """
import json, os
def pytest_sessionfinish(session):
    from massgen_plugins.bridge import runtime
    with open(os.environ["BRIDGE_REPORT"], "w") as fh:
        json.dump(runtime.report(), fh)
"""


@pytest.mark.parametrize("files", [NEAR_OUR_SEAMS], ids=["backends-and-compression"])
def test_massgens_tests_pass_with_the_bridge_on(real_massgen, tmp_path, files):
    # A copy: some of MassGen's tests write next to themselves.
    tests = tmp_path / "tests"
    shutil.copytree(real_massgen / "tests", tests)
    (tmp_path / "bridge_report_plugin.py").write_text(REPORT)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MASSGEN")},
           "PYTHONPATH": str(tmp_path), "BRIDGE_REPORT": str(tmp_path / "bridge.json"),
           "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
         "bridge_report_plugin", "-o", "asyncio_mode=auto", *(str(tests / f) for f in files)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    tail = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in tail and "failed" not in tail and "error" not in tail, tail
    report = json.loads((tmp_path / "bridge.json").read_text())
    assert report["active"] and report["massgen_version"] == "0.1.97"
    assert {s["name"]: s["status"] for s in report["seams"]}["compression"] == "wrapped"
