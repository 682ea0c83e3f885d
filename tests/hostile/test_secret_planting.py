"""Every shape of secret, planted in every place a run holds text, is masked on every channel.

The channels: what each command prints (stdout, stderr, --json), the analysis context sent to a
model, the report written, plugin warnings, config values, and the bridge's lines inside MassGen.
Innocent text (the shared runs, hashes, UUIDs, paths) is left as it is.
"""

from __future__ import annotations

import json

import pytest

from massgen_plugins.secrets import StreamRedactor, find, redact
from tests.conftest import SHARED, no_traceback
from tests.hostile.hostile_run import write_hostile_run
from tests.hostile.planted import PLANTING, SHAPES, shape_leaks

COMMANDS = [["logs", "list"], ["logs", "list", "--json"], ["logs", "summary"],
            ["logs", "summary", "--json"], ["logs", "tools"], ["logs", "tools", "--json"],
            ["logs", "analyze", "--dry-run", "--model", "openai/gpt-5"],
            ["logs", "analyze", "--dry-run", "--json", "--model", "openai/gpt-5"]]


@pytest.fixture
def planted(home):
    base = home / "logs"
    return base, write_hostile_run(base, text=PLANTING)


@pytest.fixture
def env(massgen_emulator):
    return {"OPENAI_API_KEY": "k-test-000000", "OPENAI_BASE_URL": massgen_emulator.base_url("openai"),
            "COLUMNS": "250"}


def test_every_shape_is_masked_in_every_command_output(cli, planted, env):
    base, _ = planted
    leaked = {}
    for args in COMMANDS:
        result = cli(*args, "--logs-dir", str(base), env=env)
        assert result.returncode == 0 and no_traceback(result), (args, result.stderr[-2000:])
        for channel, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            if found := shape_leaks(text):
                leaked[f"{' '.join(args)} {channel}"] = found
    assert leaked == {}


def test_every_shape_is_masked_in_the_request_and_the_report(cli, planted, env,
                                                              massgen_emulator):
    base, session = planted
    massgen_emulator.reply(f"# Report\n{PLANTING}")
    result = cli("logs", "analyze", "--yes", "--model", "openai/gpt-5", "--logs-dir", str(base),
                 env=env)
    assert result.returncode == 0 and no_traceback(result), result.stderr[-2000:]
    sent = json.dumps(massgen_emulator.of("openai")[-1].body)
    context = massgen_emulator.of("openai")[-1].body["input"][0]["content"]
    report = (session / "turn_1" / "ANALYSIS_REPORT.md").read_text()
    assert "metrics" in context and "end." in report, "the planted text got there"
    assert {channel: found for channel, text in (
        ("request (JSON)", sent), ("request (text)", context), ("report", report),
        ("stdout", result.stdout), ("stderr", result.stderr)) if (found := shape_leaks(text))
    } == {}


def test_every_shape_is_masked_in_plugin_warnings_and_config(cli, make_plugin, user_config, env):
    make_plugin("noisy", f"""
        from massgen_plugins import hookimpl, Setting

        @hookimpl
        def plugin_settings():
            return {{"motto": Setting(str)}}

        @hookimpl
        def register_commands(cli, context):
            raise RuntimeError({PLANTING!r})
    """)
    user_config.parent.mkdir(parents=True)
    user_config.write_text(f"plugins:\n  noisy:\n    motto: {json.dumps(PLANTING)}\n")
    leaked = {}
    for args in (["plugins", "list"], ["plugins", "list", "--json"], ["config", "show"],
                 ["config", "show", "--json"]):
        result = cli(*args, env=env)
        assert result.returncode == 0 and no_traceback(result), result.stderr[-2000:]
        if found := shape_leaks(result.stdout + result.stderr):
            leaked[" ".join(args)] = found
    assert leaked == {}


def test_every_shape_is_masked_in_the_bridge_lines(capsys):
    from massgen_plugins.bridge.runtime import say

    for _label, text, _secret in SHAPES:
        say(f"massgen-plugins: warning: plugin 'x' said: {text}", level="WARNING")
    assert shape_leaks(capsys.readouterr().err) == {}


@pytest.mark.parametrize("label, text, secret", SHAPES, ids=[s[0] for s in SHAPES])
def test_each_shape_alone_and_json_encoded(label, text, secret):
    for shown in (redact(text, {}), redact(json.dumps(text), {}),
                  redact(json.dumps({"error": f"failed:{text}"}), {}),
                  redact(json.dumps(json.dumps(text)), {})):
        assert shape_leaks(shown) == {}, shown


@pytest.mark.parametrize("label, text, secret", SHAPES, ids=[s[0] for s in SHAPES])
def test_each_shape_split_across_two_stream_deltas(label, text, secret):
    line = f"Here it is: {text} and more words after it.\n"
    for at in range(1, len(line)):
        stream = StreamRedactor({})
        shown = stream.feed(line[:at]) + stream.feed(line[at:]) + stream.flush()
        assert shape_leaks(shown) == {}, (at, shown)


INNOCENT = [
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "commit 76f93840b4e5c0d7f2a1b9e8c3d6f5a4b7e2c1d0 (HEAD -> main)",
    "md5 d41d8cd98f00b204e9800998ecf8427e", "uuid 3f2b8c1e-9a4d-4b7e-8f21-0c6d5e4a3b2f",
    "/home/user/.massgen/massgen_logs/log_20261122_035141_547798/turn_1/attempt_1/agent_a.txt",
    r"C:\Users\name\AppData\Local\massgen\logs\turn_1", "https://api.openai.com/v1/responses",
    "http://127.0.0.1:8080/v1/chat/completions?stream=true", "2026-11-22T03:51:41.547798Z",
    "max_tokens: 4096, input_tokens: 123456, reasoning_tokens: 2048",
    "skip_permissions_check_for_tests task-runner-subprocess-manager key-value-store",
    "model: gpt-5-mini, claude-sonnet-4-6, gemini-2.5-flash, sk-learn",
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    "Authorization header missing; the bearer of bad news; password_reset_required: true",
    "secret: false", "docker pull python@sha256:0c6d5e4a3b2f9f86d081884c7d659a2feaa0c55ad015a3b",
    "github_actions_workflow_dispatch_event_payload", "SKU-1234567890abcdef retail",
    "session_id: 8f1c2d3e4b5a69788796a5b4c3d2e1f0", "ya29 is not a token, nor is AIza alone",
    'tool "custom_tool__list_background_tools" took 13.8 ms\nfinished in 2 rounds',
]


def test_innocent_text_is_left_as_it_is():
    assert {text: redact(text, {}) for text in INNOCENT if redact(text, {}) != text} == {}


def test_the_shared_runs_text_has_no_mask(capsys):
    runs = SHARED / "massgen-logs"
    if not runs.is_dir():
        pytest.skip("no shared runs here")
    texts = [line for path in sorted(runs.rglob("*")) if path.is_file()
             for line in path.read_text(errors="replace").splitlines()]
    masked = [(text[a:b], text) for text in texts for a, b in find(text, {})]
    with capsys.disabled():
        print(f"\n{len(texts)} lines of the shared runs: {len(masked)} masks")
    assert masked == []
