"""Keeping API keys and other secrets out of everything the user, a model or a log can see.

This is the one place secrets are found and masked. A secret is found three ways: by its
value (environment variables named like secrets, and values under secret-named keys in the
config files, remembered as the config is read); by its shape (the key formats below); and by
its context (`api_key: value`, `Authorization: <scheme> value`, `Cookie: ...`,
`scheme://user:password@host`). It is found where it is written as JSON (a key that starts a
line follows a `\\n` escape), wrapped onto the next line, or with an invisible character inside.

The shapes are a table of data, one pattern a provider, kept to the key formats the providers
document and secret scanners detect (gitleaks' rules cover the same providers). No package
can be used instead: detect-secrets knows OpenAI keys only in their legacy format and none of
Anthropic, Google, xAI, Groq or bearer tokens, and pulls in requests; gitleaks is a Go program.
Each pattern is tried only on text with a word that starts as its keys do, so masking the
thousands of strings of a listing costs about what it did with a dozen shapes.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any


class _Lazy:
    """A pattern compiled on its first use: a string shown needs few of them, and compiling
    them all would cost more than the rest of a short command's masking."""

    __slots__ = ("_pattern", "flags", "source")

    def __init__(self, source: str, flags: int = 0) -> None:
        """Keep the pattern's source."""
        self.source, self.flags = source, flags
        self._pattern: re.Pattern[str] | None = None

    def get(self) -> re.Pattern[str]:
        """The compiled pattern."""
        if self._pattern is None:
            self._pattern = re.compile(self.source, self.flags)
        return self._pattern


_E = r"(?![A-Za-z0-9])"
_WORD = "(?#word)"  # a context pattern that starts so must match where a word starts

# Key shapes: (starts, pattern). Each starts where a word does, with one of its `starts`
# (three or four characters, lower case); a pattern is tried only on text that has a word
# starting so. Written
# from each provider's documented key format, as secret scanners (gitleaks, detect-secrets)
# know them.
_SHAPES: list[tuple[tuple[str, ...], str]] = [
    (("sk-",), r"sk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}"),  # OpenAI, Anthropic...
    (("sk_", "rk_"), r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),  # Stripe
    (("whse",), r"whsec_[A-Za-z0-9+/=]{20,}"),  # Stripe webhook signing secret
    (("aiza",), r"AIza[0-9A-Za-z_\-]{30,}"),  # Google API key
    (("ya29",), r"ya29\.[0-9A-Za-z_\-.]{20,}"),  # Google OAuth access token
    (("gocs",), r"GOCSPX-[0-9A-Za-z_\-]{20,}"),  # Google OAuth client secret
    (("1//",), r"1//0[0-9A-Za-z_\-]{30,}"),  # Google OAuth refresh token
    (("xai-",), r"xai-[A-Za-z0-9]{20,}"),
    (("gsk_",), r"gsk_[A-Za-z0-9]{20,}"),  # Groq
    (("csk-",), r"csk-[A-Za-z0-9]{30,}"),  # Cerebras
    (("pplx",), r"pplx-[A-Za-z0-9]{30,}"),  # Perplexity
    (("fw_",), r"fw_[A-Za-z0-9]{20,}"),  # Fireworks
    (("r8_",), r"r8_[A-Za-z0-9]{30,}"),  # Replicate
    (("tvly",), r"tvly-(?:dev-|prod-)?[A-Za-z0-9]{20,}"),  # Tavily
    (("lsv2",), r"lsv2_(?:pt|sk)_[A-Za-z0-9]{20,}(?:_[A-Za-z0-9]{6,})?"),  # LangSmith
    (("pcsk",), r"pcsk_[A-Za-z0-9_]{40,}"),  # Pinecone
    (("hf_",), r"hf_[A-Za-z0-9]{30,}"),  # Hugging Face
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), r"gh[pousr]_[A-Za-z0-9]{30,}"),  # GitHub
    (("gith",), r"github_pat_[A-Za-z0-9_]{30,}"),
    (("glpa", "gldt", "glrt", "glpt", "glso", "glcb", "glft", "glim", "glag",
      "gloa"), r"gl(?:pat|dt|rtr|rt|ptt|soat|cbt|ft|imt|agent|oas)-[A-Za-z0-9_\-]{20,}"),  # GitLab
    (("glc_", "glsa"), r"glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9_]{32,}"),  # Grafana
    (("akia", "asia", "abia", "acca", "a3t"),
     r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}" + _E),  # AWS access key id
    (("ltai",), r"LTAI[A-Za-z0-9]{20}" + _E),  # Alibaba Cloud
    (tuple(f"xox{c}" for c in "abposre"), r"xox[abposre]-[A-Za-z0-9\-]{10,}"),  # Slack
    (("xapp",), r"xapp-\d-[A-Za-z0-9\-]{10,}"),
    (("sg.",), r"SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"),  # SendGrid
    (("npm_",), r"npm_[A-Za-z0-9]{30,}"),
    (("pypi",), r"pypi-AgE[A-Za-z0-9_\-]{40,}"),
    (("eyj",), r"eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"),  # JWT
    (tuple(f"sk{c}" for c in "0123456789abcdef"), r"SK[0-9a-f]{32}" + _E),  # Twilio API key
    (("key-",), r"key-[0-9a-f]{32}" + _E),  # Mailgun
    (("dop_", "doo_", "dor_"), r"do[opr]_v1_[a-f0-9]{64}"),  # DigitalOcean
    (("shpa", "shps", "shpc"), r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}"),  # Shopify
    (("dapi",), r"dapi[a-f0-9]{32}(?:-\d)?" + _E),  # Databricks
    (("lin_",), r"lin_api_[A-Za-z0-9]{40}"),  # Linear
    (("ntn_",), r"ntn_[A-Za-z0-9]{40,}"), (("secr",), r"secret_[A-Za-z0-9]{43}" + _E),  # Notion
    (("atat",), r"ATATT[A-Za-z0-9_\-=]{50,}"),  # Atlassian
    (("hvs.", "hvb."), r"hv[sb]\.[A-Za-z0-9_\-]{24,}"),  # HashiCorp Vault
    (("dp.",), r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}"),  # Doppler
    (("pmak",), r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}"),  # Postman
    (("sntr",), r"sntry[su]_[A-Za-z0-9_=+/]{40,}"),  # Sentry
    (("nrak",), r"NRAK-[A-Z0-9]{27}"),  # New Relic
    (("age-",), r"AGE-SECRET-KEY-1[0-9A-Z]{58}"),
    (("dckr",), r"dckr_pat_[A-Za-z0-9_\-]{27,}"),  # Docker Hub
    (("sq0",), r"sq0(?:atp|csp)-[A-Za-z0-9_\-]{22,}"),  # Square
    (("hrku",), r"HRKU-[A-Za-z0-9_\-]{60}"),  # Heroku
    (("sbp_", "sb_s"), r"sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_\-]{20,}"),  # Supabase
    (("figd",), r"figd_[A-Za-z0-9_\-]{40,}"),  # Figma
    (("nfp_",), r"nfp_[A-Za-z0-9]{36,}"),  # Netlify
    (("eaa",), r"EAA[A-Z][A-Za-z0-9]{80,}"),  # Facebook / Meta access token
]
# Shapes whose start is no fixed text, tried where their marker (lower case) is in the text.
_FLOATING: list[tuple[tuple[str, ...], str]] = [
    (("-us",), r"[0-9a-f]{32}-us\d{1,2}" + _E),  # Mailchimp
    ((":aa",), r"\d{8,10}:AA[A-Za-z0-9_\-]{33}" + _E),  # Telegram bot
    ((".atlasv1.",), r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,}"),  # Terraform Cloud
    (("q~",), r"[A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}"),  # Azure AD client secret
]
# Every shape is one run of at least this many key characters: text without one needs none.
_RUN = _Lazy(r"[A-Za-z0-9_\-.+/=~:]{15}")
# The first four characters of each word (after a JSON escape such as `\n` too) that starts
# with a letter or a 1, as every shape's does.
_WORD_STARTS = _Lazy(r"(?:\\[nrt]|^|[^A-Za-z0-9_\-])(?=([A-Za-z1][A-Za-z0-9_\-./]{2,3}))")
_NAMES = (r"api[_\-]?key|apikey|secret[_\-]?access[_\-]?key|secret[_\-]?key|access[_\-]?key|"
          r"private[_\-]?key|client[_\-]?secret|access[_\-]?token|auth[_\-]?token|"
          r"refresh[_\-]?token|session[_\-]?token|account[_\-]?key|shared[_\-]?access[_\-]?key|"
          r"passphrase|token|secret|password|passwd")
# Text after which a value is a secret: the context stays readable, the value is masked.
# (hints, pattern, flags, group holding the secret); no hints: the key-word gate below.
_IN_CONTEXT: list[tuple[tuple[str, ...], str, int, int]] = [
    # `api_key: value`, `"token": "value"`, `password=value` in YAML, JSON, logs and prose,
    # and in JSON inside a JSON string, where the quotes are escaped.
    ((), rf"""(?i)(?:{_NAMES})\\*["']?\s*[:=]\s*\\*["']?([^\s"'\\,}}{{\]\[]{{6,}})""", 0, 1),
    # Any scheme, its name included: `Authorization: token ghp_...`, `Basic dXNlcjpwYXNz`.
    (("authorization",), _WORD + r"""authorization\\*["']?\s*[:=]\s*\\*["']?"""
     r"""(?:[A-Za-z][A-Za-z0-9_\-]*\s+)?([^\s"'\\,}{\]\[]{6,})""", re.I, 1),
    (("bearer",), _WORD + r"bearer\s+([A-Za-z0-9._~+/\-]{16,}=*)", re.I, 1),
    # Every cookie in a Cookie or Set-Cookie header, up to the line's end.
    (("cookie",), _WORD + r"""(?:set-)?cookie\\*["']?\s*[:=]\s*\\*["']?([^\r\n"'\\]{6,})""",
     re.I, 1),
    # `scheme://user:password@host`, the user possibly empty (redis://:password@host).
    (("://",), r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@\"'<>]*:([^\s@/\"'<>]+)@", 0, 1),
    (("sig=", "signature="), r"(?i)[?&;]sig(?:nature)?=([^&\s\"'#;]{16,})", 0, 1),  # Azure SAS
    (("hooks.slack.com",), r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+", 0, 0),
    (("discord",), r"https://(?:[a-z]+\.)?discord(?:app)?\.com/api/webhooks/[0-9]+/"
     r"[A-Za-z0-9_\-]{20,}", 0, 0),
    (("private key",),
     r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
     re.DOTALL, 0),
]
# Where a secret's value may follow: text after this must be held back while it streams in.
_LEAD_IN = (rf"""(?i)(?:(?:{_NAMES}|authorization|cookie)\\*["']?\s*(?:[:=]\s*\\*["']?)?"""
            r"""(?:[A-Za-z][A-Za-z0-9_\-]*\s+)?|bearer\s+)\Z""")
# A key wrapped onto the next line: a span that ends a line takes the next line too when that
# line is one token (with a digit, or long) and nothing else.
_NEXT_LINE = _Lazy(r"(?:\r?\n|(?:\\+r)?\\+n)[ \t]*((?=[^\s]*\d|[^\s]{20})[A-Za-z0-9+/=_\-.]{8,})"
                        r"(?=[\s\\\"',;]|\Z)")
# Characters that show nothing, as typed or as JSON escapes: a key with one inside is a key.
_INVISIBLE = _Lazy(r"[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]|"
                        r"\\+u(?:00[aA][dD]|180[eE]|200[b-fB-F]|206[0-4]|[fF][eE][fF][fF])")


# A pattern, its group that holds the secret, and whether its match must start a word.
Rule = tuple[_Lazy, int, bool]


@functools.cache
def _rules() -> tuple[dict[str, list[Rule]], dict[str, list[Rule]], list[Rule], _Lazy]:
    """The rules: shapes by the two letters they start with, the others by their hints,
    those tried where a secret-named key is, and the lead-in."""
    starting: dict[str, list[Rule]] = {}
    for starts, shape in _SHAPES:
        # The word-start check is made on each match, not in the pattern: a pattern that
        # begins with a lookbehind cannot skip ahead to its first letters, and costs a scan
        # of every position of a long text.
        rule = (_Lazy(shape), 0, True)
        for start in starts:
            starting.setdefault(start, []).append(rule)
    hinted: dict[str, list[Rule]] = {}
    keyed: list[Rule] = []
    for hints, text, flags, group in [*((h, p, 0, 0) for h, p in _FLOATING), *_IN_CONTEXT]:
        bounded = text.startswith(_WORD)
        rule = (_Lazy(text.removeprefix(_WORD), flags), group, bounded)
        for hint in hints:
            hinted.setdefault(hint, []).append(rule)
        if not hints:
            keyed.append(rule)
    return starting, hinted, keyed, _Lazy(_LEAD_IN)


_SECRET_ENV = _Lazy(r"(API_?KEY|_KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$",
                         re.IGNORECASE)
_SECRET_KEY = _Lazy(rf"(?i)(?:{_NAMES}|credentials?)$")
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
        known = bool(_SECRET_KEY.get().search(key.rsplit(".", 1)[-1]))
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
    found = {v for k, v in env.items() if _SECRET_ENV.get().search(k) and len(v) >= MIN_SECRET}
    values = sorted(found | _remembered, key=len, reverse=True)
    if environ is None and key[0] is not None:
        _last = (key, values)
    return values


_last: tuple[Any, list[str]] | None = None


def find(text: str, environ: Mapping[str, str] | None = None) -> list[tuple[int, int]]:
    """The (start, end) spans of every secret in `text`, merged and in order."""
    return _find(text, secret_values(environ))


_KEYED = _Lazy(r"""(?:key|token|secret|password|passwd|passphrase)\\*["']?\s*[:=]""")


def _keyed(folded: str) -> bool:
    """Whether a secret-named key with its `:` or `=` is in the (case-folded) text."""
    # Substring finds, and the pattern tried only where a key word is: one alternation
    # searched over the whole text costs more on a listing's row.
    for word in ("key", "token", "secret", "passw", "passphrase"):
        at = folded.find(word)
        while at >= 0:
            if _KEYED.get().match(folded, at):
                return True
            at = folded.find(word, at + 1)
    return False


def _may_hold(text: str) -> bool:
    """Whether any pattern could match `text`; yes where an invisible character may hide one."""
    if (not text.isascii() or "\\u" in text) and _INVISIBLE.get().search(text):
        return True
    return bool(_patterns_for(text))


def _patterns_for(text: str) -> list[Rule]:
    """The patterns worth trying on `text`."""
    starting, hinted, keyed, _ = _rules()
    found: list[Rule] = []
    if _RUN.get().search(text):
        words = {w.lower() for w in _WORD_STARTS.get().findall(text)}
        for start in (words | {w[:3] for w in words}) & starting.keys():
            found += starting[start]
    # Case-folding maps what the (?i) patterns treat as one letter (K and the Kelvin sign)
    # onto one spelling, so a hint is found however the text spells it.
    folded = text.casefold()
    for hint in hinted:
        if hint in folded:
            found += hinted[hint]
    if _keyed(folded):
        found += keyed
    return list(dict.fromkeys(found))  # a pattern reached twice is tried once


def _find(text: str, values: list[str]) -> list[tuple[int, int]]:
    if (not text.isascii() or "\\u" in text) and _INVISIBLE.get().search(text):
        return _find_through_invisible(text, values)
    spans: list[tuple[int, int]] = []
    for value in values:
        at = text.find(value)
        while at >= 0:
            spans.append((at, at + len(value)))
            at = text.find(value, at + len(value))
    for pattern, group, bounded in _patterns_for(text):
        spans += [m.span(group) for m in pattern.get().finditer(text)
                  if not bounded or _starts_word(text, m.start())]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if text.startswith("***", start):
            continue  # masked already
        wrapped = _NEXT_LINE.get().match(text, end)
        while wrapped is not None:  # the rest of a key wrapped onto the next lines
            end = wrapped.end(1)
            wrapped = _NEXT_LINE.get().match(text, end)
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _starts_word(text: str, at: int) -> bool:
    """Whether a word starts at `at`: after no letter, digit, `_` or `-`, or after `\\n`.

    Keys inside longer base64 or identifiers are not keys; a key right after a JSON escape
    starts a line of JSON-encoded text.
    """
    if at == 0 or text[at - 1] not in _WORD_CHARS:
        return True
    return at >= 2 and text[at - 2] == "\\" and text[at - 1] in "nrt"


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _find_through_invisible(text: str, values: list[str]) -> list[tuple[int, int]]:
    """Spans found in `text` without its invisible characters, as spans of `text`."""
    where: list[int] = []  # the index in `text` of each character kept
    kept, last = [], 0
    for m in _INVISIBLE.get().finditer(text):
        kept.append(text[last:m.start()])
        where.extend(range(last, m.start()))
        last = m.end()
    kept.append(text[last:])
    where.extend(range(last, len(text)))
    where.append(len(text))
    return [(where[start], where[end - 1] + 1) for start, end in _find("".join(kept), values)]


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
        lead = _rules()[3].get().search(text, max(0, cut - 80), cut)
        if lead is not None:
            cut = lead.start()
        begin = text.rfind("-----BEGIN ")
        if 0 <= begin < cut and "-----END " not in text[begin:]:
            cut = begin  # a private key block still arriving, lines and all
        longest = len(self._values[0]) if self._values else 0
        cut = max(cut, len(text) - self.max_hold - longest)
        spans = _find(text, self._values)
        for start, end in reversed(spans):
            # Never show part of a secret, nor one that ends a line the next line may go on.
            if start < cut < end or (end < cut and text[end] in "\r\n"
                                      and not text[end:cut].strip()):
                cut = start
                # ...nor let go of what made it one (`Cookie: ` before the value).
                lead = _rules()[3].get().search(text, max(0, cut - 80), cut)
                if lead is not None:
                    cut = lead.start()
        self._held = text[cut:]
        return _masked(text[:cut], [(s, e) for s, e in spans if e <= cut])

    def flush(self) -> str:
        """Everything still held, with its secrets masked."""
        text, self._held = self._held, ""
        return _masked(text, _find(text, self._values))
