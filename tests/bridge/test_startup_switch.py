"""MASSGEN_PLUGINS_BRIDGE takes the documented values, and the start-up hook fails quietly.

The hook starts the way it does in a user's environment: from the .pth line, at interpreter
start, in a fresh process that then imports a stand-in `massgen` (the real one takes 20 s and
is tested in tests/massgen/).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT, lay_seam_modules

AUTOLOAD = ROOT / "massgen_plugins" / "bridge" / "autoload"
# The source, whichever copy this environment installed (a wheel moves it out of the package).
_spec = importlib.util.spec_from_file_location("_startup_under_test",
                                               AUTOLOAD / "_massgen_plugins_bridge.py")
assert _spec is not None and _spec.loader is not None
startup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(startup)
PROBE = "import sys, massgen; print('STARTED', 'massgen_plugins.bridge.runtime' in sys.modules)"
ON = ["1", "on", "ON", " yes ", "True", "enabled", "ENABLED", ""]
OFF = ["0", "off", "Off", "false", "NO", "disabled", " Disabled\t"]
UNKNOWN = ["none", "n", "-1", "disable", "2", "of f", "\x1b[2J"]


@pytest.fixture
def site(tmp_path: Path, home: Path) -> Path:
    """A stand-in MassGen of a version the bridge knows, on PYTHONPATH for the probe."""
    from importlib.machinery import PathFinder

    if PathFinder.find_spec("massgen") is not None:
        pytest.skip("the real massgen is installed here: tests/massgen covers it")
    site = tmp_path / "site"
    (site / "massgen").mkdir(parents=True)
    (site / "massgen" / "__init__.py").write_text("")
    info = site / "massgen-0.1.97.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: massgen\nVersion: 0.1.97\n")
    lay_seam_modules(site)
    return site


def probe(site: Path, home: Path, value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN")}
    env["PYTHONPATH"] = str(site)
    if value is not None:
        env[startup.ENV] = value
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, cwd=home, timeout=60)


@pytest.mark.parametrize("value", [None, *ON])
def test_on_values_start_the_bridge_without_a_word(site, home, value):
    result = probe(site, home, value)
    assert (result.stdout, result.stderr) == ("STARTED True\n", "")


@pytest.mark.parametrize("value", OFF)
def test_off_values_leave_massgen_alone(site, home, value):
    result = probe(site, home, value)
    assert (result.stdout, result.stderr) == ("STARTED False\n", "")


@pytest.mark.parametrize("value", UNKNOWN)
def test_any_other_value_is_one_warning_and_the_default(site, home, value):
    result = probe(site, home, value)
    assert result.stdout == "STARTED True\n"
    assert result.stderr.splitlines() == [
        f"massgen-plugins: warning: MASSGEN_PLUGINS_BRIDGE={value!r} is not one of 1, on, true, "
        "yes, enabled (on) or 0, off, false, no, disabled (off); the bridge stays on, the default"]


@pytest.mark.parametrize("value", [*OFF, *UNKNOWN[:3]])
def test_doctor_reads_the_values_as_the_hook_does(site, home, monkeypatch, value):
    from massgen_plugins.cli.doctor import diagnose

    monkeypatch.syspath_prepend(str(site))
    bridge = diagnose({startup.ENV: value})["bridge"]
    on, warning = startup.switch(value)
    if on:
        assert bridge["active"] and bridge["why"].endswith(f"; {warning}")
    else:
        assert bridge == {**bridge, "active": False, "why": f"switched off: {startup.ENV}={value}"}


def bare_venv(root: Path) -> tuple[Path, Path]:
    """A virtual environment of this interpreter with nothing installed: python, site-packages."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    python = root / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True, check=True,
                             timeout=60).stdout.strip()
    return python, Path(purelib)


def test_a_pth_left_without_its_module_costs_nothing(tmp_path):
    python, packages = bare_venv(tmp_path / "env")
    shutil.copy(AUTOLOAD / "massgen_plugins_bridge.pth", packages)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", startup.ENV)}
    code = "import sys; print(any(type(f).__name__ == 'MassgenWatcher' for f in sys.meta_path))"
    alone = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env,
                           timeout=60)
    assert (alone.returncode, alone.stdout, alone.stderr) == (0, "False\n", "")
    shutil.copy(AUTOLOAD / "_massgen_plugins_bridge.py", packages)
    paired = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env,
                            timeout=60)
    assert (paired.returncode, paired.stdout, paired.stderr) == (0, "True\n", "")


def test_doctor_reading_the_values_starts_nothing():
    # doctor imports the hook module for its values; only the .pth line (and `run`) install().
    code = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "
            "'MassgenWatcher']; from massgen_plugins.cli.doctor import bridge_switch; "
            "print(bridge_switch('off'), any(type(f).__name__ == 'MassgenWatcher' "
            "for f in sys.meta_path))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)
    assert (done.stdout, done.stderr) == ("(False, None) False\n", "")
