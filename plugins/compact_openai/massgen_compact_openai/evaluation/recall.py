"""Recall: facts of the conversation, asked after compression, and how the answers are scored.

A question is a line of the conversation with one part left blank (`____`): the bundled task's
planted facts, or, for a run, parts a summary can drop and that cannot be guessed (numbers,
identifiers, names, versions) in the messages and tool results after the system message (every
method keeps the system message). All the questions go in one request per method, after the
compressed context; each reply line is scored by exact match (`exact`), or by a judge model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

RECALL = "[compaction eval: recall]"
GRADING = "[compaction eval: grading]"
BLANK = "____"
# A part of a line that is hard to guess: it holds a digit, or joins words with `_` or `.`
# (an identifier, a flag, a version), or is a name of two capitalised words.
PART = re.compile(r"(?<![\w.-])(?:[A-Za-z_][\w-]*\d[\w.-]*|\d[\d,._:/-]*\d|\d{2,}"
                  r"|[a-z]\w*(?:[_.][a-z0-9]\w*)+|[A-Z][a-z]{2,} [A-Z][a-z]{2,})(?![\w-])")
CONTEXT = 60  # characters of the line kept on each side of the blank
NEAR_ENOUGH = 40  # an exact match may hold this many characters beyond the answer
ANSWER = re.compile(r"^\s*(\d+)\s*[:.)]\s*(.*?)\s*$", re.M)
VERDICT = re.compile(r"^\s*(\d+)\s*[:.)]\s*\**\s*(yes|no)\b", re.M | re.I)


@attrs.frozen
class Fact:
    """One question: a line of the conversation with a blank, what fills it, and where it is."""

    number: int
    cue: str
    answer: str
    where: str


def item_text(item: Mapping[str, Any]) -> str:
    """The text of one Responses input item, as a model reads it."""
    kind = item.get("type", "message")
    if kind == "function_call":
        return f"{item.get('name', '')} {item.get('arguments', '')}"
    if kind == "function_call_output":
        return str(item.get("output", ""))
    content = item.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


def flat(text: str) -> str:
    """`text` with every run of whitespace one space."""
    return " ".join(text.split())


def _finds(cue: str, text: str) -> list[str]:
    """What fills the blank of `cue` at each place in `text` (flattened) that has its line."""
    before, _, after = cue.partition(BLANK)
    before, after = before.strip(), after.strip()
    pattern = (re.escape(before) + r"\s*" if before else r"(?:^|\s)") + (
        (r"((?:(?!" + re.escape(before) + r").){1,200}?)" if before else r"(.{1,200}?)")
        + r"\s*" + re.escape(after) if after else r"(\S+)")
    return [m.group(1).strip() for m in re.finditer(pattern, text, re.M)]


def where_of(n: int, item: Mapping[str, Any]) -> str:
    """Item `n` for people: its number and kind."""
    kind = item.get("type", "message")
    what = {"function_call": f"call of {item.get('name')}",
            "function_call_output": "tool result"}.get(kind, f"{item.get('role')} message")
    return f"item {n + 1} ({what})"


def planted(facts: Sequence[Mapping[str, str]], items: Sequence[Mapping[str, Any]]) -> list[Fact]:
    """The bundled task's facts as questions; ValueError if one is not in the conversation."""
    out = []
    for n, fact in enumerate(facts, 1):
        line, answer = fact["line"], fact["answer"]
        at = [i for i, item in enumerate(items) if line in item_text(item)]
        if len(at) != 1 or answer not in line:
            raise ValueError(f"planted fact {n} is not once in the conversation: {line!r}")
        out.append(Fact(n, flat(line.replace(answer, BLANK, 1)), answer, where_of(at[0], items[at[0]])))
    return out


def draw(system: str | None, items: Sequence[Mapping[str, Any]], count: int) -> list[Fact]:
    """Up to `count` questions from the conversation, spread over it, the same every time."""
    texts = [item_text(i) for i in items]
    whole = "\n".join(flat(t) for t in [system or "", *texts])
    found: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for n, text in enumerate(texts):
        for line in text.splitlines():
            for match in PART.finditer(line):
                answer = match.group(0).rstrip(".,:-")
                cue = _cue(line, match.start(), match.start() + len(answer))
                if cue is None or answer.casefold() in seen or answer in cue:
                    continue
                # Exactly one place in the whole conversation answers it, and not the system
                # message (which every method keeps).
                if _finds(cue, whole) != [answer] or _finds(cue, flat(system or "")):
                    continue
                seen.add(answer.casefold())
                found.append((n, cue, answer))
    chosen = _spread(found, count)
    return [Fact(k, cue, answer, where_of(n, items[n]))
            for k, (n, cue, answer) in enumerate(chosen, 1)]


def _cue(line: str, start: int, end: int) -> str | None:
    """The line around [start, end) with that part blank, cut to whole words; None if too bare."""
    before = line[max(0, start - CONTEXT):start]
    if start > CONTEXT and " " in before:
        before = before[before.index(" ") + 1:]
    after = line[end:end + CONTEXT]
    if end + CONTEXT < len(line) and " " in after:
        after = after[:after.rindex(" ")]
    if len(flat(before)) < 12:
        return None  # too little of the line to tell which part is meant
    return flat(f"{before}{BLANK}{after}")


def _spread(found: list[tuple[int, str, str]], count: int) -> list[tuple[int, str, str]]:
    """`count` of `found` (in conversation order) at even steps, one item at a time first."""
    if len(found) <= count:
        return found
    step = len(found) / count
    picked = [found[int(k * step + step / 2)] for k in range(count)]
    return sorted(set(picked), key=found.index)


def questions(facts: Sequence[Fact]) -> str:
    """The recall request that follows the compressed context."""
    lines = "\n".join(f"{f.number}. {f.cue}" for f in facts)
    return (f"{RECALL}\nAnswer from the conversation above alone. Each question below is a line "
            f"of that conversation with a part replaced by {BLANK}. Reply with one line per "
            f"question: its number, a colon, and what {BLANK} stands for, exactly as the "
            "conversation has it (as in `3: 5433`), or `3: unknown` when the conversation as "
            f"you have it does not say. Reply with those lines only.\n\n{lines}")


def answers(reply: str) -> dict[int, str]:
    """Each numbered answer in a reply (the first, where a number repeats)."""
    out: dict[int, str] = {}
    for number, text in ANSWER.findall(reply):
        out.setdefault(int(number), text.strip().strip("`"))
    return out


def _norm(text: str) -> str:
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text.casefold())  # 1,200 is 1200
    text = re.sub(r"[`\"'“”‘’*]", "", text)
    return flat(text).strip(" .,;:!?()[]{}")


def exact(given: str | None, expected: str) -> bool:
    """True when the answer, case, quotes and thousands separators aside, is the expected text
    or holds it as a whole (with at most NEAR_ENOUGH characters more)."""
    got, want = _norm(given or ""), _norm(expected)
    if not got or got == "unknown" or not want:
        return False
    if got == want:
        return True
    whole = re.search(r"(?<!\w)" + re.escape(want) + r"(?!\w)", got)
    return bool(whole) and len(got) <= len(want) + NEAR_ENOUGH


def grading(facts: Sequence[Fact], given: Mapping[int, str]) -> str:
    """The request that asks a judge model whether each answer says what was expected."""
    items = "\n\n".join(f"{f.number}.\nquestion: {f.cue}\nexpected: {flat(f.answer)}\n"
                        f"given: {flat(given.get(f.number) or 'unknown')}" for f in facts)
    return (f"{GRADING}\nYou grade answers to recall questions about a conversation. Each item "
            f"has a question (a line of the conversation with a blank, {BLANK}), the expected "
            "answer and the answer given. Reply with one line per item: `N: yes` when the "
            "answer given says what the expected answer says (wording and formatting aside), "
            "`N: no` otherwise (an answer of unknown is no). Reply with those lines only."
            f"\n\n{items}")


def verdicts(reply: str) -> dict[int, bool]:
    """Each numbered yes or no in a judge's reply."""
    out: dict[int, bool] = {}
    for number, word in VERDICT.findall(reply):
        out.setdefault(int(number), word.lower() == "yes")
    return out
