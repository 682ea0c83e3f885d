"""MassGen's own multi-agent self-analysis, with the model of your choice for its agents.

MassGen 0.1.97's `massgen logs analyze --mode self` runs `configs/analysis/log_analysis.yaml`:
two Gemini agents (`gemini-3-flash-preview`), Grok subagents, and a GEMINI_API_KEY check. Here
the same config gets the chosen provider and model for every agent and subagent, and MassGen's
`run_self_analysis` runs it as it always does (`uv run massgen --config ...`). Everything else
(the skill, the docker execution, the writable ANALYSIS_REPORT.md) is MassGen's.
"""

from __future__ import annotations

import os
import tempfile
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Any

from massgen_plugins import UsageError

# Our provider names -> MassGen's backend types.
BACKEND_TYPE = {"openai": "openai", "anthropic": "claude", "google": "gemini"}
CONFIG = Path("configs") / "analysis" / "log_analysis.yaml"


class MassgenMissing(UsageError):
    """The self mode needs MassGen installed (exit code 2)."""


def massgen_config() -> Path:
    """MassGen's analysis config, found without importing MassGen (that takes seconds)."""
    spec = PathFinder.find_spec("massgen")
    if spec is None or not spec.submodule_search_locations:
        raise MassgenMissing("--mode self runs MassGen's multi-agent self-analysis: install "
                             "MassGen (pip install massgen) or use --mode report")
    path = Path(next(iter(spec.submodule_search_locations))) / CONFIG
    if not path.is_file():
        raise MassgenMissing(f"{path}: MassGen's analysis config is missing; reinstall MassGen")
    return path


def config_with(choice: Any, base_url: str | None) -> dict[str, Any]:
    """MassGen's analysis config with every agent and subagent on `choice`."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(massgen_config().read_text(encoding="utf-8")) or {}
    backends = [a.get("backend") for a in data.get("agents") or [] if isinstance(a, dict)]
    coordination = (data.get("orchestrator") or {}).get("coordination") or {}
    subagents = (coordination.get("subagent_orchestrator") or {}).get("agents") or []
    backends += [a.get("backend") for a in subagents if isinstance(a, dict)]
    for backend in backends:
        if isinstance(backend, dict):
            backend["type"], backend["model"] = BACKEND_TYPE[choice.provider], choice.model
            if base_url:
                backend["base_url"] = base_url
    return data


def run(log_dir: Path, turn: int | None, force: bool, ui: str, choice: Any,
        credentials: Any) -> int:
    """Run MassGen's self-analysis with `choice`; MassGen's exit code."""
    from ruamel.yaml import YAML

    config = config_with(choice, credentials.base_url)
    # MassGen's backends read their key from the environment (a key in its YAML crashes
    # 0.1.97's OpenAI backend), and the analysis child inherits it.
    from massgen_plugins import KEY_ENV

    os.environ.setdefault(KEY_ENV[choice.provider][0], credentials.api_key)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="massgen_analysis_",
                                     delete=False, encoding="utf-8") as fh:
        YAML(typ="safe").dump(config, fh)
        path = Path(fh.name)
    try:
        from massgen.logs_analyzer import run_self_analysis

        return int(run_self_analysis(log_dir, config_path=path, ui_mode=ui, turn=turn,
                                     force=force) or 0)
    finally:
        path.unlink(missing_ok=True)
