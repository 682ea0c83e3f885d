"""Overhead of massgen's provider layer over a bare SDK call, against the loopback emulator.

Usage: .venv/bin/python bench/providers.py [--calls N]

For each provider, times N non-streamed generations through the bare SDK client and through
`Provider.generate` (same client settings, interleaved), and prints the median per call and the
ratio ours / bare. The emulator answers locally, so the ratio shows our cost, not the network's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from massgen_plugins.providers.registry import make_provider
from massgen_plugins.providers.types import GenerateRequest
from massgen_plugins.testing import Emulator

MODELS = {"openai": "gpt-5", "anthropic": "claude-sonnet-4-6", "google": "gemini-2.5-pro"}


def bare_call(name: str, provider: object, request: GenerateRequest):
    """The same request through the SDK client alone."""
    client = provider.client()  # type: ignore[attr-defined]
    msgs = [dict(m) for m in request.messages]
    if name == "openai":
        return lambda: client.responses.create(model=request.model, input=msgs,
                                               max_output_tokens=request.max_output_tokens)
    if name == "anthropic":
        return lambda: client.messages.create(model=request.model, messages=msgs,
                                              max_tokens=request.max_output_tokens)
    contents = [{"role": "user", "parts": [{"text": m["content"]}]} for m in msgs]
    return lambda: client.models.generate_content(model=request.model, contents=contents)


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with Emulator() as emu:
        env = {"OPENAI_API_KEY": "bench", "ANTHROPIC_API_KEY": "bench", "GOOGLE_API_KEY": "bench",
               "OPENAI_BASE_URL": emu.base_url("openai"),
               "ANTHROPIC_BASE_URL": emu.base_url("anthropic"),
               "GOOGLE_GEMINI_BASE_URL": emu.base_url("google")}
        print(f"{'provider':<10} {'bare ms':>9} {'ours ms':>9} {'ours/bare':>10}")
        for name, model in MODELS.items():
            provider = make_provider(name, environ=env)
            request = GenerateRequest(model=model, messages=[{"role": "user", "content": "hi"}])
            bare = bare_call(name, provider, request)
            ours = lambda p=provider, r=request: p.generate(r)  # noqa: E731
            for fn in (bare, ours):  # warm connections and imports
                fn()
            times: dict[str, list[float]] = {"bare": [], "ours": []}
            for _ in range(args.calls):
                for label, fn in (("bare", bare), ("ours", ours)):
                    start = time.perf_counter()
                    fn()
                    times[label].append(time.perf_counter() - start)
            b, o = statistics.median(times["bare"]), statistics.median(times["ours"])
            print(f"{name:<10} {b * 1000:>9.2f} {o * 1000:>9.2f} {o / b:>10.2f}")
    print(f"({args.calls} calls each, interleaved, median per call)")


if __name__ == "__main__":
    main()
