"""`massgen-plugins chat`: a multi-turn chat in the terminal, with context compression."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from massgen_plugins.cli import get_host
from massgen_plugins.cli.logs import print_warnings
from massgen_plugins.safe_text import neutralise, shown


def command() -> click.Command:
    """The `massgen-plugins chat` command."""

    @click.command()
    @click.option("--model", "spec", required=True, metavar="SPEC", help="PROVIDER/MODEL.")
    @click.option("--session", type=click.Path(dir_okay=False, path_type=Path),
                  help="Resume (or start) the conversation saved in this JSONL transcript.")
    @click.option("--system", help="The system prompt.")
    @click.option("--tui", is_flag=True, help="Chat in the Textual app (through the event sinks).")
    @click.pass_context
    def chat(ctx: click.Context, spec: str, session: Path | None, system: str | None,
             tui: bool) -> None:
        """Chat with a model; replies stream. Commands: /compact, /tokens, /quit.

        When stdin is not a terminal, each line is one user turn, so a chat can be scripted.
        The transcript (every message and every compression) is kept in the session file;
        compression replaces only the working context sent to the model. One chat at a time
        may use a session file.
        """
        from massgen_plugins.conversation import Conversation, Transcript
        from massgen_plugins.providers.catalog import lookup
        from massgen_plugins.providers.registry import make_provider
        from massgen_plugins.providers.specs import SpecError, parse_spec
        from massgen_plugins.values import thaw

        host = get_host(ctx)
        if tui:
            from massgen_plugins.tui import require_textual

            require_textual()
        parsed = parse_spec(spec)
        if parsed.model is None:
            raise SpecError(f"'{spec}' names a provider; give PROVIDER/MODEL, e.g. "
                            f"{parsed.provider}/...")
        entry = lookup(parsed, thaw(host.config.get("model_catalog") or {}))
        provider = make_provider(parsed.provider, thaw(host.config.get("providers") or {}))
        path = session or Path(".massgen") / "chats" / (
            f"chat_{time.strftime('%Y%m%d_%H%M%S')}.jsonl")
        transcript = Transcript(path, exclusive=True)
        try:
            conv = Conversation(provider, parsed.model, entry.context_window or 128_000,
                                transcript, host=host, system=system,
                                settings=thaw(host.config.get("compression") or {}))
            print_warnings(transcript.warnings)
            if tui:
                from massgen_plugins.events.classes import Classifier
                from massgen_plugins.tui.chat import ChatApp

                ChatApp(conv, host,
                        Classifier(thaw(host.config.get("tui.event_classes") or {}))).run()
                click.echo(shown(f"Transcript saved in {path}"))
                return
            _chat(conv, parsed, path)
        finally:
            transcript.release()

    return chat


def _chat(conv: Any, parsed: Any, path: Path) -> None:
    """The terminal chat: a line in, the streamed reply out, until /quit or the end of input."""
    from massgen_plugins.conversation import CompressionError
    from massgen_plugins.errors import MassgenError
    from massgen_plugins.providers.errors import ProviderError
    from massgen_plugins.secrets import StreamRedactor

    conv.on_compress = lambda record: click.echo(shown(record.line()), err=True)
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo(f"Chatting with {parsed} ({conv.window:,}-token window); transcript: "
                   f"{path}. /compact, /tokens, /quit.")
    while True:
        try:
            line = (click.prompt("you", prompt_suffix="> ", default="",
                                 show_default=False) if interactive
                    else sys.stdin.readline())
        except (EOFError, click.Abort):
            break
        if not interactive and line == "":
            break
        text = line.strip()
        if not text:
            continue
        try:
            if text == "/quit":
                break
            if text == "/tokens":
                size = conv.size()
                click.echo(f"{size:,} of {conv.window:,} tokens "
                           f"({100 * size / conv.window:.1f}%)")
                continue
            if text == "/compact":
                conv.compress("manual")
                continue
            # The reply is a model's text: secrets masked (a key split across deltas too),
            # escape sequences shown, not obeyed.
            reply = StreamRedactor()
            for delta in conv.send(text):
                click.echo(neutralise(reply.feed(delta)), nl=False)
            click.echo(neutralise(reply.flush()))
        except (ProviderError, CompressionError) as exc:
            if not interactive:
                raise
            click.echo(f"massgen-plugins: error: {shown(MassgenError.format_message(exc))}",
                       err=True)
    if interactive:
        click.echo(shown(f"Transcript saved in {path}"))
