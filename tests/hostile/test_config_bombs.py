"""A config that would hang or crash every command is refused in one line instead."""

from __future__ import annotations

import pytest

from tests.conftest import no_traceback

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 10)}]\n" for n in range(8))


@pytest.mark.parametrize("text,why", [
    (BOMB, "holds more than 200,000 values once its aliases are expanded (a YAML alias bomb?); "
           "fix or remove it"),
    (BOMB.replace("a: &a", "plugins:\n  x: &a", 1).replace("b: &b", "  y: &b", 1),
     "holds more than 200,000 values"),
    ("agents: " + "[" * 1000 + "]" * 1000 + "\n", "nested"),
    ("x: 1\n" + "# padding\n" * 120_000, "config is 1.1 MB, larger than the 1 MB a config may be; "
                                          "is it the right file?"),
], ids=["alias bomb", "bomb under plugins", "deep nesting", "oversized"])
def test_every_command_refuses_it_in_one_line(cli, user_config, text, why):
    user_config.parent.mkdir(parents=True)
    user_config.write_text(text)
    for args in (["--help"], ["plugins", "list"], ["config", "show"], ["logs", "--help"]):
        result = cli(*args)
        assert result.returncode == 2 and no_traceback(result), result.stderr
        assert result.stderr.startswith(f"massgen-plugins: error: {user_config}")
        assert why in result.stderr and result.stderr.count("\n") == 1


def test_anchors_and_aliases_of_an_ordinary_config_still_work(cli, user_config):
    user_config.parent.mkdir(parents=True)
    user_config.write_text("base: &b {type: openai, model: gpt-5}\nagents:\n  - {id: a, backend: *b}\n"
                           "  - {id: b, backend: *b}\nplugins:\n  tui_throttle: {enabled: false}\n")
    result = cli("plugins", "list", "--json")
    assert result.returncode == 0 and '"disabled_by": "' + str(user_config) in result.stdout
