"""The compact_openai plugin's `compress_context`, with the real openai SDK against the emulator.

The hook is called as every host calls it (through the Host, one plugin at a time); the
compacted items are then sent with the real SDK in the next `responses.create`, which the
emulator accepts only with compaction items it issued. Inside MassGen, tests/massgen/ runs the
same hook through the bridge.
"""

from __future__ import annotations

import json
import os
import time

import openai
import pytest
from massgen_compact_openai.compact import CompactionRefused, check_output, claims

from massgen_plugins import CompressionRequest, CompressionResult
from massgen_plugins.host import Host

SYSTEM = "Be brief."


@pytest.fixture
def setup(massgen_emulator, home, user_config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000000000000000")
    monkeypatch.setenv("OPENAI_BASE_URL", massgen_emulator.base_url("openai"))
    user_config.parent.mkdir(parents=True)

    def make(plugins="compact_openai", budget=5.0, allow=True, more=""):
        # The emulator is an OpenAI-compatible base URL: claim it. Budgets sit far from the
        # waits they are tested against, so no test depends on how fast a call is.
        user_config.write_text(f"plugins:\n  compact_openai:\n    allow_compatible: "
                               f"{str(allow).lower()}\n    retry_budget_s: {budget}\n{more}")
        return Host.create(environ={**os.environ, "MASSGEN_LOAD_PLUGINS": plugins})

    return make


def history(turns, size=300):
    """A Responses conversation: user questions and assistant answers."""
    items = []
    for turn in range(turns):
        items.append({"role": "user", "content": f"q{turn} " + "x" * size})
        items.append({"type": "message", "role": "assistant", "id": f"msg_{turn}",
                      "content": [{"type": "output_text", "text": f"answer {turn}"}]})
    return items


def request(emulator, items, provider="openai", **kw):
    return CompressionRequest(items=items, provider=provider, model="gpt-5", reason="reactive",
                              target_tokens=100_000, instructions=SYSTEM,
                              base_url=emulator.base_url("openai"), api="responses", **kw)


def text(content):
    if isinstance(content, str):
        return content
    return "".join(part["text"] for part in content)


def compact_calls(emulator):
    return [r for r in emulator.of("openai") if r.path.endswith("/compact")]


def ask(host, req):
    return host.call_first("compress_context", expect=CompressionResult, request=req)


def test_a_long_history_compacts_and_the_next_request_is_accepted(setup, massgen_emulator):
    result = ask(setup(), request(massgen_emulator, history(6)))
    assert result.method == "openai-compact" and result.input_tokens > 0
    items = [dict(i) for i in result.items]
    assert [i.get("type") for i in items] == ["message"] * 6 + ["compaction"]
    assert [i["role"] for i in items[:6]] == ["user"] * 6, "every user message comes back"
    body = compact_calls(massgen_emulator)[0].body
    assert body["instructions"] == SYSTEM and "previous_response_id" not in body
    # The compacted items go verbatim into the next request, with the new input after them.
    massgen_emulator.reply("after compaction")
    client = openai.OpenAI(base_url=massgen_emulator.base_url("openai"), api_key="sk-test-00")
    from massgen_plugins.values import thaw

    sent = [thaw(i) for i in result.items] + [{"role": "user", "content": "next"}]
    done = client.responses.create(model="gpt-5", instructions=SYSTEM, input=sent)
    assert done.output_text == "after compaction"


def test_a_server_side_history_is_compacted_with_the_new_items(setup, massgen_emulator):
    client = openai.OpenAI(base_url=massgen_emulator.base_url("openai"), api_key="sk-test-00")
    massgen_emulator.reply("first answer " + "y" * 800)
    first = client.responses.create(model="gpt-5", instructions=SYSTEM, input="q0 " + "x" * 800)
    new = [{"role": "user", "content": "q1"}]
    result = ask(setup(), request(massgen_emulator, new, previous_response_id=first.id))
    assert result.method == "openai-compact"
    body = compact_calls(massgen_emulator)[0].body
    assert body["previous_response_id"] == first.id
    users = [text(i["content"]) for i in result.items if i.get("role") == "user"]
    assert users[-1] == "q1" and users[0].startswith("q0 "), "the stored history came back too"


@pytest.mark.parametrize("fault", ["server_error", "rate_limit"])
def test_compact_failures_are_one_warning_and_no_answer(setup, massgen_emulator, fault, capsys):
    host = setup(budget=0.2)
    # One failure whose wait (its Retry-After, or the 0.5 s backoff) is past the 0.2 s retry
    # budget: compaction gives up at once, and the host's caller summarizes instead.
    massgen_emulator.fail(fault, "openai", times=1, retry_after=1.0)
    assert ask(host, request(massgen_emulator, history(4))) is None
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("massgen-plugins: warning: plugin 'compact_openai': hook "
                           "compress_context raised")


def test_a_reply_that_trickles_in_ends_at_timeout_s_for_the_whole_call(
        setup, massgen_emulator, capsys):
    # HTTP 200 at once, then a byte every 0.1 s: the whole body would take over a minute, and
    # no single read ever waits long, so only a deadline on the whole call ends it.
    massgen_emulator.fail("trickle", "openai", delay=0.1, path="/compact")
    host = setup(more="    timeout_s: 1\n")
    started = time.monotonic()
    assert ask(host, request(massgen_emulator, history(4))) is None
    assert time.monotonic() - started < 30, "it ended long before the body could"
    (line,) = capsys.readouterr().err.splitlines()
    assert line == ("massgen-plugins: warning: plugin 'compact_openai': hook compress_context "
                    "raised CompactionFailed: no complete answer from /responses/compact within "
                    "1 s (timeout_s)")
    assert len(compact_calls(massgen_emulator)) == 1, "a call out of time is not retried"


def test_a_rate_limit_within_the_budget_is_retried(setup, massgen_emulator):
    massgen_emulator.fail("rate_limit", "openai", times=1, retry_after=0.05)
    assert ask(setup(), request(massgen_emulator, history(3))).method == "openai-compact"
    assert len(compact_calls(massgen_emulator)) == 2


def test_a_pending_tool_call_is_not_sent(setup, massgen_emulator, capsys):
    items = [*history(2), {"type": "function_call", "call_id": "c1", "name": "f",
                           "arguments": "{}"}]
    assert ask(setup(), request(massgen_emulator, items)) is None
    assert not compact_calls(massgen_emulator)
    assert "a tool call is still waiting for its output" in capsys.readouterr().err


def test_other_providers_apis_and_a_disabled_plugin_get_no_answer(setup, massgen_emulator):
    host = setup()
    assert ask(host, request(massgen_emulator, history(3), provider="anthropic")) is None
    chat = CompressionRequest(items=history(3), provider="openai", model="gpt-5",
                              reason="reactive", target_tokens=100_000, api="chat_completions",
                              base_url=massgen_emulator.base_url("openai"))
    assert ask(host, chat) is None
    assert ask(setup(plugins=""), request(massgen_emulator, history(3))) is None
    assert not compact_calls(massgen_emulator)


def test_a_compatible_base_url_without_allow_compatible_is_said_once(
        setup, massgen_emulator, capsys):
    host = setup(allow=False)
    url = massgen_emulator.base_url("openai")
    for _ in range(2):
        assert ask(host, request(massgen_emulator, history(3))) is None
    assert capsys.readouterr().err.splitlines() == [
        "massgen-plugins: warning: plugin 'compact_openai': hook compress_context raised "
        f"CompactionUnavailable: compaction is off for {url}: it is not api.openai.com (set "
        "plugins.compact_openai.allow_compatible: true if it serves /responses/compact)"]
    assert not compact_calls(massgen_emulator)


def test_doctor_names_the_endpoints_compaction_skips(home, cli, monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    run = home / "work" / "run.yaml"
    run.write_text("agents:\n"
                   "  - {id: a, backend: {type: openai, model: gpt-4o, base_url: 'http://proxy:8000/v1'}}\n"
                   "  - {id: b, backend: {type: openai, model: gpt-4o}}\n"
                   "  - {id: c, backend: {type: chatcompletion, model: m, base_url: 'http://x/v1'}}\n")
    result = cli("--config", str(run), "doctor", env={"COLUMNS": "1000"})
    notes = [line for line in result.stdout.splitlines() if line.startswith("Note")]
    assert notes == ["Note     compact_openai: compaction is off for http://proxy:8000/v1: it is "
                     "not api.openai.com (set plugins.compact_openai.allow_compatible: true if it "
                     "serves /responses/compact)"]
    run.write_text(run.read_text() + "plugins: {compact_openai: {allow_compatible: true}}\n")
    report = json.loads(cli("--config", str(run), "doctor", "--json").stdout)
    assert report["notes"] == []


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
