"""The bridge against a MassGen it does not know: one line per missing seam, MassGen untouched.

A stand-in `massgen` package (the real one takes 20 s to import and is tested in
tests/massgen/) is laid out as a distribution with the seam modules; the bridge starts the way
it does in a user's environment, from the .pth line, when the process imports `massgen`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import lay_seam_modules

BASE = """
class CustomToolAndMCPBackend:
    async def _compress_messages_for_context_recovery(self, messages, buffer_content=None):
        return ["massgen's own summary"]
"""
RESPONSE_OK = """
from massgen.backend.base_with_custom_tool_and_mcp import CustomToolAndMCPBackend

class ResponseBackend(CustomToolAndMCPBackend):
    async def _compress_messages_for_context_recovery(self, messages, buffer_content=None):
        return ["massgen's own summary"]

    async def _create_response_stream(self, api_params, client, ws_transport=None, agent_id=None):
        return None
"""
# A later MassGen that renamed the parameter: the seam must not be wrapped.
RESPONSE_CHANGED = RESPONSE_OK.replace(
    "async def _compress_messages_for_context_recovery(self, messages, buffer_content=None)",
    "async def _compress_messages_for_context_recovery(self, history, buffer=None)", 1)
CONFIG_LOADING = """
def load_config_file(config_path):
    return {}, {}
"""
PROBE = """
import asyncio, massgen.cli.config_loading, massgen.backend.response as r
print("RESULT", asyncio.run(r.ResponseBackend()._compress_messages_for_context_recovery(["m"])))
print("WRAPPED", hasattr(r.ResponseBackend.__dict__["_compress_messages_for_context_recovery"],
                         "__wrapped__"))
"""


def fake_massgen(site: Path, version: str, response: str, cli: bool = True) -> None:
    files = {"massgen/__init__.py": "",
             **({"massgen/cli/__init__.py": "", "massgen/cli/config_loading.py": CONFIG_LOADING}
                if cli else {}),
             "massgen/backend/__init__.py": "",
             "massgen/backend/base_with_custom_tool_and_mcp.py": BASE,
             "massgen/backend/response.py": response,
             f"massgen-{version}.dist-info/METADATA":
                 f"Metadata-Version: 2.1\nName: massgen\nVersion: {version}\n",
             f"massgen-{version}.dist-info/RECORD": ""}
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(textwrap.dedent(text))
    lay_seam_modules(site)  # the other seams' modules, never imported by the probes
    if not cli:
        shutil.rmtree(site / "massgen" / "cli")


def metadata_range() -> str:
    """The `massgen` extra of the root pyproject.toml, as "LOW to HIGH"."""
    import re
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    (requirement,) = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"][
        "massgen"]
    low, high = re.fullmatch(r"massgen>=([\d.]+),<=([\d.]+)", requirement).groups()
    return f"{low} to {high}"


def run_probe(site: Path, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("MASSGEN")},
            "PYTHONPATH": str(site), **env}
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=full,
                          cwd=home, timeout=60)


@pytest.fixture
def site(tmp_path: Path, home: Path) -> Path:
    if importlib_has_real_massgen():
        pytest.skip("the real massgen is installed here: tests/massgen covers it")
    return tmp_path / "site"


def importlib_has_real_massgen() -> bool:
    from importlib.machinery import PathFinder

    return PathFinder.find_spec("massgen") is not None


def test_a_known_massgen_gets_its_seams_wrapped(site, home):
    fake_massgen(site, "0.1.97", RESPONSE_OK)
    result = run_probe(site, home)
    assert result.returncode == 0, result.stderr
    assert "WRAPPED True" in result.stdout
    # No plugin answers for this stand-in backend: MassGen's method ran, and the run says so.
    assert "RESULT [\"massgen's own summary\"]" in result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith("massgen-plugins: compressed an agent's context with MassGen's "
                           "summarization: 1 item (~2 tokens) -> 1 item (~7 tokens); cost not "
                           "reported by MassGen;")


def test_an_unknown_massgen_is_one_line_per_missing_seam_and_runs_as_without_us(site, home):
    fake_massgen(site, "0.2.0", RESPONSE_CHANGED)
    result = run_probe(site, home)
    assert result.returncode == 0, result.stderr
    assert "RESULT [\"massgen's own summary\"]" in result.stdout
    assert "WRAPPED False" in result.stdout
    assert result.stderr.splitlines() == [
        "massgen-plugins: warning: bridge: MassGen 0.2.0 is not a version this bridge was built "
        f"against ({metadata_range()}); each seam is checked before it is wrapped",
        "massgen-plugins: warning: bridge: seam 'compression' not found in MassGen 0.2.0: "
        "massgen.backend.response.ResponseBackend._compress_messages_for_context_recovery takes "
        "(history, buffer), not (messages, buffer_content); MassGen's own summarization handles "
        "every context overflow"]


def test_the_off_switch_leaves_massgen_alone(site, home):
    fake_massgen(site, "0.2.0", RESPONSE_CHANGED)
    result = run_probe(site, home, MASSGEN_PLUGINS_BRIDGE="0")
    assert result.returncode == 0 and result.stderr == ""
    assert "WRAPPED False" in result.stdout


def test_doctor_checks_the_seams_in_the_source(site, home, cli):
    fake_massgen(site, "0.2.0", RESPONSE_CHANGED)
    result = cli("doctor", "--json", env={"PYTHONPATH": str(site)})
    import json

    report = json.loads(result.stdout)
    assert report["massgen"] == {"found": True, "version": "0.2.0", "path": str(site / "massgen"),
                                 "known_version": False, "built_against": metadata_range()}
    seams = {s["name"]: s for s in report["seams"]}
    assert seams["run_config"]["status"] == "ok"
    assert seams["compression"]["status"] == "missing"
    assert "takes (history, buffer)" in seams["compression"]["detail"]
    assert seams["compression"]["plugins"] == ["compact_openai"]
    assert report["bridge"]["active"] is True, "the .pth is installed in this environment"
    off = json.loads(cli("doctor", "--json", env={"PYTHONPATH": str(site),
                                                 "MASSGEN_PLUGINS_BRIDGE": "0"}).stdout)
    assert off["bridge"] == {**report["bridge"], "active": False,
                             "why": "switched off: MASSGEN_PLUGINS_BRIDGE=0"}


TUI_FILES = {
    "massgen/frontend/__init__.py": "",
    "massgen/frontend/displays/__init__.py": "",
    "massgen/frontend/displays/textual_terminal_display.py": """
        class TextualApp:
            def _handle_event_from_emitter(self, event): pass
            def update_turn_header(self, turn, question): pass
            def on_unmount(self): pass
    """,
    "massgen/frontend/displays/textual_widgets/__init__.py": "",
    "massgen/frontend/displays/textual_widgets/content_sections.py": """
        class TimelineSection:
            def watch_scroll_y(self, old_value, new_value): pass
            def _scroll_to_end(self, animate=False, duration=None, force=False): pass
    """,
    "massgen/frontend/displays/content_processor.py": """
        class ContentProcessor:
            def process_event(self, event, round_number=1): pass
    """,
    "massgen/frontend/displays/tui_event_pipeline.py": """
        def _sanitize_textual_retry_text(text): return text
    """,
    # A later MassGen whose card no longer has the cleaning the joins rely on.
    "massgen/frontend/displays/textual_widgets/collapsible_text_card.py": """
        class CollapsibleTextCard:
            pass
    """,
}
TUI_PROBE = """
import massgen.frontend.displays.textual_terminal_display as t
print("WRAPPED", hasattr(t.TextualApp.__dict__["_handle_event_from_emitter"], "__wrapped__"))
"""


def test_a_tui_seam_without_massgen_s_delta_cleaning_is_wrapped_and_says_what_it_lacks(
        site, home, cli):
    fake_massgen(site, "0.1.97", RESPONSE_OK)
    for name, text in TUI_FILES.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(textwrap.dedent(text))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MASSGEN")},
           "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", TUI_PROBE], capture_output=True, text=True,
                            env=env, cwd=home, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "WRAPPED True" in result.stdout
    assert result.stderr.splitlines() == [
        "massgen-plugins: warning: bridge: seam 'tui' in MassGen 0.1.97: "
        "massgen.frontend.displays.textual_widgets.collapsible_text_card.CollapsibleTextCard."
        "_clean_content does not exist; event sinks pace MassGen's TUI but merge no deltas"]
    import json

    report = json.loads(cli("doctor", "--json", env={"PYTHONPATH": str(site)}).stdout)
    tui = {s["name"]: s for s in report["seams"]}["tui"]
    assert tui["status"] == "partial" and "_clean_content does not exist" in tui["detail"]
    shown = cli("doctor", env={"PYTHONPATH": str(site)}).stdout
    assert "tui          partial" in shown and "without what it uses: event sinks pace" in shown


def test_doctor_and_the_bridge_read_the_range_from_the_package_metadata(site, home, cli):
    low, high = metadata_range().split(" to ")
    for version, known in ((low, True), (high, True), ("0.1.0", False), ("0.9.0", False)):
        for info in site.glob("massgen-*.dist-info"):
            shutil.rmtree(info)
        fake_massgen(site, version, RESPONSE_OK)
        report = json.loads(cli("doctor", "--json", env={"PYTHONPATH": str(site)}).stdout)
        assert report["massgen"]["built_against"] == metadata_range()
        assert report["massgen"]["known_version"] is known, version
        result = run_probe(site, home)
        assert result.returncode == 0, result.stderr
        assert ("is not a version this bridge was built against" in result.stderr) is not known


def test_a_seam_whose_module_this_massgen_lacks_is_one_warning_and_doctor_says_why(
        site, home, cli):
    # A MassGen without massgen.cli at all: the hook on its module would never fire.
    low = metadata_range().split(" to ")[0]
    fake_massgen(site, low, RESPONSE_OK, cli=False)
    probe = "import massgen, massgen.backend.response\nprint('RAN')\n"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MASSGEN")},
           "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=env, cwd=home, timeout=60)
    assert result.returncode == 0 and result.stdout == "RAN\n", result.stderr
    assert result.stderr.splitlines() == [
        f"massgen-plugins: warning: bridge: seam 'run_config' not found in MassGen {low}: no "
        "module massgen.cli.config_loading or massgen.cli in this MassGen; plugins: in the run "
        "config given with --config is not read (the user and project files still are)"]
    report = json.loads(cli("doctor", "--json", env={"PYTHONPATH": str(site)}).stdout)
    run_config = {s["name"]: s for s in report["seams"]}["run_config"]
    assert run_config["status"] == "missing"
    assert run_config["detail"] == ("no module massgen.cli.config_loading or massgen.cli in "
                                    "this MassGen")


def test_before_0_1_93_the_run_config_seam_wraps_massgen_cli(site, home, cli):
    # MassGen's CLI was one module then; its main() calls load_config_file by name.
    low = metadata_range().split(" to ")[0]
    fake_massgen(site, low, RESPONSE_OK, cli=False)
    (site / "massgen/cli.py").write_text(textwrap.dedent(CONFIG_LOADING) + textwrap.dedent("""
        def main(path):
            load_config_file(path)
    """))
    (home / "work" / "run.yaml").write_text("plugins: {}\n")
    probe = ("import massgen.cli\nmassgen.cli.main('run.yaml')\n"
             "from massgen_plugins.bridge import runtime\nprint(runtime.BRIDGE.run_config)\n")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MASSGEN")},
           "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=env, cwd=home / "work", timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout.strip() == str(home / "work" / "run.yaml")
    report = json.loads(cli("doctor", "--json", env={"PYTHONPATH": str(site)}).stdout)
    run_config = {s["name"]: s for s in report["seams"]}["run_config"]
    assert run_config == {**run_config, "status": "ok", "detail": "",
                          "targets": ["massgen.cli.load_config_file"]}


def test_doctor_fits_the_terminal_and_says_why_a_seam_is_missing(site, home, cli):
    fake_massgen(site, "0.2.0", RESPONSE_CHANGED)
    env = {"PYTHONPATH": str(site), "COLUMNS": "80"}
    for args in (["doctor"], ["doctor", "--verbose"]):
        out = cli(*args, env=env).stdout.splitlines()
        # A path longer than the terminal is the only line that may not fit: it cannot break.
        assert all(len(line) <= 80 for line in out if "/" not in line), out
    brief = cli("doctor", env=env).stdout
    assert "  compression  missing" in brief
    assert "why: massgen.backend.response.ResponseBackend." in brief
    assert "without it: MassGen's own summarization handles every context overflow" in brief
    assert "wraps" not in brief and "wraps" in cli("doctor", "-v", env=env).stdout


def test_doctor_without_massgen_says_so_in_one_line(home, cli, real_massgen_absent):
    out = cli("doctor", env={"COLUMNS": "80"}).stdout.splitlines()
    assert out[0] == "MassGen  not installed here: the bridge has nothing to do"
    (seams,) = [line for line in out if line.startswith("Seams")]
    assert seams == "Seams    not checked without MassGen (run_config, compression, tui, logs_cli)"
    assert len(out) <= 4, out
