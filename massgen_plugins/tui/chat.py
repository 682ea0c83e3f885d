"""`massgen-plugins chat --tui`: the chat as a live producer into the TUI's sink chain."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer, Input

from massgen_plugins.events.classes import Classifier
from massgen_plugins.events.model import Event
from massgen_plugins.tui.app import AppSink, CountingStatic, MassgenApp

USER, ASSISTANT = "you", "assistant"


class ChatApp(MassgenApp):
    """The TUI with an input line: user turns go to the `you` panel, replies stream to `assistant`."""

    def __init__(self, conversation: Any, host: Any, classify: Classifier) -> None:
        """Chat over `conversation`; events go through the host's sink chain."""
        super().__init__(classify, on_ready=self._start_chat)
        self.conversation = conversation
        self.host = host
        self.chain: Any = None
        self._busy = threading.Lock()

    def compose(self) -> ComposeResult:
        """The panels, the votes line, the input, the key help."""
        yield from (w for w in super().compose() if not isinstance(w, Footer))
        yield Input(placeholder="Message (/compact, /tokens, /quit)", id="prompt")
        yield Footer()

    def _start_chat(self, app: MassgenApp) -> None:
        self.chain = self.host.build_event_sink(AppSink(self), self.classify)
        self.conversation.on_compress = lambda record: self.emit("system_status", None,
                                                                 message=record.line())
        self.query_one("#prompt", Input).focus()

    def emit(self, kind: str, agent: str | None, **data: Any) -> None:
        """Put one event into the sink chain, stamped now."""
        import time

        self.chain.emit(Event(datetime.now().isoformat(), kind, agent, 0, data,
                              emitted_at=time.monotonic()))

    def on_input_submitted(self, message: Input.Submitted) -> None:
        """A user turn, or a command."""
        text = message.value.strip()
        message.input.value = ""
        if not text:
            return
        if text == "/quit":
            self.chain.close()
            self.exit()
            return
        if text == "/tokens":
            c = self.conversation
            self.query_one("#votes", CountingStatic).update(
                f" {c.size():,} of {c.window:,} tokens ({100 * c.size() / c.window:.1f}%)",
                layout=False)
            return
        if not self._busy.acquire(blocking=False):
            self.notify("Wait for the reply to finish.")
            return
        threading.Thread(target=self._turn, args=(text,), daemon=True).start()

    def _turn(self, text: str) -> None:
        # A worker thread: the live producer. The UI thread never waits for the model.
        try:
            if text == "/compact":
                self.conversation.compress("manual")
                return
            self.emit("text", USER, content=f"{text}\n")
            self.emit("round_start", ASSISTANT)
            for delta in self.conversation.send(text):
                self.emit("text", ASSISTANT, content=delta)
            self.emit("text", ASSISTANT, content="\n")
            self.emit("answer_submitted", ASSISTANT, answer_label="reply")
        except Exception as exc:  # shown, not raised: the chat goes on
            self.emit("status", ASSISTANT, message=f"error: {exc}")
        finally:
            self.chain.flush()
            self._busy.release()
