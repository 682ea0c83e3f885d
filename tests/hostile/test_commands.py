"""A run whose agents wrote everything hostile, fed to every command: nothing raw, nothing leaked."""

from __future__ import annotations

import json
import re

import pytest

from massgen_plugins.logs.context import PREAMBLE
from tests.conftest import no_traceback
from tests.hostile.hostile_run import KEY_HALVES, TEXT, write_hostile_run
from tests.hostile.planted import CONFIG_KEY, EMOJI, ENV_KEY, HOSTILE, RTL, SECRETS, leaks

# Rich writes colours only to a terminal; FORCE_COLOR makes it colour a pipe as it would one.
LOOKS = {"plain": {"COLUMNS": "200"}, "colour": {"COLUMNS": "120", "FORCE_COLOR": "1"}}
TAG = re.compile(r"<\s*/?\s*log[\s_\-]*data", re.IGNORECASE)


@pytest.fixture
def hostile(home):
    base = home / "logs"
    return base, write_hostile_run(base)


@pytest.fixture
def env(massgen_emulator):
    return {"MY_SERVICE_TOKEN": ENV_KEY, "OPENAI_API_KEY": "k-test-000000",
            "OPENAI_BASE_URL": massgen_emulator.base_url("openai")}


def check(result, *must_show):
    out = result.stdout + result.stderr
    assert result.returncode == 0 and no_traceback(result), result.stderr[-2000:]
    assert leaks(out) == [], leaks(out)
    assert KEY_HALVES[0][:12] not in out
    for text in must_show:
        assert text in out, text


COMMANDS = {
    "logs list": (["logs", "list"], ["Runs in"]),
    "logs list --json": (["logs", "list", "--json"], []),
    "logs summary": (["logs", "summary"], ["[/bold]", "list[int]", RTL.split()[0], "🎉"]),
    "logs summary --json": (["logs", "summary", "--json"], []),
    "logs tools": (["logs", "tools"], ["[/bold]"]),
    "logs tools --json": (["logs", "tools", "--json"], []),
    "logs analyze --dry-run": (["logs", "analyze", "--dry-run", "--model", "openai/gpt-5"],
                               ["Dry run: nothing was sent ("]),
    "logs analyze --dry-run --json": (["logs", "analyze", "--dry-run", "--json", "--model",
                                       "openai/gpt-5"], []),
}


@pytest.mark.parametrize("look", list(LOOKS))
@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_shows_the_hostile_run_safely(cli, hostile, env, name, look):
    base, _session = hostile
    args, must_show = COMMANDS[name]
    args = [*args, "--logs-dir", str(base)]
    result = cli(*args, env={**env, **LOOKS[look]})
    check(result, *(must_show if look == "plain" else []))
    if name.endswith("--json"):
        json.loads(result.stdout)


def test_the_analysis_sent_and_the_report_written_are_safe(cli, hostile, env, massgen_emulator):
    base, session = hostile
    massgen_emulator.reply(f"# Report\n{HOSTILE}\n{SECRETS[2][0]}\n{EMOJI} {RTL}")
    result = cli("logs", "analyze", "--yes", "--model", "openai/gpt-5", "--logs-dir", str(base),
                 env=env)
    check(result, "Wrote")
    sent = json.dumps(massgen_emulator.of("openai")[-1].body, ensure_ascii=False)
    for _text, secret in SECRETS:
        assert secret not in sent
    assert ENV_KEY not in sent and KEY_HALVES[0][:12] not in sent
    text = massgen_emulator.of("openai")[-1].body["input"][0]["content"]
    assert text.startswith(PREAMBLE)
    body = text[len(PREAMBLE):]
    sections = re.findall(r'^<log_data section="[^"\n]*" source="[^"\n]*">$', body, re.MULTILINE)
    assert len(sections) == 11, "metrics to outputs: every section is there"
    assert len(TAG.findall(body)) == 2 * len(sections), "each opened once and closed once"
    assert body.count("\n</log_data>\n") == len(sections)
    report = (session / "turn_1" / "ANALYSIS_REPORT.md").read_text()
    assert leaks(report) == [] and "[/bold]" in report and EMOJI in report and RTL in report


def test_config_values_and_a_plugin_warning_are_shown_safely(cli, make_plugin, user_config, env):
    make_plugin("keyed", """
        from massgen_plugins import hookimpl, Setting

        @hookimpl
        def plugin_settings():
            return {"api_key": Setting(str), "motto": Setting(str)}

        @hookimpl
        def register_commands(cli, context):
            raise RuntimeError(f"cannot use key {context.get('api_key')}: {context.get('motto')}")
    """)
    user_config.parent.mkdir(parents=True)
    user_config.write_text(
        f"plugins:\n  keyed:\n    api_key: {CONFIG_KEY}\n    motto: {json.dumps(HOSTILE)}\n"
        f"agents:\n  - backend: {{api_key: {json.dumps(CONFIG_KEY + 'x')}}}\n"
        f"plguins: {json.dumps(TEXT)}\n")
    for args in (["plugins", "list"], ["plugins", "list", "--json"], ["config", "show"],
                 ["config", "show", "--json"]):
        result = cli(*args, env=env)
        check(result, *(["cannot use key ****e-88"] if args == ["plugins", "list"] else []))
