"""Checking citations after generation: small models cite inconsistently, so we never trust them.

Each answer sentence is aligned to the source sentence that best supports it (idf-weighted term
overlap). Markers pointing at no source are removed and reported; a marker whose source does not
support the sentence is moved to the one that does; an uncited, well-supported sentence gets one.
Citations are renumbered in order of appearance and carry doc, page and the exact supporting span.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .prompt import is_refusal
from .text import Idf, sentences, terms, weighted_overlap
from .types import Citation, Hit

_MARK = re.compile(r"\s*\[(\d+|n)\]")
ATTACH = 0.6  # support needed to add a citation the model did not give
WEAK = 0.4  # a kept citation below this is flagged as weakly supported


@dataclass
class _Support:
    source: int  # 0-based index into hits
    score: float
    span: str


def _best_support(claim: list[str], hits: list[Hit], idf: Idf, spans) -> list[_Support]:
    out = []
    for i, h in enumerate(hits):
        best = _Support(i, 0.0, "")
        for a, b, t in spans[i]:
            s = weighted_overlap(claim, t, idf)
            if s > best.score:
                best = _Support(i, s, h.chunk.text[a:b])
        whole = weighted_overlap(claim, [x for *_, t in spans[i] for x in t], idf)
        best.score = max(best.score, 0.9 * whole)  # a paraphrase may draw on two sentences
        out.append(best)
    return out


def check(answer: str, hits: list[Hit]) -> tuple[str, list[Citation], list[str]]:
    """Returns the answer with corrected [n] markers, its citations, and notes on what was changed."""
    notes: list[str] = []
    spans = [[(a, b, terms(h.chunk.text[a:b])) for a, b in sentences(h.chunk.text)] for h in hits]
    idf = Idf([t for s in spans for *_, t in s])
    number: dict[int, int] = {}  # hit index -> citation n
    citations: list[Citation] = []
    pieces: list[str] = []
    pos = 0
    for a, b in sentences(answer):
        pieces.append(answer[pos:a])
        pos = b
        sent = answer[a:b]
        marks = _MARK.findall(sent)
        claim_text = _MARK.sub("", sent).strip()
        valid = []
        for m in marks:
            if m.isdigit() and 1 <= int(m) <= len(hits):
                valid.append(int(m) - 1)
            else:
                notes.append(f"removed citation [{m}]: it points to no source")
        claim = terms(claim_text)
        if not claim or is_refusal(claim_text) or not hits:
            pieces.append(claim_text)
            continue
        support = _best_support(claim, hits, idf, spans)
        best = max(support, key=lambda s: s.score)
        chosen: list[_Support] = []
        for v in dict.fromkeys(valid):
            if support[v].score >= WEAK or support[v].score >= best.score - 1e-9:
                chosen.append(support[v])
            elif best.score >= WEAK:
                notes.append(f"moved citation [{v + 1}] to [{best.source + 1}]: better support")
                chosen.append(best)
        if not chosen and best.score >= ATTACH:
            chosen.append(best)
        tags = []
        for s in dict.fromkeys(c.source for c in chosen):
            sup = next(c for c in chosen if c.source == s)
            if s not in number:
                number[s] = len(number) + 1
                citations.append(Citation(number[s], hits[s].chunk, sup.span, sup.score, sup.score >= WEAK))
            tags.append(f"[{number[s]}]")
        pieces.append(claim_text + (" " + "".join(tags) if tags else ""))
    pieces.append(_MARK.sub("", answer[pos:]))
    return "".join(pieces).strip(), citations, notes


def grounded(question: str, cites: list[Citation], min_overlap: float = 0.2) -> bool:
    """Whether some cited span is about the question (shares enough of its rarer words)."""
    q = terms(question)
    if not q:
        return bool(cites)
    spans = [terms(c.span) for c in cites]
    idf = Idf(spans + [q])
    return any(weighted_overlap(q, t, idf) >= min_overlap for t in spans)
