"""The demo's analysis plan, offline: `massgen-plugins logs analyze --dry-run` against the loopback emulator.

A real plan needs a provider key for the exact token count; the demo has none and no network,
so it points the SDKs at massgen's own API emulator with a stand-in key. Nothing leaves the
machine. With a real key set, run `massgen-plugins logs analyze --dry-run` yourself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from massgen_plugins.testing import Emulator

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    """Run the dry-run plan for the bundled example against the emulator."""
    with Emulator() as emu:
        env = {**os.environ, "GOOGLE_GEMINI_BASE_URL": emu.base_url("google"),
               "GOOGLE_API_KEY": "demo-key-for-the-loopback-emulator", "GEMINI_API_KEY": ""}
        print("Analysis plan (against the loopback API emulator; nothing is sent anywhere):")
        massgen = Path(sys.executable).parent / "massgen-plugins"
        return subprocess.call([str(massgen), "logs", "analyze", "--logs-dir",
                                str(ROOT / "examples" / "massgen_logs"), "--model",
                                "google/gemini-2.5-flash", "--dry-run"], env=env)


if __name__ == "__main__":
    sys.exit(main())
