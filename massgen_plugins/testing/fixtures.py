"""pytest fixtures for MassGen and its plugins, loaded through the `pytest11` entry point."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from massgen_plugins.testing.emulator import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A started loopback API emulator, stopped after the test."""
    with Emulator() as emu:
        yield emu
