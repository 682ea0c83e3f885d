"""Each provider through its real SDK against the loopback emulator."""

from __future__ import annotations

import asyncio

import pytest

from massgen_plugins.providers import errors as e
from massgen_plugins.providers.keys import Credentials
from massgen_plugins.providers.registry import make_provider
from massgen_plugins.providers.retry import RetryPolicy
from massgen_plugins.providers.types import GenerateRequest

MODELS = {"openai": "gpt-5", "anthropic": "claude-sonnet-4-6", "google": "gemini-2.5-pro"}
PROVIDERS = list(MODELS)
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, jitter=0.0)


def provider(massgen_emulator, name, key="test-key", timeout=10.0, retry=FAST):
    env = {"OPENAI_API_KEY": key, "ANTHROPIC_API_KEY": key, "GOOGLE_API_KEY": key,
           "OPENAI_BASE_URL": massgen_emulator.base_url("openai"),
           "ANTHROPIC_BASE_URL": massgen_emulator.base_url("anthropic"),
           "GOOGLE_GEMINI_BASE_URL": massgen_emulator.base_url("google")}
    return make_provider(name, environ=env, timeout=timeout, retry=retry)


def request(name, text="What is the capital of France?", **kw):
    return GenerateRequest(model=MODELS[name], messages=[{"role": "user", "content": text}],
                           system="Answer briefly.", **kw)


@pytest.mark.parametrize("name", PROVIDERS)
def test_generate_returns_text_usage_model_and_finish(massgen_emulator, name):
    massgen_emulator.reply("Paris.", input_tokens=21, output_tokens=2, cached_tokens=5)
    result = provider(massgen_emulator, name).generate(request(name))
    assert result.text == "Paris." and result.provider == name
    assert (result.usage.input_tokens, result.usage.output_tokens) == (21, 2)
    assert result.usage.cached_tokens == 5
    assert result.finish_reason in ("completed", "end_turn", "STOP")
    assert result.raw_input and result.raw_output
    sent = massgen_emulator.of(name)[-1]
    assert "Answer briefly." in str(sent.body), "the system prompt is sent"


@pytest.mark.parametrize("name", PROVIDERS)
def test_stream_yields_deltas_then_the_result(massgen_emulator, name):
    massgen_emulator.reply("The capital is Paris.", chunks=4, output_tokens=6)
    stream = provider(massgen_emulator, name).stream(request(name))
    deltas = list(stream)
    assert len(deltas) >= 2 and "".join(deltas) == "The capital is Paris."
    assert stream.result.text == "The capital is Paris." and stream.result.usage.output_tokens == 6


@pytest.mark.parametrize("name", PROVIDERS)
def test_async_generate_and_stream(massgen_emulator, name):
    massgen_emulator.reply("one")
    massgen_emulator.reply("two parts", chunks=2)
    p = provider(massgen_emulator, name)

    async def go():
        first = await p.agenerate(request(name))
        stream = p.astream(request(name))
        deltas = [d async for d in stream]
        return first, deltas, stream.result

    first, deltas, result = asyncio.run(go())
    assert first.text == "one" and "".join(deltas) == "two parts" and result.text == "two parts"


@pytest.mark.parametrize("name", PROVIDERS)
def test_rate_limit_is_retried_then_succeeds(massgen_emulator, name):
    massgen_emulator.fail("rate_limit", name, times=2, retry_after=0.01)
    massgen_emulator.reply("after the wait")
    waits = []
    p = provider(massgen_emulator, name)
    p._sleep = waits.append
    assert p.generate(request(name)).text == "after the wait"
    assert len(massgen_emulator.of(name)) == 3 and len(waits) == 2
    assert all(0.01 <= w <= 0.05 for w in waits), "Retry-After is honoured"


@pytest.mark.parametrize("name", PROVIDERS)
def test_rate_limit_gives_up_after_the_bounded_attempts(massgen_emulator, name):
    massgen_emulator.fail("rate_limit", name, times=5, retry_after=0)
    with pytest.raises(e.RateLimitError):
        provider(massgen_emulator, name).generate(request(name))
    assert len(massgen_emulator.of(name)) == FAST.attempts


@pytest.mark.parametrize("name", PROVIDERS)
@pytest.mark.parametrize("kind, error", [("auth", e.AuthenticationError),
                                         ("context_length", e.ContextLengthError)])
def test_errors_that_are_not_retried(massgen_emulator, name, kind, error):
    massgen_emulator.fail(kind, name)
    with pytest.raises(error) as info:
        provider(massgen_emulator, name).generate(request(name))
    assert len(massgen_emulator.of(name)) == 1
    assert info.value.provider == name and info.value.status in (400, 401)


@pytest.mark.parametrize("name", PROVIDERS)
def test_bad_request_is_not_retried(massgen_emulator, name):
    bad = GenerateRequest(model=MODELS[name], messages=[{"role": "assistant", "content": "x"}]) \
        if name == "anthropic" else GenerateRequest(model=MODELS[name], messages=[])
    if name == "openai":
        bad = GenerateRequest(model=MODELS[name], messages=[{"role": "robot", "content": "x"}])
    with pytest.raises(e.BadRequestError):
        provider(massgen_emulator, name).generate(bad)
    assert len(massgen_emulator.of(name)) <= 1  # google-genai refuses empty contents before sending


@pytest.mark.parametrize("name", PROVIDERS)
def test_server_errors_and_malformed_bodies_are_transient(massgen_emulator, name):
    massgen_emulator.fail("server_error", name)
    massgen_emulator.fail("malformed", name)
    massgen_emulator.reply("finally")
    assert provider(massgen_emulator, name).generate(request(name)).text == "finally"
    assert len(massgen_emulator.of(name)) == 3


@pytest.mark.parametrize("name", PROVIDERS)
def test_timeouts_are_transient_and_bounded(massgen_emulator, name):
    massgen_emulator.fail("timeout", name, times=3, delay=1.0)
    with pytest.raises(e.TransientError):
        provider(massgen_emulator, name, timeout=0.3, retry=RetryPolicy(attempts=2, base_delay=0.01,
                                                                jitter=0)).generate(request(name))


def test_openai_context_overflow_inside_a_stream_is_recognised(massgen_emulator):
    massgen_emulator.fail("stream_error", "openai")
    with pytest.raises(e.ContextLengthError, match="context window"):
        list(provider(massgen_emulator, "openai").stream(request("openai")))


@pytest.mark.parametrize("name", PROVIDERS)
def test_context_window_overflow_from_a_long_input(massgen_emulator, name):
    massgen_emulator.windows[MODELS[name]] = 50
    with pytest.raises(e.ContextLengthError):
        provider(massgen_emulator, name).generate(request(name, text="word " * 400))


@pytest.mark.parametrize("name", PROVIDERS)
def test_exact_count_and_estimate_fallback(massgen_emulator, name):
    p = provider(massgen_emulator, name)
    count = p.count_tokens(request(name))
    assert count.exact and count.tokens > 0 and "count endpoint" in count.source
    bad = provider(massgen_emulator, name, key="bad-key")
    fallback = bad.count_tokens(request(name))
    assert not fallback.exact and fallback.tokens > 0 and "estimate" in fallback.source


@pytest.mark.parametrize("name", PROVIDERS)
def test_list_models(massgen_emulator, name):
    models = provider(massgen_emulator, name).list_models()
    assert models and all(m.provider == name for m in models)
    if name != "openai":  # OpenAI lists ids only
        assert models[0].context_window


def test_keys_never_show_in_errors_or_reprs(massgen_emulator):
    key = "sk-live-0123456789abcdefghijklmn"
    p = provider(massgen_emulator, "openai", key=key)
    assert key not in repr(p) and key not in repr(p.credentials)
    massgen_emulator.fail("auth", "openai")
    with pytest.raises(e.AuthenticationError) as info:
        p.generate(request("openai"))
    assert key not in str(info.value)
    assert all(key not in str(r.headers) for r in massgen_emulator.requests)


def test_credentials_repr_hides_the_key():
    c = Credentials("openai", "sk-abcdefghijklmnopqrstuvwx", "env OPENAI_API_KEY")
    assert "sk-abc" not in repr(c)


def test_a_config_key_echoed_by_the_provider_is_masked(massgen_emulator):
    from massgen_plugins.providers.openai_api import OpenAIProvider

    creds = Credentials("openai", "plainconfigkey42", "config providers.openai.api_key",
                        massgen_emulator.base_url("openai"))
    p = OpenAIProvider(creds, retry=FAST)
    err = p.map_error(e.AuthenticationError("openai", "Incorrect API key provided: plainconfigkey42"))
    assert "plainconfigkey42" not in str(err) and "****ey42" in str(err)
