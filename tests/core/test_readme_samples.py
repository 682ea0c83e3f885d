"""Every console sample of our program's output in README.md is what the program prints today.

A sample is a fenced block right after a marker line:

    <!-- sample: [VAR=VALUE ...] massgen-plugins ARGS -->
    <!-- sample with MassGen: ... -->      (runs only where the real MassGen is installed)
    <!-- sample without MassGen: ... -->   (runs only where it is not)

The block starts with the `$ massgen-plugins ...` line a reader types, then the output. The
command runs from the repository's root in the isolated home of the `cli` fixture; paths of
this machine in its output (site-packages, the home) read `...`, and trailing spaces go.
"""

from __future__ import annotations

import re
import shlex
import sysconfig
from collections.abc import Callable
from importlib.machinery import PathFinder
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MARKER = re.compile(r"<!-- sample(?: (with|without) MassGen)?: (.+?) -->")
# What a user may have set that would change the output; each test runs without them.
PROVIDER_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY",
                "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "GOOGLE_GEMINI_BASE_URL",
                "COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")


def samples() -> list[tuple[str | None, str, list[str]]]:
    """(None, "with" or "without" MassGen; the marker's command; the fenced block's lines)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    found = []
    for number, line in enumerate(lines):
        match = MARKER.fullmatch(line.strip())
        if match is None:
            continue
        assert lines[number + 1].startswith("```"), f"README.md:{number + 2}: no block after the marker"
        end = lines.index("```", number + 2)
        found.append((match.group(1), match.group(2), lines[number + 2:end]))
    return found


SAMPLES = samples()


def test_the_readme_has_samples() -> None:
    assert len(SAMPLES) >= 3


def massgen_installed() -> bool:
    # PathFinder: a lookup through sys.meta_path would start the bridge in this process.
    return PathFinder.find_spec("massgen") is not None


@pytest.mark.parametrize(("needs", "command", "block"), SAMPLES, ids=[s[1] for s in SAMPLES])
def test_sample(needs: str | None, command: str, block: list[str], home: Path,
                cli: Callable[..., object], monkeypatch: pytest.MonkeyPatch) -> None:
    if needs == "with" and not massgen_installed():
        pytest.skip("a sample of real MassGen (make test-massgen)")
    if needs == "without" and massgen_installed():
        pytest.skip("a sample without MassGen; the real massgen is installed here")
    words = shlex.split(command)
    env = {}
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    assert words[0] == "massgen-plugins", command
    assert block[0] == "$ " + shlex.join(words), "the block's first line is the command shown"
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)

    result = cli(*words[1:], env=env, cwd=ROOT)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert normalised(result.stdout, home) == block[1:]


def normalised(output: str, home: Path) -> list[str]:
    """The output's lines with this machine's paths as `...` and no trailing spaces."""
    site = sysconfig.get_paths()["purelib"]
    for path in sorted({site, str(Path(site).resolve()), str(home)}, key=len, reverse=True):
        output = output.replace(path, ".../site-packages" if path != str(home) else "...")
    return [line.rstrip() for line in output.splitlines()]


def test_no_sample_holds_a_path_of_this_machine() -> None:
    text = README.read_text(encoding="utf-8")
    for path in (str(ROOT), str(Path.home()), sysconfig.get_paths()["purelib"]):
        assert path not in text
