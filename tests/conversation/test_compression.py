"""Conversations and compression, with the real SDKs against the emulator."""

from __future__ import annotations

import json

import pytest

from massgen_plugins.compression import tool_pairs_intact
from massgen_plugins.conversation import (
    SUMMARY_PROMPT,
    CompressionError,
    Conversation,
    Transcript,
    safe_split,
)
from massgen_plugins.host import Host
from massgen_plugins.providers.registry import make_provider
from massgen_plugins.providers.retry import RetryPolicy

MODELS = {"openai": "gpt-5", "anthropic": "claude-sonnet-4-6", "google": "gemini-2.5-pro"}
FAST = RetryPolicy(attempts=2, base_delay=0.01, jitter=0)


def make(massgen_emulator, tmp_path, name, window=100_000, host=None, **settings):
    env = {"OPENAI_API_KEY": "k-test-000000", "ANTHROPIC_API_KEY": "k-test-000000",
           "GOOGLE_API_KEY": "k-test-000000", "OPENAI_BASE_URL": massgen_emulator.base_url("openai"),
           "ANTHROPIC_BASE_URL": massgen_emulator.base_url("anthropic"),
           "GOOGLE_GEMINI_BASE_URL": massgen_emulator.base_url("google")}
    provider = make_provider(name, environ=env, retry=FAST)
    return Conversation(provider, MODELS[name], window, Transcript(tmp_path / "t.jsonl"),
                        host=host, system="Be brief.", settings=settings)


def summaries(massgen_emulator, name):
    return [r for r in massgen_emulator.of(name) if SUMMARY_PROMPT[:40] in json.dumps(r.body)]


def user_items(conv):
    return [r["item"]["content"] for r in conv.transcript.records()
            if r["kind"] == "item" and r["item"].get("role") == "user"]


@pytest.mark.parametrize("name", list(MODELS))
def test_proactive_compression_keeps_going_and_the_transcript_whole(massgen_emulator, tmp_path, name,
                                                                    home):
    conv = make(massgen_emulator, tmp_path, name, window=600, trigger_ratio=0.8, target_ratio=0.6)
    for turn in range(8):
        # Scripted replies are first come, first served, and summaries take theirs too; the
        # default reply keeps every answer the same.
        assert "".join(conv.send(f"question {turn} " + "detail " * 40)) == \
            "Hello from the emulator."
    assert any(r.reason == "proactive" and r.ok for r in conv.records)
    assert summaries(massgen_emulator, name), "the same provider was asked to summarize"
    assert user_items(conv) == [f"question {t} " + "detail " * 40 for t in range(8)]
    assert conv.items[0]["content"].startswith("[Summary of the earlier conversation]")
    assert conv.items[-1]["role"] == "assistant" and conv.size() < 600


@pytest.mark.parametrize("name", list(MODELS))
def test_reactive_compression_on_the_providers_context_error(massgen_emulator, tmp_path, name, home):
    from massgen_plugins.testing.emulator import estimate_tokens

    conv = make(massgen_emulator, tmp_path, name)  # the catalog window is large: no proactive trigger
    for turn in range(4):
        massgen_emulator.reply("ok " + "x" * 1500)
        "".join(conv.send(f"turn {turn} " + "y" * 2000))
    # The service's real window is a little smaller than the whole context: it refuses the
    # next request, while a summary of the older part still fits.
    full = estimate_tokens(["Be brief.", [*conv.items, {"role": "user", "content": "and now?"}]])
    massgen_emulator.windows[MODELS[name]] = full - 20
    massgen_emulator.reply("summary of it all")
    massgen_emulator.reply("answer after retry")
    assert "".join(conv.send("and now?")) == "answer after retry"
    assert [r.reason for r in conv.records] == ["reactive"]
    assert user_items(conv)[-1] == "and now?"


@pytest.mark.parametrize("name", list(MODELS))
def test_manual_compression_and_resume_from_the_transcript(massgen_emulator, tmp_path, name, home):
    conv = make(massgen_emulator, tmp_path, name)
    for turn in range(3):
        "".join(conv.send(f"turn {turn} " + "z" * 200))
    record = conv.compress("manual")
    assert record.ok and record.method == "summarize" and record.tokens_before > 0
    assert "compressed (manual, summarize)" in record.line()
    resumed = make(massgen_emulator, tmp_path, name)
    assert resumed.items == conv.items and resumed.system == "Be brief."


def test_hook_returning_none_raising_or_breaking_pairs_falls_back(massgen_emulator, tmp_path, home,
                                                                  make_plugin):
    make_plugin("nothing", """
        from massgen_plugins import hookimpl
        @hookimpl
        def compress_context(request):
            return None
    """)
    make_plugin("raiser", """
        from massgen_plugins import hookimpl
        @hookimpl
        def compress_context(request):
            raise RuntimeError("compactor down")
    """)
    make_plugin("orphan", """
        from massgen_plugins import hookimpl, CompressionResult
        @hookimpl
        def compress_context(request):
            return CompressionResult(items=[{"type": "function_call_output", "call_id": "c9",
                                             "output": "?"}], method="broken")
    """)
    warnings = []
    for plugins in ("nothing", "raiser", "orphan"):
        host = Host(Host.create(environ={}).config, environ={"MASSGEN_LOAD_PLUGINS": plugins},
                    echo=warnings.append)
        conv = make(massgen_emulator, tmp_path / plugins, "openai", host=host)
        "".join(conv.send("first " + "a" * 300))
        "".join(conv.send("second " + "b" * 300))
        record = conv.compress("manual")
        assert record.ok and record.method == "summarize", plugins
        assert tool_pairs_intact(conv.items)
    assert any("compactor down" in w for w in warnings)
    assert any("(broken) was refused: a tool call and its output came apart; summarizing instead"
               in w for w in warnings)


def test_a_plugin_result_replaces_the_working_context(massgen_emulator, tmp_path, home, make_plugin):
    make_plugin("keeper", """
        from massgen_plugins import hookimpl, CompressionResult
        @hookimpl
        def compress_context(request):
            return CompressionResult(items=list(request.items[-2:]), method="keep-two",
                                     input_tokens=7, output_tokens=1)
    """)
    host = Host.create(environ={"MASSGEN_LOAD_PLUGINS": "keeper"})
    conv = make(massgen_emulator, tmp_path, "openai", host=host)
    for turn in range(3):
        "".join(conv.send(f"turn {turn}"))
    record = conv.compress("manual")
    assert record.method == "keep-two" and len(conv.items) == 2 and record.input_tokens == 7
    assert not summaries(massgen_emulator, "openai")


def test_tool_call_pairs_are_never_split():
    items = [{"role": "user", "content": "a" * 400},
             {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
             {"type": "function_call_output", "call_id": "c1", "output": "b" * 400},
             {"role": "assistant", "content": "done"}]
    for keep in range(0, 400, 10):
        split = safe_split(items, keep)
        assert tool_pairs_intact(items[split:]) and tool_pairs_intact(items[:split])


def test_tool_pairs_survive_summarization(massgen_emulator, tmp_path, home):
    conv = make(massgen_emulator, tmp_path, "openai", keep_ratio=0.5)
    "".join(conv.send("use the tool " + "q" * 300))
    conv.add({"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"})
    conv.add({"type": "function_call_output", "call_id": "c1", "output": "r" * 200})
    "".join(conv.send("thanks"))
    conv.compress("manual")
    assert tool_pairs_intact(conv.items)
    "".join(conv.send("continue"))  # the emulator rejects orphan tool items


def test_summarization_failure_leaves_the_context_unchanged(massgen_emulator, tmp_path, home):
    conv = make(massgen_emulator, tmp_path, "anthropic")
    for turn in range(3):
        "".join(conv.send(f"turn {turn} " + "w" * 200))
    before = list(conv.items)
    massgen_emulator.fail("server_error", "anthropic", times=5)
    record = conv.compress("manual")
    assert not record.ok and conv.items == before
    assert "context unchanged" in record.line()


def test_no_compression_loops(massgen_emulator, tmp_path, home):
    conv = make(massgen_emulator, tmp_path, "google", window=300, max_consecutive=2, keep_ratio=0.9)
    with pytest.raises(CompressionError):
        for turn in range(6):
            massgen_emulator.reply("v" * 400)
            "".join(conv.send("u" * 400))


def test_chat_is_scriptable_through_stdin(cli, massgen_emulator, home):
    env = {"OPENAI_API_KEY": "k-test-000000", "OPENAI_BASE_URL": massgen_emulator.base_url("openai")}
    massgen_emulator.reply("first answer")
    massgen_emulator.reply("second answer")
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "massgen-plugins"
    result = subprocess.run([str(script), "chat", "--model", "openai/gpt-5", "--session",
                             str(home / "s.jsonl")], input="hi\n/tokens\n/compact\nagain\n/quit\n",
                            capture_output=True, text=True, env={**os.environ, **env})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "first answer" and lines[1].endswith("of 400,000 tokens (0.0%)")
    assert "[compressed (manual, summarize):" in result.stderr
    records = [json.loads(x) for x in (home / "s.jsonl").read_text().splitlines()]
    assert [r["kind"] for r in records].count("compression") == 1


def test_chat_loads_price_data_only_when_it_prices_something(massgen_emulator, home):
    # genai-prices' data is ~100 ms of a chat's start: a turn prices nothing, a compression does.
    import os
    import subprocess
    import sys

    env = {**os.environ, "OPENAI_API_KEY": "k-test-000000",
           "OPENAI_BASE_URL": massgen_emulator.base_url("openai")}
    code = ("import sys\nfrom massgen_plugins.cli import main\n"
            "try: main(['chat', '--model', 'openai/gpt-5', '--session', sys.argv[1]])\n"
            "except SystemExit: pass\n"
            "print('PRICES', 'genai_prices' in sys.modules)\n")

    def chat(script):
        done = subprocess.run([sys.executable, "-c", code, str(home / "p.jsonl")], input=script,
                              capture_output=True, text=True, env=env, timeout=120)
        return done.stdout.splitlines()[-1]

    assert chat("hello\n/quit\n") == "PRICES False"
    assert chat("again\n/compact\n/quit\n") == "PRICES True", "a compression reports its cost"
