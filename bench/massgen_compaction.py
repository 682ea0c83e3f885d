"""The same scripted MassGen run with compact_openai on and off: requests, bytes, tokens after.

Usage: .venv-massgen/bin/python bench/massgen_compaction.py   (made by `make test-massgen`)

Real `massgen --automation` runs (MassGen 0.1.97, bridge installed) against the loopback
emulator playing every agent. Two agents (gpt-4o on the Responses API, gpt-4.1-mini on Chat
Completions) call a local tool first with a long text, so their next request overflows the
window the emulator enforces; the third stays small. With the plugin on, the Responses agent
is compacted through /responses/compact; off (`plugins: {compact_openai: {enabled: false}}` in
the run config), MassGen summarizes it. The Chat Completions agent is summarized in both. The
script prints, for each mode: requests and bytes sent to the API, compaction and summarizer
calls, the tokens each compression left, and requests the emulator refused after a
compression (a retry that lost a tool call's pairing, say). Nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from massgen_plugins.testing import Emulator
from massgen_plugins.testing.massgen_driver import BACKGROUND_TOOLS, AgentSettings, MassgenDriver

AGENTS = """\
agents:
  - id: agent_a
    backend: {{type: openai, model: gpt-4o{openai_url}}}
  - id: agent_b
    backend: {{type: openai, model: gpt-4o-mini{openai_url}}}
  - id: agent_c
    backend: {{type: chatcompletion, model: gpt-4.1-mini, base_url: {url}}}
orchestrator:
  max_new_answers_per_agent: 2
  coordination: {{enable_subagents: false, enable_changedoc: false,
                  persona_generator: {{enabled: false}}}}
timeout_settings: {{orchestrator_timeout_seconds: 180}}
plugins:
  compact_openai: {{allow_compatible: true, enabled: {enabled}}}
"""
SUMMARIZER = "You summarize conversations for context continuity"
ENV = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
       "ALL_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost",
       "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENAI_API_KEY": "sk-bench-0000"}


def run(enabled: bool, work: Path) -> dict[str, object]:
    """One massgen run; what it sent and what its compressions left."""
    work.mkdir()
    with Emulator() as emu:
        first = AgentSettings(first_tool=BACKGROUND_TOOLS, first_text=24_000)
        emu.responder = MassgenDriver({"gpt-4o": first, "gpt-4.1-mini": first})
        emu.windows.update({"gpt-4o": 6000, "gpt-4.1-mini": 6000})
        config = work / "run.yaml"
        url = emu.base_url("openai")
        # Before 0.1.64 MassGen's `openai` backend sends base_url: to the API as a parameter;
        # it reaches the emulator through OPENAI_BASE_URL, which the SDK reads.
        old = massgen_version() < (0, 1, 64)
        config.write_text(AGENTS.format(url=url, openai_url="" if old else f", base_url: {url}",
                                        enabled=str(enabled).lower()))
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("MASSGEN")}, **ENV,
               "HOME": str(work), **({"OPENAI_BASE_URL": url} if old else {})}
        done = subprocess.run([str(Path(sys.executable).parent / "massgen"), "--automation",
                               "--no-session-registry", "--config", str(config),
                               "What is 2+2?"], cwd=work, env=env, capture_output=True,
                              text=True, timeout=600)
        sent = list(emu.requests)
    fields = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    # LOG_DIR is relative to the run's working directory.
    attempt = work / fields.get("LOG_DIR", ".") / "turn_1" / "attempt_1"
    records = attempt / "massgen_plugins" / "compressions.jsonl"
    compressions = [json.loads(x) for x in records.read_text().splitlines()] if records.exists() else []
    text = [json.dumps(r.body) for r in sent]
    return {
        "exit": done.returncode, "winner": fields.get("WINNER", "-"),
        "requests": len(sent), "bytes": sum(len(t.encode()) for t in text),
        "compact": sum(r.path.endswith("/compact") for r in sent),
        "summarizer": sum(SUMMARIZER in t for t in text),
        "compressions": [(c["agent"], c["method"], c["tokens_before"], c["tokens_after"],
                          c.get("ok", True)) for c in compressions],
        "refused_after": refused(done.stderr),
        "attempt": str(attempt),
        "last_error": (done.stderr.strip().splitlines() or [""])[-1] if done.returncode else "",
        "bridge_lines": [line for line in done.stderr.splitlines()
                         if line.startswith("massgen-plugins: ")],
    }


def massgen_version() -> tuple[int, ...]:
    """The installed MassGen's version, as (0, 1, 97)."""
    import importlib.metadata as md

    return tuple(int(p) for p in md.version("massgen").split(".")[:3] if p.isdigit())


def refused(stderr: str) -> int:
    """Requests the API refused for a broken conversation (MassGen logs each as an error)."""
    return sum("must be a response to a preceeding message" in line
               or "No tool call found for function call output" in line
               for line in stderr.splitlines())


def main() -> None:
    """Run both modes and print them side by side."""
    with tempfile.TemporaryDirectory() as tmp:
        on = run(True, Path(tmp) / "on")
        off = run(False, Path(tmp) / "off")
    print("compact_openai on vs off, one scripted MassGen 0.1.97 run each (3 agents, 2 overflow)")
    for key in ("exit", "winner", "requests", "bytes", "compact", "summarizer", "refused_after"):
        print(f"  {key:<14} {on[key]!s:>12} {off[key]!s:>12}")
    print(f"  bytes sent, on/off: {on['bytes'] / off['bytes']:.2f}x")
    for label, result in (("on", on), ("off", off)):
        for agent, method, before, after, ok in result["compressions"]:
            print(f"  [{label}] {agent}: {method}, ~{before:,} -> ~{after:,} tokens"
                  + ("" if ok else " (its retry was refused)"))


if __name__ == "__main__":
    main()
