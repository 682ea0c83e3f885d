"""MassGen's own summarization of one conversation, in a process of its own.

`massgen-plugins compaction eval` runs this module with its own interpreter (where MassGen is
installed), with MASSGEN_PLUGINS_BRIDGE=0 (so MassGen runs as it does without our plugins),
the key in OPENAI_API_KEY (where MassGen's summarizer looks for it) and MASSGEN_LOG_BASE_DIR in
a temporary folder (MassGen writes its compression_debug files there, not into a run).

The job comes on stdin as JSON: `messages` (system first), `backend` (the agent's backend
section: type, model, base_url and its other settings) and `target_ratio`. The backend is made
as MassGen's CLI makes an agent's (`create_backend(type, agent_id=..., **backend)`), given the
target ratio as MassGen's orchestrator gives it, and its own
`_compress_messages_for_context_recovery(messages, buffer_content=None)` is awaited, as
MassGen's stream loop does on a context-length error. The backend MassGen makes for the summary
call is watched, to read the tokens the API reported for that call. One line goes to stdout:
RESULT followed by JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

RESULT = "MASSGEN-SUMMARIZATION "
# Keys of an agent's backend section that would start tools or touch files, on top of those
# MassGen itself leaves out of its summarizer (COMPRESSION_EXCLUDED_KEYS).
NOT_FOR_SUMMARY = {"context_paths", "agent_id"}


def main() -> None:
    """Read the job, summarize with MassGen, print the result line."""
    job = json.load(sys.stdin)
    try:
        result = summarize(job)
    except Exception as exc:  # said to the parent, which shows it in one line
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    print(RESULT + json.dumps(result, default=str), flush=True)  # noqa: T201 - to the parent


def summarize(job: dict[str, Any]) -> dict[str, Any]:
    """MassGen's reactive summarization of `job["messages"]`, with what it cost and took."""
    from importlib.metadata import version

    import massgen.cli
    from massgen.backend import _compression_utils as utils
    from massgen.logger_config import logger

    failures: list[str] = []
    logger.add(lambda m: failures.append(m.record["message"]), level="WARNING",
               filter=lambda r: "Summarization failed" in r["message"]
               or "error during summarization" in r["message"])
    made: list[Any] = []
    create = massgen.cli.create_backend

    def watched(*args: Any, **kwargs: Any) -> Any:
        backend = create(*args, **kwargs)
        made.append(backend)
        return backend

    # MassGen's summarizer imports create_backend from massgen.cli when it runs: it gets this
    # one, which makes the same backend and keeps it to read its token usage.
    massgen.cli.create_backend = watched
    excluded = set(utils.COMPRESSION_EXCLUDED_KEYS) | NOT_FOR_SUMMARY
    config = {k: v for k, v in job["backend"].items() if k not in excluded}
    backend = create(config["type"], agent_id=job.get("agent_id") or "agent_a", **config)
    if job.get("target_ratio") is not None:
        backend._compression_target_ratio = float(job["target_ratio"])
    started = time.monotonic()
    messages = asyncio.run(backend._compress_messages_for_context_recovery(
        job["messages"], buffer_content=None))
    latency = time.monotonic() - started
    calls = [b for b in made if b is not backend]
    usage = [u for u in (getattr(b, "token_usage", None) for b in calls) if u is not None]
    known = bool(calls) and len(usage) == len(calls)
    return {
        "ok": not failures, "error": failures[0] if failures else None,
        "messages": messages, "summary": _summary(),
        "input_tokens": sum(u.input_tokens for u in usage) if known else None,
        "output_tokens": sum(u.output_tokens for u in usage) if known else None,
        "latency_s": latency, "target_ratio": backend._compression_target_ratio,
        "massgen_version": version("massgen"),
    }


def _summary() -> str | None:
    """The summary text MassGen saved in its compression_debug result file."""
    base = os.environ.get("MASSGEN_LOG_BASE_DIR")
    for file in sorted(Path(base).rglob("compression_*_result.json")) if base else []:
        data = json.loads(file.read_text(encoding="utf-8"))
        if isinstance(data.get("summary"), str):
            return str(data["summary"])
    return None


if __name__ == "__main__":
    main()
