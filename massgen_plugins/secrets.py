"""Keeping API keys and other secrets out of everything the user, a model or a log can see.

This is the one place secrets are found and masked. A secret is found three ways: by its
value (environment variables named like secrets, and values under secret-named keys in the
config files, remembered as the config is read); by its shape (the key formats below); and by
its context (`api_key: value`, `Authorization: Bearer value`, `scheme://user:password@host`).

The shapes follow gitleaks' rules for the same providers. No maintained Python package covers
this set: detect-secrets (the closest) is a repository scanner that knows OpenAI keys only in
their legacy format and none of Anthropic, Google, xAI, Groq or bearer tokens, and pulls in
requests.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

# Keys embedded in longer base64 or identifier text are not keys: each shape must start where
# a word does.
_START = r"(?<![A-Za-z0-9_\-])"
_SHAPES = [
    r"sk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}",  # OpenAI, Anthropic, DeepSeek
    r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}",  # Stripe
    r"AIza[0-9A-Za-z_\-]{30,}",  # Google
    r"xai-[A-Za-z0-9]{20,}",  # xAI
    r"gsk_[A-Za-z0-9]{20,}",  # Groq
    r"hf_[A-Za-z0-9]{30,}",  # Hugging Face
    r"gh[pousr]_[A-Za-z0-9]{30,}", r"github_pat_[A-Za-z0-9_]{30,}",  # GitHub
    r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])",  # AWS access key id
    r"xox[abposr]-[A-Za-z0-9\-]{10,}",  # Slack tokens
    r"eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",  # JWT
]
_KEY_SHAPES = "|".join(f"{_START}{shape}" for shape in _SHAPES)
_NAMES = (r"api[_\-]?key|apikey|secret[_\-]?access[_\-]?key|secret[_\-]?key|access[_\-]?key|"
          r"private[_\-]?key|client[_\-]?secret|access[_\-]?token|auth[_\-]?token|"
          r"refresh[_\-]?token|token|secret|password|passwd")
# (pattern, group holding the secret): the context stays readable, the value is masked.
_IN_CONTEXT = [
    # `api_key: value`, `"token": "value"`, `password=value` in YAML, JSON, logs and prose,
    # and in JSON inside a JSON string, where the quotes are escaped.
    (rf"""(?i)(?:{_NAMES})\\?["']?\s*[:=]\s*\\?["']?([^\s"'\\,}}{{\]\[]{{6,}})""", 0, 1),
    (r"""(?i)\bauthorization\\?["']?\s*[:=]\s*\\?["']?(?:bearer|basic|token)?\s*"""
     r"""([^\s"'\\,}{\]\[]{6,})""", 0, 1),
    (r"(?i)\bbearer\s+([A-Za-z0-9._~+/\-]{16,}=*)", 0, 1),
    (r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@\"'<>]+:([^\s@/\"'<>]+)@", 0, 1),
    (r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+", 0, 0),
    (r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
     re.DOTALL, 0),
]
# Where a secret's value may follow: text after this must be held back while it streams in.
_LEAD_IN = (rf"""(?i)(?:(?:{_NAMES}|authorization)\\?["']?\s*(?:[:=]\s*\\?["']?)?"""
            r"""(?:bearer\s+|basic\s+|token\s+)?|bearer\s+)\Z""")


@functools.cache
def _compiled() -> tuple[re.Pattern[str], list[tuple[re.Pattern[str], int]], re.Pattern[str]]:
    """The shape, context and lead-in patterns, compiled when first needed (most strings shown
    never need them, and compiling them was most of this module's import time)."""
    return (re.compile(_KEY_SHAPES),
            [(re.compile(text, flags), group) for text, flags, group in _IN_CONTEXT],
            re.compile(_LEAD_IN))
_SECRET_ENV = re.compile(r"(API_?KEY|_KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$",
                         re.IGNORECASE)
_SECRET_KEY = re.compile(rf"(?i)(?:{_NAMES}|credentials?)$")
MIN_SECRET = 6  # shorter values are too common as plain text to mask wherever they occur
_remembered: set[str] = set()


def mask(value: str) -> str:
    """Show a secret as its last four characters only, e.g. ``****1a2b``; short ones as ``***``."""
    if value.startswith("***"):
        return value  # masked already
    return f"****{value[-4:]}" if len(value) >= 12 else "***"


def is_secret_key(key: str) -> bool:
    """True for keys such as `providers.openai.api_key` or `client_secret` whose values are secret."""
    known = _secret_keys.get(key)
    if known is None:
        known = bool(_SECRET_KEY.search(key.rsplit(".", 1)[-1]))
        if len(_secret_keys) < 4096:  # the same few names come back for every row
            _secret_keys[key] = known
    return known


_secret_keys: dict[str, bool] = {}


def remember(data: Any) -> None:
    """Remember every value under a secret-named key in `data` (a config file), to mask it anywhere."""
    for value in _secret_leaves(data):
        if len(value) >= MIN_SECRET:
            _remembered.add(value)


def _secret_leaves(data: Any, secret: bool = False) -> Iterable[str]:
    stack = [(data, secret)]
    seen = 0
    while stack and seen < 100_000:  # bounded: shared YAML anchors repeat subtrees
        node, inside = stack.pop()
        seen += 1
        if isinstance(node, Mapping):
            stack.extend((v, inside or is_secret_key(str(k))) for k, v in node.items())
        elif isinstance(node, (list, tuple)):
            stack.extend((v, inside) for v in node)
        elif inside and node is not None and not isinstance(node, bool):
            yield str(node).strip()


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The secrets known by value: secret-named environment variables and remembered config values."""
    global _last
    if environ is None:
        # Masking runs for every string shown (thousands in one listing); rescanning the
        # environment each time was most of `logs list`'s cost. The environment's items are
        # the key: comparing them is cheap, and a changed variable is seen at once.
        data = getattr(os.environ, "_data", None)
        key = (tuple(data.items()) if isinstance(data, dict) else None, len(_remembered))
        if key[0] is not None and _last is not None and _last[0] == key:
            return _last[1]
    env = os.environ if environ is None else environ
    found = {v for k, v in env.items() if _SECRET_ENV.search(k) and len(v) >= MIN_SECRET}
    values = sorted(found | _remembered, key=len, reverse=True)
    if environ is None and key[0] is not None:
        _last = (key, values)
    return values


_last: tuple[Any, list[str]] | None = None


def find(text: str, environ: Mapping[str, str] | None = None) -> list[tuple[int, int]]:
    """The (start, end) spans of every secret in `text`, merged and in order."""
    return _find(text, secret_values(environ))


# Text any shape or context pattern above needs, case-folded: without one of these, none can
# match, and a string is masked without running them (most strings shown hold none; the
# patterns cost ~45 us on a line of prose). A secret-named key counts only with its `:` or
# `=` after it, as the first pattern requires. Case-folding maps what the (?i) patterns treat
# as one letter (K and the Kelvin sign, s and the long s) onto one spelling; no hint holds an
# i, which folds less uniformly.
_HINTS = ("auth", "bearer", "://", "sk-", "sk_", "rk_", "aiza", "xai-", "gsk_", "hf_", "ghp_",
          "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "akia", "asia", "abia", "acca", "a3t",
          "xox", "eyj", "private key")
_KEYED = re.compile(r"""(?:key|token|secret|password|passwd)\\?["']?\s*[:=]""")


def _may_hold(text: str) -> bool:
    folded = text.casefold()
    # Substring finds, and the pattern tried only where a key word is: one alternation
    # searched over the whole text cost ~40 us on a listing's row.
    if any(hint in folded for hint in _HINTS):
        return True
    for word in ("key", "token", "secret", "passw"):
        at = folded.find(word)
        while at >= 0:
            if _KEYED.match(folded, at):
                return True
            at = folded.find(word, at + 1)
    return False


def _find(text: str, values: list[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for value in values:
        at = text.find(value)
        while at >= 0:
            spans.append((at, at + len(value)))
            at = text.find(value, at + len(value))
    if _may_hold(text):
        shapes, in_context, _ = _compiled()
        spans += [m.span() for m in shapes.finditer(text)]
        for pattern, group in in_context:
            spans += [m.span(group) for m in pattern.finditer(text)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if text.startswith("***", start):
            continue  # masked already
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], mask(text[start:end])]
        last = end
    out.append(text[last:])
    return "".join(out)


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Return `text` with every secret found in it replaced by a masked form."""
    spans = find(text, environ)
    return _masked(text, spans) if spans else text


def redact_data(data: Any, environ: Mapping[str, str] | None = None) -> Any:
    """JSON-like data with values under secret-named keys masked (any type or depth), text redacted.

    The result is a copy, or `data` itself when it is plain JSON with nothing to mask.
    """
    values = secret_values(environ)
    texts: list[str] = []
    if _plain(data, texts):
        joined = "\n".join(texts)
        # A secret in any one text is in them joined; a hit across two only costs the walk.
        if not any(value in joined for value in values) and not _may_hold(joined):
            return data
    return _redact_data(data, values)


def _plain(data: Any, texts: list[str]) -> bool:
    """Whether `data` is dicts with plain keys, lists and scalars; collects its texts (keys too)."""
    stack = [data]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            for key in node:
                if type(key) is not str or is_secret_key(key):
                    return False
                texts.append(key)
            stack.extend(node.values())
        elif type(node) is list:
            stack.extend(node)
        elif type(node) is str:
            texts.append(node)
        elif node is not None and type(node) not in (int, float, bool):
            return False
    return True


def _redact_data(data: Any, values: list[str]) -> Any:
    if isinstance(data, Mapping):
        return {str(k): (_mask_all(v) if is_secret_key(str(k)) else _redact_data(v, values))
                for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_redact_data(v, values) for v in data]
    if isinstance(data, str):
        spans = _find(data, values)
        return _masked(data, spans) if spans else data
    return data


def _mask_all(value: Any) -> Any:
    """Everything under a secret-named key, masked; null, booleans and empty values stay as they are."""
    if isinstance(value, Mapping):
        return {str(k): _mask_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_all(v) for v in value]
    if value is None or isinstance(value, bool) or value == "":
        return value
    return mask(str(value))


class StreamRedactor:
    """Masks secrets in text that arrives in pieces, such as a key split across two stream deltas.

    `feed` returns what is safe to show now and holds back the tail that could still grow into
    a secret (the last word and a lead-in such as `api_key: ` before it); `flush` releases it.
    """

    # A tail held longer than this is let go (masked as far as it can be): a stream that never
    # writes a space must not hold everything back.
    max_hold = 4096

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        """Start with nothing held."""
        self._values = secret_values(environ)
        self._held = ""

    def feed(self, piece: str) -> str:
        """Take the next piece; return the text before the tail that is still held."""
        text = self._held + piece
        cut = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t")) + 1
        lead = _compiled()[2].search(text, max(0, cut - 80), cut)
        if lead is not None:
            cut = lead.start()
        begin = text.rfind("-----BEGIN ")
        if 0 <= begin < cut and "-----END " not in text[begin:]:
            cut = begin  # a private key block still arriving, lines and all
        longest = len(self._values[0]) if self._values else 0
        cut = max(cut, len(text) - self.max_hold - longest)
        spans = _find(text, self._values)
        for start, end in reversed(spans):
            if start < cut < end:
                cut = start  # never show part of a secret
        self._held = text[cut:]
        return _masked(text[:cut], [(s, e) for s, e in spans if e <= cut])

    def flush(self) -> str:
        """Everything still held, with its secrets masked."""
        text, self._held = self._held, ""
        return _masked(text, _find(text, self._values))
