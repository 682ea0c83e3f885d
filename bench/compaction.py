"""OpenAI compaction against summarization: the same long conversation through both paths.

Usage: .venv/bin/python bench/compaction.py [--turns 40]

Runs one scripted conversation (short questions, long answers, a 4,000-token window so that it
compresses several times) against the loopback emulator, once with the compact_openai plugin
and once without (summarization), and prints for each: the requests made, the bytes sent, the
model calls, and the compressions. The emulator's token counts are estimates; real token
savings need the real API: run `massgen-plugins chat --model openai/...` with your own key, once with
`MASSGEN_DISABLE_PLUGINS=compact_openai`, and compare the compression lines it prints.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from massgen_plugins.conversation import Conversation, Transcript  # noqa: E402
from massgen_plugins.host import Host  # noqa: E402
from massgen_plugins.providers.registry import make_provider  # noqa: E402
from massgen_plugins.testing import Emulator  # noqa: E402


def run(plugins: str, turns: int, tmp: Path) -> dict:
    """One conversation; what it cost on the wire."""
    with Emulator() as emu:
        os.environ.update(OPENAI_API_KEY="bench-key", OPENAI_BASE_URL=emu.base_url("openai"))
        cfg = tmp / "config.yaml"
        cfg.write_text("plugins:\n  compact_openai:\n    allow_compatible: true\n")
        host = Host.create(config_path=cfg, environ={**os.environ,
                                                     "MASSGEN_LOAD_PLUGINS": plugins})
        conv = Conversation(make_provider("openai"), "gpt-5", 4000,
                            Transcript(tmp / f"{plugins or 'none'}.jsonl"), host=host,
                            system="Be brief.", settings={"target_ratio": 0.7})
        for turn in range(turns):
            emu.reply(f"answer {turn}: " + "detail " * 120)
            "".join(conv.send(f"question {turn}?"))
        sent = sum(len(json.dumps(r.body)) for r in emu.requests if r.body)
        return {"requests": len(emu.requests),
                "compact calls": sum(r.path.endswith("/compact") for r in emu.requests),
                "model calls": sum(r.path.endswith("/responses") for r in emu.requests),
                "bytes sent": sent, "compressions": len(conv.records),
                "methods": sorted({r.method for r in conv.records})}


def main() -> None:
    """Both paths, side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        compact = run("compact_openai", args.turns, Path(tmp))
        summary = run("", args.turns, Path(tmp))
    print(f"{args.turns} turns, 4,000-token window")
    print(f"{'':<16}{'compaction':>14}{'summarization':>16}{'ratio':>8}")
    for key in ("requests", "model calls", "compact calls", "bytes sent", "compressions"):
        a, b = compact[key], summary[key]
        print(f"{key:<16}{a:>14,}{b:>16,}{(a / b if b else float('nan')):>8.2f}")
    print(f"methods: {compact['methods']} vs {summary['methods']}")


if __name__ == "__main__":
    main()
