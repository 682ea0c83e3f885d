"""A responder that answers from the context it is sent, for the compaction evaluation.

    emulator.responder = RecallResponder(emulator)

It stands in for a model in `massgen-plugins compaction eval`, and reads three kinds of
request, each by its wording:

- MassGen's summarizer (reactive context compression): its summary keeps the first sentence of
  each message and tool result it is shown (MassGen's own formatting of the conversation), and
  nothing else;
- a recall check (the evaluation's "[compaction eval: recall]"): each question is a line of the
  conversation with a blank; the answer is what fills that blank in the context the request
  carries, read as a model reads it (a compaction item this emulator issued stands for the items
  it replaced), or "unknown" when the line is not there;
- a grading request ("[compaction eval: grading]"): yes when the expected answer is in the
  given one.

So compaction (which loses nothing on the emulator) and a summary (which keeps what it says)
score differently for a reason that can be read off the conversation. Other requests go to
`inner` (a MassgenDriver, say), or get the emulator's default reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from massgen_plugins.testing.replies import Prompt, Reply, text_of

if TYPE_CHECKING:
    from massgen_plugins.testing.emulator import Emulator

SUMMARIZER = "You summarize conversations for context continuity"
CONVERSATION = "Here is the conversation to summarize:"
RECALL = "[compaction eval: recall]"
GRADING = "[compaction eval: grading]"
BLANK = "____"
QUESTION = re.compile(r"^(\d+)\.\s+(.*\S)\s*$", re.M)
GRADED = re.compile(r"^(\d+)\.\s*\nquestion: .*\nexpected: (.*)\ngiven: (.*)$", re.M)
SENTENCE = re.compile(r"(.{1,300}?[.!?])(?:\s|$)")


class RecallResponder:
    """Answers MassGen's summarizer, recall checks and grading from what each request carries."""

    def __init__(self, emulator: Emulator,
                 inner: Callable[[Prompt], Reply | None] | None = None) -> None:
        """Read compaction items through `emulator`; hand other requests to `inner`."""
        self.emulator = emulator
        self.inner = inner

    def __call__(self, prompt: Prompt) -> Reply | None:
        """The reply to one request, or the inner responder's."""
        users = prompt.texts("user")
        last = users[-1] if users else ""
        if prompt.system.startswith(SUMMARIZER):
            return Reply(summary(next((u for u in users if u.startswith(CONVERSATION)), "")))
        if last.startswith(RECALL):
            return Reply(self.recall(prompt, last))
        if last.startswith(GRADING):
            return Reply(grade(last))
        return self.inner(prompt) if self.inner is not None else None

    def recall(self, prompt: Prompt, questions: str) -> str:
        """One line per question: `N: what fills its blank`, or `N: unknown`."""
        context = "\n".join(flat(t) for t in [prompt.system, *(
            item_text(i) for i in self.emulator.expand(list(prompt.items)[:-1]))] if t)
        lines = []
        for number, cue in QUESTION.findall(questions.split("\n", 1)[-1]):
            lines.append(f"{number}: {fill(flat(cue), context)}")
        return "\n".join(lines)


def item_text(item: Mapping[str, Any]) -> str:
    """The text a model reads in one Responses input item."""
    kind = item.get("type", "message")
    if kind == "message":
        return text_of(item.get("content"))
    if kind == "function_call":
        return f"{item.get('name', '')} {item.get('arguments', '')}"
    if kind == "function_call_output":
        return str(item.get("output", ""))
    return ""


def flat(text: str) -> str:
    """`text` with every run of whitespace one space."""
    return " ".join(text.split())


def fill(cue: str, context: str) -> str:
    """What stands for the blank of `cue` in `context`, or "unknown"."""
    before, _, after = cue.partition(BLANK)
    before, after = before.strip(), after.strip()
    if not before and not after:
        return "unknown"
    pattern = (re.escape(before) + r"\s*" if before else r"(?:^|\s)") + (
        (r"((?:(?!" + re.escape(before) + r").){1,200}?)" if before else r"(.{1,200}?)")
        + r"\s*" + re.escape(after) if after else r"(\S+)")
    found = re.search(pattern, context, re.M)
    return found.group(1).strip() if found else "unknown"


def summary(request: str) -> str:
    """The emulator's summary: the first sentence of each message MassGen formatted for it."""
    conversation = request[len(CONVERSATION):].strip()
    lines = ["EMU-SUMMARY (the emulator keeps the first sentence of each message):"]
    for block in conversation.split("\n\n---\n\n"):
        head, _, body = block.strip().partition("\n")
        body = flat(body)
        first = SENTENCE.match(body)
        lines.append(f"{head} {first.group(1) if first else body[:160]}".rstrip())
    return "\n".join(lines)


def grade(request: str) -> str:
    """One line per graded item: yes when the given answer holds the expected one."""
    return "\n".join(
        f"{n}: {'yes' if flat(expected).casefold() in flat(given).casefold() else 'no'}"
        for n, expected, given in GRADED.findall(request))
