"""A responder that plays every agent of a MassGen 0.1.97 coordination, over Responses and Chat.

    from massgen_plugins.testing.massgen_driver import BACKGROUND_TOOLS, AgentSettings, MassgenDriver

    emulator.responder = MassgenDriver({"gpt-4o": AgentSettings(first_tool=BACKGROUND_TOOLS,
                                                                 first_text=4_000)})

It reads what MassGen 0.1.97 puts on the wire (its prompts and its workflow tools) and answers:

- MassGen's summarizer (reactive context compression): a plain text summary;
- the winner's final presentation: the final answer as plain streamed text;
- a coordination round where no answer is visible yet: a `new_answer` call;
- a round where answers are visible (in the user message's current answers, or announced in a
  tool output mid-round): a `vote` for the first agent of the vote tool's enum with an answer.

Everything it says is recognisable: "EMU-ANSWER from MODEL", "EMU-VOTE ...", "EMU-FINAL ...",
"EMU-SUMMARY ...". Settings are per model, so give each agent its own model to tell them apart.
Requests it does not recognise get None, and so the emulator's default reply.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping

import attrs

from massgen_plugins.testing.replies import Call, Prompt, Reply

SUMMARIZER = "You summarize conversations for context continuity"
PRESENTER = "You have been selected as the winning presenter"
ANSWERS_BLOCK = re.compile(r"<CURRENT ANSWERS from the agents>(.*?)<END OF CURRENT ANSWERS>", re.S)
ANSWER_LABEL = re.compile(r"<(agent\d+)\.\d+>")
NEW_ANSWER_NOTICE = "NEW ANSWER RECEIVED"
NOTICE_LABEL = re.compile(r"\b(agent\d+)\.\d+\b")
# MassGen offers it in every run and runs it locally: a tool call that always works.
BACKGROUND_TOOLS = "custom_tool__list_background_tools"


@attrs.frozen
class AgentSettings:
    """How the agent that uses one model behaves.

    `answer` is its new_answer content (default "EMU-ANSWER from MODEL"). With `first_tool`, its
    first coordination request is answered with a call to that tool instead, together with
    `first_text` characters of assistant text, so the agent's conversation grows by that much
    before it answers (set `emulator.windows[model]` below that to overflow it). With
    `first_text` and no `first_tool`, that first reply is the text alone, with no tool call:
    MassGen then asks again, quoting the text back in a user message ("Your previous response
    was incomplete..."), so the overflow sits in a message no compaction may drop. `reasoning`,
    `text` and `delta` make the agent stream long texts in many small deltas, as a fast model
    does: thousands of MassGen events per run.
    """

    answer: str | None = None
    first_tool: str | None = None
    first_text: int = 0
    # A token flood: `reasoning` characters of reasoning before every reply (Chat Completions
    # only, see Reply.reasoning), `text` characters of visible text with every coordination
    # reply and in the final presentation, streamed in deltas of about `delta` characters
    # (0: each text in three pieces, the emulator's default).
    reasoning: int = 0
    text: int = 0
    delta: int = 0


class MassgenDriver:
    """The responder for MassGen runs; call it with a Prompt, or set it as `Emulator.responder`."""

    def __init__(self, agents: Mapping[str, AgentSettings] | None = None) -> None:
        """Settings per model; models not named behave by the defaults."""
        self.agents = dict(agents or {})
        self._started: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, prompt: Prompt) -> Reply | None:
        """The reply MassGen's agent would want here, or None for a request that is not MassGen's."""
        model = prompt.model
        settings = self.agents.get(model, AgentSettings())
        answer = settings.answer or f"EMU-ANSWER from {model}"
        if prompt.system.startswith(SUMMARIZER):
            return Reply(f"EMU-SUMMARY from {model}: the agent was working on the task and has "
                         "not submitted an answer yet.")
        if PRESENTER in prompt.system:
            final = f"EMU-FINAL from {model}: {answer}"
            return self._streamed(settings, f"{final}\n\n{prose('Presenting', model, settings.text)}"
                                  if settings.text else final)
        if "new_answer" not in prompt.tools and "vote" not in prompt.tools:
            return None
        tool = settings.first_tool
        wants = tool in prompt.tools if tool is not None else settings.first_text > 0
        if wants and self._first(model):
            phrase = f"EMU-WORKING from {model}. "
            text = phrase * (settings.first_text // len(phrase) + 1)
            return self._streamed(settings, text[:settings.first_text],
                                  [Call(tool)] if tool is not None else [])
        said = prose("Working", model, settings.text)
        visible = _visible_answers(prompt)
        if "new_answer" in prompt.tools and (not visible or "vote" not in prompt.tools):
            return self._streamed(settings, said, [Call("new_answer", {"content": answer})])
        enum = list(prompt.tools["vote"].get("properties", {}).get("agent_id", {}).get("enum", []))
        choices = [a for a in enum if a in visible] or enum
        if not choices:
            return None
        reason = f"EMU-VOTE from {model}: {choices[0]} has a complete answer."
        return self._streamed(settings, said,
                              [Call("vote", {"agent_id": choices[0], "reason": reason})])

    @staticmethod
    def _streamed(settings: AgentSettings, text: str, calls: list[Call] | None = None) -> Reply:
        """A reply with the agent's reasoning, its text cut into deltas of its size."""
        reasoning = prose("Thinking", "it", settings.reasoning, paragraphs=True)
        longest = max(len(text), len(reasoning))
        chunks = -(-longest // settings.delta) if settings.delta and longest else 3
        return Reply(text, calls=list(calls or []), reasoning=reasoning, chunks=chunks)

    def _first(self, model: str) -> bool:
        """True once per model: for its first coordination request."""
        with self._lock:
            first = model not in self._started
            self._started.add(model)
        return first


def prose(kind: str, who: str, size: int, paragraphs: bool = False) -> str:
    """About `size` characters of recognisable sentences ("" for 0), the same every time.

    Short sentences, as a model writes them: MassGen's TUI flushes its text buffer at each
    sentence end. With `paragraphs`, a blank line every few sentences.
    """
    words = ("option", "cost", "risk", "answer", "detail", "source", "claim", "step")
    out: list[str] = []
    length = n = 0
    while length < size:
        sentence = (f"{kind} {n} for {who}: the {words[n % 8]} and the {words[(n * 3 + 1) % 8]} "
                    f"look consistent.")
        sentence += "\n\n" if paragraphs and n % 5 == 4 else " "
        out.append(sentence)
        length += len(sentence)
        n += 1
    return "".join(out)[:size]


def _visible_answers(prompt: Prompt) -> set[str]:
    """The anonymous agents (agent1, ...) whose answers this request shows."""
    users = prompt.texts("user")
    block = ANSWERS_BLOCK.search(users[-1]) if users else None
    seen = set(ANSWER_LABEL.findall(block.group(1))) if block else set()
    for output in prompt.texts("tool"):
        if NEW_ANSWER_NOTICE in output:
            seen.update(NOTICE_LABEL.findall(output))
    return seen
