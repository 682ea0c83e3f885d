"""pytest fixtures for MassGen plugins. Opt in from a conftest.py:

    pytest_plugins = ["massgen_plugins.testing.fixtures"]

Not registered through `pytest11`: MassGen's own test suite runs in the environment where
massgen-plugins is installed, and must not load our emulator.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from massgen_plugins.testing.emulator import Emulator


@pytest.fixture
def massgen_emulator() -> Iterator[Emulator]:
    """A started loopback API emulator, stopped after the test."""
    with Emulator() as emu:
        yield emu
