"""Model specs and keys: what the user types and what the environment holds."""

from __future__ import annotations

import pytest

from massgen_plugins.providers.keys import MissingKeyError, find_key, is_placeholder, require_key
from massgen_plugins.providers.specs import ModelSpec, SpecError, parse_spec


@pytest.mark.parametrize("text, spec", [
    ("openai/gpt-5", ModelSpec("openai", "gpt-5")),
    ("anthropic/claude-sonnet-4-6", ModelSpec("anthropic", "claude-sonnet-4-6")),
    ("gemini/gemini-2.5-pro", ModelSpec("google", "gemini-2.5-pro")),
    ("Google/gemini-2.5-flash", ModelSpec("google", "gemini-2.5-flash")),
    ("anthropic", ModelSpec("anthropic")),
    ("gemini", ModelSpec("google")),
    ("gpt-5-mini", ModelSpec("openai", "gpt-5-mini")),
    ("o3", ModelSpec("openai", "o3")),
    ("o4-mini", ModelSpec("openai", "o4-mini")),
    ("claude-opus-4-8", ModelSpec("anthropic", "claude-opus-4-8")),
    ("gemini-2.5-pro", ModelSpec("google", "gemini-2.5-pro")),
    ("openai/my-local-llama", ModelSpec("openai", "my-local-llama")),
])
def test_valid_specs(text, spec):
    assert parse_spec(text) == spec


@pytest.mark.parametrize("text, message", [
    ("antropic/claude-x", "unknown provider 'antropic' in 'antropic/claude-x' (did you mean "
                          "'anthropic'?)"),
    ("openai/", "malformed model spec 'openai/'"),
    ("openai/a/b", "malformed model spec 'openai/a/b'"),
    ("llama3", "cannot tell the provider of 'llama3'"),
    ("gemni", "cannot tell the provider of 'gemni' (did you mean 'gemini'?)"),
    ("", "empty model spec"),
])
def test_bad_specs_get_one_line_with_forms_and_close_matches(text, message):
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    text = info.value.format_message()
    assert text.startswith(message) and "\n" not in text
    assert "PROVIDER/MODEL" in text


@pytest.mark.parametrize("value", ["", "  ", "your-openai-key-here", "your_api_key",
                                   "<your key>", "sk-...", "${OPENAI_API_KEY}", "xxxx",
                                   "changeme", "put-your-key-here"])
def test_placeholders_count_as_missing(value):
    assert is_placeholder(value)
    assert find_key("openai", environ={"OPENAI_API_KEY": value}) is None


def test_real_looking_keys_are_not_placeholders():
    assert not is_placeholder("sk-proj-abc123DEF456")
    assert not is_placeholder("AIzaSyD-real-looking-0123456789")


def test_env_beats_config_and_google_api_key_beats_gemini_api_key():
    config = {"openai": {"api_key": "from-config-123456", "base_url": "http://proxy:8000/v1"}}
    found = find_key("openai", config, {"OPENAI_API_KEY": "from-env-123456"})
    assert found.api_key == "from-env-123456" and found.source == "env OPENAI_API_KEY"
    assert found.base_url == "http://proxy:8000/v1"
    found = find_key("openai", config, {})
    assert found.source == "config providers.openai.api_key"
    found = find_key("openai", config, {"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"})
    assert found.base_url == "http://127.0.0.1:1/v1"
    both = {"GOOGLE_API_KEY": "google-key-123456", "GEMINI_API_KEY": "gemini-key-123456"}
    assert find_key("google", environ=both).source == "env GOOGLE_API_KEY"
    assert find_key("google", environ={"GEMINI_API_KEY": "gemini-key-123456"}).source == \
        "env GEMINI_API_KEY"


def test_missing_key_names_the_variable_before_any_request():
    with pytest.raises(MissingKeyError) as info:
        require_key("google", environ={"GEMINI_API_KEY": "your-gemini-key-here"})
    assert info.value.format_message() == (
        "no API key for google: GEMINI_API_KEY holds a placeholder, not a key; set it to your "
        "key (for a server of your own, set the base URL and any value works)")
    assert info.value.exit_code == 2
    with pytest.raises(MissingKeyError) as info:
        require_key("openai", environ={})
    assert info.value.format_message() == (
        "no API key for openai: OPENAI_API_KEY is unset; set it, or providers.openai.api_key "
        "in config")


def test_a_server_of_your_own_takes_any_key():
    # Ollama, vLLM and LM Studio want a key in the request but check none.
    local = {"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1", "OPENAI_API_KEY": "dummy"}
    found = find_key("openai", environ=local)
    assert found is not None and found.api_key == "dummy"
    assert find_key("openai", environ={"OPENAI_API_KEY": "dummy"}) is None, (
        "on OpenAI's own endpoint a placeholder is still no key")
