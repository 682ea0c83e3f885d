"""Secrets are masked wherever they are found: by shape, by context, by value, split in a stream."""

from __future__ import annotations

import pytest

from massgen_plugins.secrets import StreamRedactor, redact, redact_data, remember
from tests.hostile.planted import SECRETS


@pytest.mark.parametrize("text,secret", SECRETS, ids=[s[:12] for _, s in SECRETS])
def test_every_planted_secret_is_masked_and_its_context_kept(text, secret):
    shown = redact(text, {})
    assert secret not in shown and secret[:8] not in shown
    assert "****" in shown or "***" in shown
    assert shown.split()[0] == text.split()[0] or shown.startswith(text[:6])


@pytest.mark.parametrize("text,secret", SECRETS, ids=[s[:12] for _, s in SECRETS])
def test_a_secret_split_across_two_stream_deltas_is_masked(text, secret):
    line = f"Here it is: {text} and more words after it.\n"
    for at in range(1, len(line)):
        stream = StreamRedactor({})
        shown = stream.feed(line[:at]) + stream.feed(line[at:]) + stream.flush()
        assert secret[:8] not in shown, (at, shown)
        assert shown.endswith("and more words after it.\n")


def test_a_stream_shows_plain_words_as_they_arrive():
    stream = StreamRedactor({})
    assert stream.feed("The capital of France is Par") == "The capital of France is "
    assert stream.feed("is.\nNext ") == "Paris.\nNext "
    assert stream.flush() == ""


def test_a_stream_without_spaces_is_not_held_forever():
    stream = StreamRedactor({})
    shown = "".join(stream.feed("x" * 1000) for _ in range(20))
    assert len(shown) >= 20_000 - stream.max_hold
    assert shown + stream.flush() == "x" * 20_000


def test_values_of_any_type_under_secret_keys_are_masked_at_any_depth():
    data = {"agents": [{"backend": {"api_key": 90817263544536271, "API-KEY": 3.14159265,
                                    "auth": {"password": ["PLANTEDpw-one", {"x": "PLANTEDpw-two"}]},
                                    "token": None, "secret": True, "model": "gpt-5"}}]}
    shown = repr(redact_data(data, {}))
    for secret in ("90817263544536271", "3.14159265", "PLANTEDpw-one", "PLANTEDpw-two"):
        assert secret not in shown
    assert "'model': 'gpt-5'" in shown and "'token': None" in shown and "'secret': True" in shown


def test_values_from_the_environment_and_from_config_are_masked_by_value():
    env = {"MY_SERVICE_TOKEN": "PLANTED-env-value-of-no-shape"}
    assert "PLANTED-env" not in redact("echo PLANTED-env-value-of-no-shape", env)
    remember({"agents": [{"backend": {"api_key": "PLANTED-remembered-no-shape"}}]})
    assert redact("said PLANTED-remembered-no-shape", {}) == "said ****hape"


def test_ordinary_text_is_left_alone():
    for text in ("max_tokens: 4096, input_tokens: 123456", "risk-assessment-framework-version",
                 "the token count was 12", "https://example.com/path?q=1",
                 "sk-short", "****cdef already masked"):
        assert redact(text, {}) == text


@pytest.mark.parametrize("at", [1, 12])
def test_a_zero_width_character_anywhere_in_a_key_is_masked_in_data_as_in_text(at):
    key = "sk-proj-A1b2C3d4E5f6G7h8J9k0L1m2N3o4P5q6"
    hidden = key[:at] + "\u200b" + key[at:]
    assert "A1b2C3d4" not in redact(hidden)
    assert "A1b2C3d4" not in repr(redact_data({"note": f"the key is {hidden}"}, {}))
