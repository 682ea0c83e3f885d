"""What installing each of our distributions alone brings into an empty environment.

For each distribution, a fresh virtual environment gets `uv pip install` of it (built from this
checkout; a plugin together with the core it needs, which is not on the package index yet),
and the script lists every distribution that arrived. The core and tui_throttle must bring no
LLM SDK, no HTTP client and no Textual; the table says which of those each one brings.

    python bench/install_footprint.py [--uv PATH]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("openai", "anthropic", "google-genai", "httpx", "httpx2", "textual")
# What each distribution must not bring.
FORBIDDEN = {"massgen-plugins": HEAVY, "massgen-tui-throttle": HEAVY}
DISTRIBUTIONS = {
    "massgen-plugins": ["."],
    "massgen-compact-openai": [".", "plugins/compact_openai"],
    "massgen-log-analyzer": [".", "plugins/log_analyzer"],
    "massgen-tui-throttle": [".", "plugins/tui_throttle"],
}


def installed(uv: str, env: Path) -> list[str]:
    """The distributions in `env`, by name, sorted (pip and setuptools aside)."""
    out = subprocess.run([uv, "pip", "list", "--format", "json", "--python", str(env / "bin" /
                                                                             "python")],
                         capture_output=True, text=True, check=True).stdout
    return sorted(p["name"].lower() for p in json.loads(out)
                  if p["name"].lower() not in ("pip", "setuptools"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uv", default=shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv"))
    args = parser.parse_args()
    failed = False
    rows = []
    with tempfile.TemporaryDirectory(prefix="footprint-") as tmp:
        for dist, paths in DISTRIBUTIONS.items():
            env = Path(tmp) / dist
            subprocess.run([args.uv, "venv", "--quiet", "--python", sys.executable, str(env)],
                           check=True)
            subprocess.run([args.uv, "pip", "install", "--quiet", "--python",
                            str(env / "bin" / "python"), *[str(ROOT / p) for p in paths]],
                           check=True)
            names = installed(args.uv, env)
            heavy = [h for h in HEAVY if h in names]
            bad = [h for h in FORBIDDEN.get(dist, ()) if h in names]
            failed |= bool(bad)
            rows.append((dist, len(names), ", ".join(heavy) or "none",
                         "FAIL: " + ", ".join(bad) if bad else "ok", names))
    width = max(len(r[0]) for r in rows)
    print(f"{'distribution':<{width}}  {'distributions':>13}  heavy ones brought   verdict")
    for dist, count, heavy, verdict, _ in rows:
        print(f"{dist:<{width}}  {count:>13}  {heavy:<19} {verdict}")
    print()
    for dist, _, _, _, names in rows:
        print(f"{dist}: {' '.join(names)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
