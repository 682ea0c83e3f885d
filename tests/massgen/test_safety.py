"""Inside real MassGen, never worse than MassGen alone: a plugin that fails, hangs or leaves
threads behind, or a compaction that does not fit, costs the run nothing.

Real `massgen --automation` runs against the emulator on loopback, as in test_compression.py:
agent_a (gpt-4o, Responses) overflows its window, so MassGen's context recovery asks the
plugins. Each plugin here is a real distribution on the
massgen process's PYTHONPATH. Every run must end by itself (the fixture fails it otherwise),
with a winner and MassGen's exit status, and say in one line, in its output and in
massgen.log, which plugin did what.
"""

from __future__ import annotations

import time

from massgen_plugins.testing.massgen_driver import BACKGROUND_TOOLS, AgentSettings, MassgenDriver
from tests.massgen.test_compression import (
    AGENTS,
    COMPACT_OFF,
    COMPACT_ON,
    LONG,
    WINDOW,
    compactions,
    summarizer_requests,
    summary_json,
)

RAISERS = {
    "usage": "from massgen_plugins.errors import UsageError\n"
             "raise UsageError('no key for the compactor')",
    "interrupt": "raise KeyboardInterrupt",
    "exits": "import sys\nsys.exit(4)",
}
HOOK = """
import time
from massgen_plugins import hookimpl

@hookimpl
def compress_context(request):
{body}
"""


def overflowing(emulator) -> str:
    """The agents, of which only agent_a overflows: one compression, one ask of the plugins."""
    emulator.responder = MassgenDriver(
        {"gpt-4o": AgentSettings(first_tool=BACKGROUND_TOOLS, first_text=LONG)})
    emulator.windows["gpt-4o"] = WINDOW
    return AGENTS.format(url=emulator.base_url("openai"))


def hook_plugin(body: str) -> str:
    return HOOK.format(body="".join(f"    {line}\n" for line in body.splitlines()))


def ours(run, log_text: str, text: str) -> None:
    """`text` is one line in the run's output and one in massgen.log."""
    assert sum(text in line for line in run.stderr.splitlines()) == 1, run.stderr[-3000:]
    assert sum(text in line for line in log_text.splitlines()) == 1


def finished(run) -> str:
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert run.fields.get("WINNER") in ("agent_a", "agent_b", "agent_c")
    assert "Traceback" not in run.stderr
    return (run.attempt / "massgen.log").read_text()


def test_a_plugin_that_raises_anything_leaves_massgen_its_summarization(
        run_massgen, massgen_emulator, make_plugin):
    # A MassgenError, a KeyboardInterrupt and a SystemExit raised inside the hook are the
    # plugin's: each is one line, the next plugin is asked, then MassGen summarizes.
    for name, body in RAISERS.items():
        make_plugin(name, hook_plugin(body))
    run = run_massgen(overflowing(massgen_emulator), extra=COMPACT_OFF)
    log = finished(run)
    ours(run, log, "plugin 'usage': hook compress_context raised UsageError: no key for the "
                   "compactor; MassGen summarizes instead")
    ours(run, log, "plugin 'interrupt': hook compress_context raised KeyboardInterrupt; "
                   "MassGen summarizes instead")
    ours(run, log, "plugin 'exits': hook compress_context raised SystemExit: 4; MassGen "
                   "summarizes instead")
    assert summarizer_requests(massgen_emulator, "gpt-4o"), "MassGen's summarization ran"
    assert "compressed agent_a's context with MassGen's summarization" in log


def test_a_compression_that_hangs_is_abandoned_at_its_deadline(run_massgen, massgen_emulator,
                                                               make_plugin):
    make_plugin("sleepy", hook_plugin("time.sleep(3600)"))
    run = run_massgen(overflowing(massgen_emulator),
                      extra=COMPACT_OFF + "deadlines: {compress_context: 3}\n")
    log = finished(run)
    ours(run, log, "plugin 'sleepy': hook compress_context did not return within 3 s; not "
                   "asked again in this process; MassGen summarizes instead")
    assert summarizer_requests(massgen_emulator, "gpt-4o")


def test_plugins_that_hang_or_spawn_threads_while_loading_are_named_and_left_out(
        run_massgen, massgen_emulator, make_plugin):
    make_plugin("stuck", "import time\ntime.sleep(3600)\n")
    make_plugin("spawner", "import threading, time\n"
                           "threading.Thread(target=time.sleep, args=(3600,), daemon=False,\n"
                           "                 name='forever').start()\n")
    make_plugin("slowsettings", "import time\nfrom massgen_plugins import hookimpl\n\n"
                                "@hookimpl\ndef plugin_settings():\n    time.sleep(3600)\n")
    run = run_massgen(overflowing(massgen_emulator),
                      extra=COMPACT_OFF + "deadlines: {import: 2, plugin_settings: 2}\n")
    log = finished(run)
    ours(run, log, "plugin 'stuck': import of fake_stuck did not finish within 2 s; going on "
                   "without it")
    ours(run, log, "plugin 'spawner': started the non-daemon thread 'forever'; it runs as a "
                   "daemon thread, so that it cannot keep the process alive")
    ours(run, log, "plugin 'slowsettings': hook plugin_settings did not return within 2 s")
    assert summarizer_requests(massgen_emulator, "gpt-4o")


def test_a_compaction_that_does_not_fit_hands_the_agent_to_massgens_summarization(
        run_massgen, massgen_emulator):
    # agent_a writes a long reply with no tool call; MassGen asks again, quoting it in a user
    # message, which compaction keeps word for word: the compacted context is still past the
    # window. MassGen alone saves this agent by summarization; so must the bridge.
    massgen_emulator.responder = MassgenDriver({"gpt-4o": AgentSettings(first_text=20_000)})
    massgen_emulator.windows["gpt-4o"] = 7_500
    run = run_massgen(AGENTS.format(url=massgen_emulator.base_url("openai")), extra=COMPACT_ON)
    log = finished(run)
    assert run.fields["WINNER"] == "agent_a", "the agent was saved, as MassGen alone saves it"
    assert "failed to use workflow tools" not in log
    assert len(compactions(massgen_emulator)) == 1, "compaction is not tried again for it"
    ours(run, log, "compressed agent_a's context with openai-compact")
    first = next(line for line in run.stderr.splitlines() if "with openai-compact" in line)
    assert "but the retry was still too long (Your input exceeds the context window" in first
    assert "; MassGen summarizes instead" in first
    # The records, and logs summary, say which method worked.
    records = [(c["agent"], c["method"], c["ok"]) for c in summary_json(run.attempt)["compressions"]
               if c["agent"] == "agent_a"]
    assert records[0] == ("agent_a", "openai-compact", False)
    assert records[-1] == ("agent_a", "massgen-summarization", True)
    assert {m for _, m, _ in records[1:]} == {"massgen-summarization"}
    assert "recovery successful via summarization" in log


def test_a_compact_reply_that_trickles_in_ends_at_timeout_s(run_massgen, massgen_emulator):
    massgen_emulator.fail("trickle", "openai", delay=1.0, path="/compact")
    run = run_massgen(overflowing(massgen_emulator),
                      extra=COMPACT_ON + "    timeout_s: 3\n    retry_budget_s: 1\n")
    log = finished(run)
    ours(run, log, "plugin 'compact_openai': hook compress_context raised CompactionFailed: "
                   "no complete answer from /responses/compact within 3 s (timeout_s); MassGen "
                   "summarizes instead")
    assert summarizer_requests(massgen_emulator, "gpt-4o")


def test_compaction_switched_on_but_not_usable_is_one_line(run_massgen, massgen_emulator):
    run = run_massgen(overflowing(massgen_emulator))  # no allow_compatible for the emulator
    log = finished(run)
    url = massgen_emulator.base_url("openai")
    ours(run, log, f"compaction is off for {url}: it is not api.openai.com (set "
                   "plugins.compact_openai.allow_compatible: true if it serves "
                   "/responses/compact)")
    assert compactions(massgen_emulator) == []
    assert summarizer_requests(massgen_emulator, "gpt-4o")


class HoldFirst:
    """Answers as `inner` does, but holds agent_a's first request a while, touching `marker`."""

    def __init__(self, inner, marker) -> None:
        self.inner, self.marker, self.held = inner, marker, False

    def __call__(self, prompt):
        if prompt.model == "gpt-4o" and not self.held:
            self.held = True
            self.marker.touch()
            time.sleep(60)
        return self.inner(prompt)


def test_the_users_ctrl_c_stops_massgen_as_it_does_while_massgen_waits(
        run_massgen, massgen_emulator, make_plugin, home):
    # Today: Ctrl-C while MassGen waits on the API. Then: Ctrl-C while a plugin's hook hangs.
    waiting = home / "waiting"
    agents = overflowing(massgen_emulator)
    massgen_emulator.responder = HoldFirst(massgen_emulator.responder, waiting)
    today = run_massgen(agents, extra=COMPACT_OFF, interrupt_when=waiting.exists)
    assert "WINNER" not in today.fields

    hanging = home / "hanging"
    make_plugin("sleepy", hook_plugin(f"open({str(hanging)!r}, 'w').close()\n"
                                      "time.sleep(3600)"))
    overflowing(massgen_emulator)
    run = run_massgen(agents, extra=COMPACT_OFF, interrupt_when=hanging.exists)
    assert "WINNER" not in run.fields, "the user's Ctrl-C is not taken for the plugin's"
    assert run.returncode == today.returncode
    assert ("Traceback" in run.stderr) == ("Traceback" in today.stderr)
