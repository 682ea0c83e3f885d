"""The host calls hooks in a documented order and survives plugins that misbehave."""

from __future__ import annotations

import attrs
import pytest

from massgen_plugins import CompressionRequest, CompressionResult, ModelChoice, Setting
from massgen_plugins.events.classes import Classifier
from massgen_plugins.host import Host

WRAPPER = """
    from massgen_plugins import hookimpl

    class Wrap:
        def __init__(self, inner, label):
            self.inner, self.label = inner, label
        def emit(self, event):
            self.inner.emit(f"{{self.label}}({{event}})")
        def flush(self):
            self.inner.flush()
        def close(self):
            self.inner.close()

    @hookimpl{marker}
    def wrap_event_sink(sink, context):
        {body}
"""


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []

    def emit(self, event: str) -> None:
        self.events.append(event)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def wrapper(marker: str = "", body: str = "return Wrap(sink, context.name)") -> str:
    return WRAPPER.format(marker=marker, body=body)


def test_sink_wrappers_compose_once_in_the_documented_order(home, make_plugin):
    make_plugin("a", wrapper())
    make_plugin("b", wrapper())
    make_plugin("c", wrapper("(tryfirst=True)"))
    host = Host.create(environ={"MASSGEN_LOAD_PLUGINS": "a,b,c"})
    tui = Recorder()
    sink = host.build_event_sink(tui, Classifier())
    sink.emit("e")
    # c is asked first (tryfirst) and sits next to the TUI; then b, then a, outermost.
    assert tui.events == ["c(b(a(e)))"]


def test_a_wrapper_that_returns_junk_is_skipped_and_one_that_raises_leaves_the_sink_alone(
        home, make_plugin):
    make_plugin("a", wrapper())
    make_plugin("b", wrapper(body="raise ValueError('nope')"))
    make_plugin("c", wrapper(body="return 42"))
    warnings: list[str] = []
    host = Host(config=Host.create(environ={}).config,
                environ={"MASSGEN_LOAD_PLUGINS": "a,b,c"}, echo=warnings.append)
    tui = Recorder()
    host.build_event_sink(tui, Classifier()).emit("e")
    # c answers junk: skipped. b raises: the TUI gets its events as if no plugin wrapped it
    # (a is not asked; nothing went through a chain yet).
    assert tui.events == ["e"]
    assert warnings == [
        "massgen-plugins: warning: plugin 'c': hook wrap_event_sink returned int, which lacks "
        "emit/flush/close; ignored",
        "massgen-plugins: warning: plugin 'b': hook wrap_event_sink raised ValueError: nope; "
        "the TUI gets its events unwrapped"]


RESOLVER = """
    from massgen_plugins import hookimpl, ModelChoice

    @hookimpl
    def resolve_analysis_model(spec):
        {body}
"""


def test_firstresult_asks_the_next_plugin_after_one_raises(home, make_plugin):
    make_plugin("a", RESOLVER.format(body="return ModelChoice('openai', 'gpt-5', 'a')"))
    make_plugin("b", RESOLVER.format(body="raise RuntimeError('down')"))
    make_plugin("c", RESOLVER.format(body="return 'not a choice'"))
    make_plugin("d", RESOLVER.format(body="return None"))
    warnings: list[str] = []
    host = Host(config=Host.create(environ={}).config,
                environ={"MASSGEN_LOAD_PLUGINS": "a,b,c,d"}, echo=warnings.append)
    choice = host.call_first("resolve_analysis_model", expect=ModelChoice, spec=None)
    assert choice == ModelChoice("openai", "gpt-5", "a")
    assert len(warnings) == 2


def test_an_old_plugin_keeps_working_when_the_spec_grows(home, make_plugin):
    # The implementation takes only `request`, not `context`: it was written against an older,
    # smaller spec, and the host must still call it.
    make_plugin("old", """
        from massgen_plugins import hookimpl, CompressionResult

        @hookimpl
        def compress_context(request):
            return CompressionResult(items=request.items[-1:], method="old")
    """)
    host = Host.create(environ={"MASSGEN_LOAD_PLUGINS": "old"})
    request = CompressionRequest(items=[{"role": "user", "content": "x"}] * 3, provider="openai",
                                 model="gpt-5", reason="manual", target_tokens=10)
    result = host.call_first("compress_context", expect=CompressionResult, request=request)
    assert result.method == "old" and len(result.items) == 1


def test_plugin_settings_come_validated_with_defaults_and_frozen(home, make_plugin, user_config):
    make_plugin("cfg", """
        from massgen_plugins import hookimpl, Setting, ModelChoice

        @hookimpl
        def plugin_settings():
            return {"model": Setting(str, default="openai/gpt-5", env="FAKE_CFG_MODEL"),
                    "intervals": Setting(dict, default={"text": 0.033}, item_type=float)}

        @hookimpl
        def resolve_analysis_model(spec, context):
            provider, model = context.get("model").split("/")
            return ModelChoice(provider, model, str(dict(context.settings["intervals"])))
    """)
    user_config.parent.mkdir(parents=True)
    user_config.write_text("plugins:\n  cfg:\n    intervals: {text: 0.05, thinking: 1}\n")
    host = Host.create(environ={"MASSGEN_LOAD_PLUGINS": "cfg", "FAKE_CFG_MODEL": "google/g"})
    choice = host.call_first("resolve_analysis_model", spec=None)
    assert choice == ModelChoice("google", "g", "{'text': 0.05, 'thinking': 1}")
    context = host.context("cfg")
    with pytest.raises(TypeError):
        context.settings["model"] = "x"  # type: ignore[index]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        context.name = "other"  # type: ignore[misc]
    assert host.config.source("plugins.cfg.model") == "env FAKE_CFG_MODEL"
    assert host.config.source("plugins.cfg.intervals.text") == str(user_config)


def test_setting_is_a_frozen_value():
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        Setting(str).default = "x"  # type: ignore[misc]
