"""The analyzer's fixtures: a copy of a real run, and every provider pointed at the emulator."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import SHARED
from tests.synthetic_runs import write_run

MODELS = {"openai": "openai/gpt-5-mini", "anthropic": "anthropic/claude-sonnet-4-6",
          "google": "google/gemini-2.5-flash"}


@pytest.fixture
def env(massgen_emulator):
    """Every provider pointed at the emulator; keys for all three unless a test removes one."""
    return {"OPENAI_BASE_URL": massgen_emulator.base_url("openai"),
            "ANTHROPIC_BASE_URL": massgen_emulator.base_url("anthropic"),
            "GOOGLE_GEMINI_BASE_URL": massgen_emulator.base_url("google"),
            "OPENAI_API_KEY": "sk-test-openai-0000000000000001",
            "ANTHROPIC_API_KEY": "sk-ant-test-000000000000000002",
            "GOOGLE_API_KEY": "AIza-test-google-0000000000003", "GEMINI_API_KEY": ""}


@pytest.fixture
def logs(home):
    base = home / "logs"
    reference = SHARED / "massgen-logs" / "run_a_two_agents"
    if reference.is_dir():
        shutil.copytree(next(reference.glob("log_*")), base / next(reference.glob("log_*")).name)
    else:
        write_run(base)
    return base


def turn_dir(logs):
    return next(logs.glob("log_*")) / "turn_1"
