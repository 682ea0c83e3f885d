"""The compact_openai plugin, with the real openai SDK against the emulator."""

from __future__ import annotations

import pytest
from massgen_compact_openai.compact import CompactionRefused, check_output, claims

from massgen_plugins import CompressionRequest
from massgen_plugins.conversation import Conversation, Transcript
from massgen_plugins.host import Host
from massgen_plugins.providers.registry import make_provider
from massgen_plugins.providers.retry import RetryPolicy

FAST = RetryPolicy(attempts=2, base_delay=0.01, jitter=0)


@pytest.fixture
def setup(massgen_emulator, home, user_config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000000000000000")
    monkeypatch.setenv("OPENAI_BASE_URL", massgen_emulator.base_url("openai"))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-00000000000")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", massgen_emulator.base_url("anthropic"))
    user_config.parent.mkdir(parents=True)
    # The emulator is an OpenAI-compatible base URL: claim it, and fall back fast.
    user_config.write_text("plugins:\n  compact_openai:\n    allow_compatible: true\n"
                           "    retry_budget_s: 0.2\n")

    def make(provider="openai", plugins="compact_openai", window=100_000, tmp=home, **kw):
        host = Host.create(environ={**__import__("os").environ,
                                    "MASSGEN_LOAD_PLUGINS": plugins})
        model = {"openai": "gpt-5", "anthropic": "claude-sonnet-4-6"}[provider]
        return Conversation(make_provider(provider, retry=FAST), model, window,
                            Transcript(tmp / f"{provider}-{plugins}.jsonl"), host=host,
                            system="Be brief.", settings=kw)

    return make


def chat(conv, n, size=300, start=0):
    for turn in range(start, start + n):
        assert "".join(conv.send(f"q{turn} " + "x" * size))


def compact_calls(massgen_emulator):
    return [r for r in massgen_emulator.of("openai") if r.path.endswith("/compact")]


def users(conv):
    return [r["item"]["content"] for r in conv.transcript.records()
            if r["kind"] == "item" and r["item"].get("role") == "user"]


def test_long_history_compacts_then_continues(setup, massgen_emulator):
    conv = setup()
    chat(conv, 6)
    record = conv.compress("manual")
    assert record.method == "openai-compact" and record.input_tokens > 0
    assert [i.get("type") for i in conv.items] == ["message"] * 6 + ["compaction"]
    body = compact_calls(massgen_emulator)[0].body
    assert body["instructions"] == "Be brief." and "previous_response_id" not in body
    chat(conv, 3, start=6)  # the emulator only accepts compaction items it issued
    sent = massgen_emulator.of("openai")[-1].body["input"]
    assert sent[6]["type"] == "compaction" and sent[-1]["content"].startswith("q8 ")
    assert massgen_emulator.of("openai")[-1].body["instructions"] == "Be brief."
    assert users(conv) == [f"q{t} " + "x" * 300 for t in range(9)]


def test_repeated_proactive_compaction_keeps_the_transcript(setup, massgen_emulator):
    # Compaction keeps every user message, so short questions and long answers show it best.
    conv = setup(window=800, trigger_ratio=0.8, target_ratio=0.7)
    for turn in range(14):
        massgen_emulator.reply(f"answer {turn} " + "y" * 400)
        assert "".join(conv.send(f"q{turn}")).startswith(f"answer {turn}")
    methods = [r.method for r in conv.records]
    assert len(methods) >= 2 and set(methods) == {"openai-compact"}
    assert users(conv) == [f"q{t}" for t in range(14)]


def test_reactive_context_error_then_compaction_then_retry(setup, massgen_emulator):
    from massgen_plugins.testing.emulator import estimate_tokens

    conv = setup()
    for turn in range(4):
        massgen_emulator.reply("long answer " + "z" * 1500)
        "".join(conv.send(f"q{turn}"))
    full = estimate_tokens(["Be brief.", [*conv.items, {"role": "user", "content": "next"}]])
    massgen_emulator.windows["gpt-5"] = full - 20
    massgen_emulator.reply("after compaction")
    assert "".join(conv.send("next")) == "after compaction"
    assert [(r.reason, r.method) for r in conv.records] == [("reactive", "openai-compact")]


@pytest.mark.parametrize("fault", ["server_error", "rate_limit"])
def test_compact_failures_fall_back_to_summarization(setup, massgen_emulator, fault, capsys):
    conv = setup()
    chat(conv, 4)
    # One failure whose Retry-After is past the 0.2 s retry budget: compaction gives up.
    massgen_emulator.fail(fault, "openai", times=1, retry_after=1.0)
    record = conv.compress("manual")
    assert record.method == "summarize" and record.ok
    assert "plugin 'compact_openai': hook compress_context raised" in capsys.readouterr().err
    chat(conv, 1, start=4)
    assert users(conv) == [f"q{t} " + "x" * 300 for t in range(5)]


def test_a_rate_limit_within_the_budget_is_retried(setup, massgen_emulator):
    conv = setup()
    chat(conv, 3)
    massgen_emulator.fail("rate_limit", "openai", times=1, retry_after=0.05)
    assert conv.compress("manual").method == "openai-compact"
    assert len(compact_calls(massgen_emulator)) == 2


def test_a_forged_compaction_item_is_rejected_and_the_conversation_recovers(setup, massgen_emulator):
    conv = setup()
    chat(conv, 3)
    conv.compress("manual")
    forged = dict(conv.items[-1], encrypted_content="enc_from_another_account")
    conv.items[-1] = forged  # as after a key rotation or a switch of account
    massgen_emulator.reply("recovered")
    assert "".join(conv.send("still there?")) == "recovered"
    assert [r.reason for r in conv.records] == ["manual", "recovery"]
    assert users(conv)[-1] == "still there?" and len(users(conv)) == 4


def test_other_providers_and_a_disabled_plugin_get_summarization(setup, massgen_emulator):
    claude = setup(provider="anthropic")
    chat(claude, 3)
    assert claude.compress("manual").method == "summarize"
    off = setup(plugins="")
    chat(off, 3)
    assert off.compress("manual").method == "summarize"
    assert not compact_calls(massgen_emulator)


def test_compatible_base_urls_are_claimed_only_when_allowed():
    request = CompressionRequest(items=[{"role": "user", "content": "x"}], provider="openai",
                                 model="m", reason="manual", target_tokens=10,
                                 base_url="http://localhost:11434/v1")
    assert not claims(request, allow_compatible=False)
    assert claims(request, allow_compatible=True)
    official = CompressionRequest(items=[], provider="openai", model="m", reason="manual",
                                  target_tokens=10, base_url="https://api.openai.com/v1")
    assert claims(official, allow_compatible=False)
    from massgen_compact_openai.compact import remember_unsupported

    remember_unsupported("http://localhost:11434/v1", "m")
    assert not claims(request, allow_compatible=True), "a 404 is remembered per URL and model"


@pytest.mark.parametrize("output, why", [
    ([{"type": "message", "role": "user", "content": "hi"}], "exactly one compaction item"),
    ([{"type": "message", "role": "user", "content": "changed"},
      {"type": "compaction", "encrypted_content": "e"}], "user messages did not come back"),
    ([{"type": "message", "role": "user", "content": "hi"},
      {"type": "function_call_output", "call_id": "c1", "output": "?"},
      {"type": "compaction", "encrypted_content": "e"}], "tool output came back without"),
    ([{"type": "message", "role": "user", "content": "hi"},
      {"type": "message", "role": "assistant", "id": "msg_unknown", "content": []},
      {"type": "compaction", "encrypted_content": "e"}], "refers to nothing we sent"),
])
def test_unexpected_output_is_refused(output, why):
    with pytest.raises(CompactionRefused, match=why):
        check_output(output, [{"role": "user", "content": "hi"}])


def test_trigger_and_target_overrides_apply_to_claimed_conversations(setup, user_config):
    user_config.write_text("plugins:\n  compact_openai:\n    allow_compatible: true\n"
                           "    trigger_ratio: 0.6\n    target_ratio: 0.3\n")
    conv = setup()
    assert (conv.trigger_ratio, conv.target_ratio) == (0.6, 0.3)
    claude = setup(provider="anthropic")
    assert (claude.trigger_ratio, claude.target_ratio) == (0.8, 0.5)


def test_tokens_after_come_from_the_next_requests_usage(setup, massgen_emulator):
    conv = setup()
    chat(conv, 3)
    conv.compress("manual")
    assert conv.records[-1].measured_after is None
    chat(conv, 1, start=3)
    sent = massgen_emulator.of("openai")[-1]
    assert conv.records[-1].measured_after is not None and conv.records[-1].measured_after > 0
    kinds = [r["kind"] for r in conv.transcript.records()]
    assert kinds[-3:] == ["item", "compression_measured", "item"]
    assert sent.path == "/v1/responses"


def test_compaction_above_the_target_falls_back_to_summarization_and_the_chat_goes_on(
        setup, massgen_emulator, home, capsys):
    # Compaction keeps every user message verbatim: with long questions it cannot get under
    # the target, so the host treats it as a failure and summarizes, which can.
    conv = setup(window=1200, trigger_ratio=0.9, target_ratio=0.5)
    for turn in range(3):
        massgen_emulator.reply(f"answer {turn}")
        "".join(conv.send(f"q{turn} " + "w" * 700))
    massgen_emulator.reply("a short summary")
    record = conv.compress("manual")
    assert len(compact_calls(massgen_emulator)) == 1, "compaction was tried first"
    assert record.method == "summarize" and record.ok
    assert record.tokens_after < 600 and record.tokens_after < record.tokens_before / 4
    assert "compress_context (openai-compact) was refused: the result is still" in \
        capsys.readouterr().err
    massgen_emulator.reply("still here")
    assert "".join(conv.send("go on")) == "still here"
    # The transcript resumes into the summarized context, and the next turn works.
    resumed = setup(window=1200, trigger_ratio=0.9, target_ratio=0.5)
    assert resumed.items == conv.items
    massgen_emulator.reply("resumed")
    assert "".join(resumed.send("and now?")) == "resumed"
