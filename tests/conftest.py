"""Shared fixtures: an isolated home for each test, and real plugin distributions made on disk."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The emulator fixture is opt-in for plugin authors, as it is here.
pytest_plugins = ["massgen_plugins.testing.fixtures"]

# A suite started in the background of a script (`make test &`) inherits SIGINT ignored, and so
# would every process it starts: the Ctrl-C tests need a user's Ctrl-C to reach them.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REAL_PLUGINS = ("compact_openai", "log_analyzer", "tui_throttle")
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME, XDG config dir and working directory, so no real config leaks in."""
    for var in list(os.environ):
        if var.startswith("MASSGEN_"):
            monkeypatch.delenv(var)
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)  # caches go under this HOME too
    monkeypatch.chdir(tmp_path / "work")
    return tmp_path


@pytest.fixture
def user_config(home: Path) -> Path:
    """Our user config file in the isolated home (the one `plugins disable` writes)."""
    return home / "xdg" / "massgen-plugins" / "config.yaml"


@pytest.fixture
def massgen_user_config(home: Path) -> Path:
    """MassGen's default run config in the isolated home, which we read and never write."""
    return home / "home" / ".config" / "massgen" / "config.yaml"


def lay_plugin(where: Path, name: str, source: str = "", dist: str | None = None,
               version: str = "1.0", module: str | None = None) -> str:
    """Lay down a plugin distribution in the site dir `where`, as pip would; its module's name."""
    module = module or f"fake_{name}"
    dist = dist or f"fake-{name}".replace("_", "-")
    where.mkdir(parents=True, exist_ok=True)
    (where / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = where / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[massgen]\n{name} = {module}\n", encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")
    return module


def lay_seam_modules(site: Path) -> None:
    """Empty files for each seam's module in a stand-in `massgen` under `site` (kept if there).

    The bridge warns at start-up for a seam whose module MassGen lacks; with these, a stand-in
    MassGen has them all, and a probe that never imports them gets no warning for them.
    """
    from massgen_plugins.bridge.seams import SEAMS

    for seam in SEAMS:
        parts = seam.trigger.split(".")
        for depth in range(1, len(parts)):
            package = site.joinpath(*parts[:depth])
            package.mkdir(parents=True, exist_ok=True)
            (package / "__init__.py").touch()
        site.joinpath(*parts).with_suffix(".py").touch()


@pytest.fixture
def make_plugin(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Path]]:
    """Install a plugin distribution into a site dir on sys.path (and PYTHONPATH).

    It is a real distribution as importlib.metadata sees one: a module plus a .dist-info folder
    with METADATA and entry_points.txt, which is what pip lays down.
    """
    site = home / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    made: list[str] = []

    def make(name: str, source: str = "", dist: str | None = None, version: str = "1.0",
             module: str | None = None, where: Path = site) -> Path:
        made.append(lay_plugin(where, name, source, dist, version, module))
        importlib.invalidate_caches()
        return where

    yield make
    for module in made:
        sys.modules.pop(module, None)


@pytest.fixture
def cli(home: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed `massgen-plugins` command in the isolated home and return what it did."""
    script = Path(sys.executable).parent / "massgen-plugins"
    base = [str(script)] if script.exists() else [sys.executable, "-m", "massgen_plugins"]

    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **(env or {})}
        return subprocess.run([*(prefix or []), *base, *args], capture_output=True, text=True,
                              env=full_env, cwd=cwd or Path.cwd(), timeout=120)

    return run


def no_traceback(result: subprocess.CompletedProcess[str]) -> bool:
    """True when neither stream holds a Python traceback."""
    return "Traceback" not in result.stderr and "Traceback" not in result.stdout


REAL_MASSGEN_ENV = "MASSGEN_PLUGINS_REAL_MASSGEN"


@pytest.fixture(scope="session")
def real_massgen() -> Path:
    """The installed real MassGen package's folder; skips without it (fails under make test-massgen).

    Found without importing it: `import massgen` takes over ten seconds.
    """
    from importlib.machinery import PathFinder

    # PathFinder: a lookup through sys.meta_path would start the bridge in this process.
    spec = PathFinder.find_spec("massgen")
    if spec is None or not spec.submodule_search_locations:
        if os.environ.get(REAL_MASSGEN_ENV):
            pytest.fail(f"{REAL_MASSGEN_ENV} is set but massgen is not installed here")
        pytest.skip("needs the real massgen (make test-massgen)")
    return Path(next(iter(spec.submodule_search_locations)))


@pytest.fixture
def real_massgen_absent() -> None:
    """Skips where the real MassGen is installed (the test is about an environment without it)."""
    from importlib.machinery import PathFinder

    if PathFinder.find_spec("massgen") is not None:
        pytest.skip("the real massgen is installed here")
