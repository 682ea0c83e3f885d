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
# All of MassGen's frontend (TUI) tests, but those that need MassGen's repository checkout,
# which its wheel does not ship: 28 of 582, each failing the same without our distributions.
FRONTEND_NEEDS_THE_REPOSITORY = (
    # SVG snapshot baselines (tests/frontend/__snapshots__/); the second file also reads the
    # themes through a path relative to the tests' own folder
    "--ignore=frontend/test_timeline_snapshot_scaffold.py",
    "--ignore=frontend/test_review_modal_snapshot.py",
    "--deselect=frontend/test_subagent_screen_input.py::"
    "test_subagent_input_bar_snapshot_matches_main_input",
    # the repository's scripts/ folder
    "--ignore=frontend/test_dump_timeline_from_events_script.py",
    "--ignore=frontend/test_render_snapshot_svgs_script.py",
    # golden transcripts (tests/frontend/golden/)
    "--ignore=frontend/test_timeline_transcript_golden.py",
    # massgen/frontend/displays/textual_themes/base.tcss, relative to the repository root
    "--deselect=frontend/test_subagent_card_completion.py::test_subagent_column_focus_border_is_thin",
    "--deselect=frontend/test_subagent_card_completion.py::"
    "test_subagent_card_variant_a_uses_single_thin_left_rail",
)
REPORT = """
import json, os
def pytest_sessionfinish(session):
    from massgen_plugins.bridge import runtime
    with open(os.environ["BRIDGE_REPORT"], "w") as fh:
        json.dump(runtime.report(), fh)
"""


@pytest.mark.parametrize(("files", "options", "seam"), [
    (NEAR_OUR_SEAMS, (), "compression"),
    (("frontend",), FRONTEND_NEEDS_THE_REPOSITORY, "tui")],
    ids=["backends-and-compression", "frontend"])
def test_massgens_tests_pass_with_the_bridge_on(real_massgen, tmp_path, files, options, seam):
    # A copy: some of MassGen's tests write next to themselves.
    tests = tmp_path / "tests"
    shutil.copytree(real_massgen / "tests", tests)
    (tmp_path / "bridge_report_plugin.py").write_text(REPORT)
    (tmp_path / "home").mkdir()
    # Our plugins as installed, tui_throttle included: no config of the machine's own.
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MASSGEN")},
           "PYTHONPATH": str(tmp_path), "BRIDGE_REPORT": str(tmp_path / "bridge.json"),
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "HOME": str(tmp_path / "home"),
           "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
         "bridge_report_plugin", "-o", "asyncio_mode=auto", "--rootdir", str(tests),
         f"--snapshot-report={tmp_path / 'snapshots.html'}", *options,
         *(str(tests / f) for f in files)],
        capture_output=True, text=True, cwd=tests, env=env, timeout=900)
    tail = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in tail and "failed" not in tail and "error" not in tail, tail
    report = json.loads((tmp_path / "bridge.json").read_text())
    assert report["active"] and report["massgen_version"] == "0.1.97"
    assert {s["name"]: s["status"] for s in report["seams"]}[seam] == "wrapped"
