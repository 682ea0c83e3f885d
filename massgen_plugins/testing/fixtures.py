"""pytest fixtures for MassGen plugins, loaded through the `pytest11` entry point.

Every fixture name starts with `massgen_`: installing massgen-plugins adds these to every pytest
session in the environment, so a generic name could shadow another project's fixture.
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
