"""Test support for MassGen and its plugins: the loopback API emulator and its pytest fixture.

    from massgen_plugins.testing import Emulator

    with Emulator() as emu:
        emu.reply("Paris.")
        client = openai.OpenAI(base_url=emu.base_url("openai"), api_key="test")

With pytest, the `emulator` fixture (registered through the `pytest11` entry point) gives a
started Emulator and stops it after the test.
"""

from massgen_plugins.testing.emulator import FAULTS, Emulator, Recorded, Reply

__all__ = ["FAULTS", "Emulator", "Recorded", "Reply"]
