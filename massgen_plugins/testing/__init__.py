"""Test support for MassGen and its plugins: the loopback API emulator and its pytest fixture.

    from massgen_plugins.testing import Emulator

    with Emulator() as emu:
        emu.reply("Paris.")
        client = openai.OpenAI(base_url=emu.base_url("openai"), api_key="test")

With pytest, `pytest_plugins = ["massgen_plugins.testing.fixtures"]` in a conftest.py adds the
`massgen_emulator` fixture: a started Emulator, stopped after the test.
"""

from typing import Any

__all__ = ["FAULTS", "Call", "Emulator", "Prompt", "Recorded", "Reply"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so `python -m massgen_plugins.testing.emulator` runs the module
    # once, as __main__, rather than after a package-level import of it.
    if name in __all__:
        from massgen_plugins.testing import emulator

        return getattr(emulator, name)
    raise AttributeError(name)
