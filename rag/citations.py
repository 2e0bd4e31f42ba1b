"""Checking citations after generation: small models cite inconsistently, so we never trust them.

Each answer sentence is aligned to the source sentence that best supports it (idf-weighted term
overlap). Markers pointing at no source are removed and reported; a marker whose source does not
support the sentence is moved to the one that does; an uncited, well-supported sentence gets one.
Citations are renumbered in order of appearance and carry doc, page and the exact supporting span.

Overlap is not enough for a claim (rag.claims): a cited sentence must also find a span whose figures
carry the same labels and which holds the key terms the question asks about, in its cited source or
another one (the citation moves). A sentence no span backs is dropped, never shown as cited; so is an
uncited sentence stating a figure no source backs. Thresholds come from the AnswerPolicy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import claims
from .policy import DEFAULT, AnswerPolicy, is_refusal
from .text import Idf, sentences, terms, weighted_overlap
from .types import Citation, Hit

_MARK = re.compile(r"\s*\[(\d+|n)\]")


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


def _candidates(hit: Hit, spans, support: _Support) -> list[str]:
    """Spans of one source to try against a claim: the best-overlap one, then every sentence, then every
    two adjacent sentences (a claim may draw its subject from the sentence before)."""
    text = hit.chunk.text
    out = [support.span] if support.span else []
    out += [text[a:b] for a, b, _ in spans]
    out += [text[spans[i - 1][0] : spans[i][1]] for i in range(1, len(spans))]
    return list(dict.fromkeys(out))


def check(
    answer: str, hits: list[Hit], question: str = "", policy: AnswerPolicy = DEFAULT
) -> tuple[str, list[Citation], list[str]]:
    """Returns the answer with corrected [n] markers (unsupported sentences dropped), its citations,
    and notes on what was changed."""
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
            if support[v].score >= policy.cite_weak or support[v].score >= best.score - 1e-9:
                chosen.append(support[v])
            elif best.score >= policy.cite_weak:
                notes.append(f"moved citation [{v + 1}] to [{best.source + 1}]: better support")
                chosen.append(best)
        if not chosen and best.score >= policy.cite_attach:
            chosen.append(best)
        chosen, why = _verify(
            claims.Claim.of(claim_text, question), chosen, support, hits, spans, idf, notes, policy.cite_weak
        )
        if why:
            notes.append(f'removed a sentence: {why} ("{_short(claim_text)}")')
            pieces[-1] = ""  # the space before it goes with it
            continue
        tags = []
        for s in dict.fromkeys(c.source for c in chosen):
            sup = next(c for c in chosen if c.source == s)
            if s not in number:
                number[s] = len(number) + 1
                citations.append(
                    Citation(number[s], hits[s].chunk, sup.span, sup.score, sup.score >= policy.cite_weak)
                )
            else:  # one citation per source: its span grows to hold every sentence's support
                cite = citations[number[s] - 1]
                cite.span = _widen(hits[s].chunk.text, cite.span, sup.span)
            tags.append(f"[{number[s]}]")
        pieces.append(claim_text + (" " + "".join(tags) if tags else ""))
    pieces.append(_MARK.sub("", answer[pos:]))
    return "".join(pieces).strip(), citations, notes


def _verify(
    claim: claims.Claim,
    chosen: list[_Support],
    support: list[_Support],
    hits: list[Hit],
    spans,
    idf: Idf,
    notes: list[str],
    floor: float,
) -> tuple[list[_Support], str | None]:
    """The chosen supports whose source backs the claim (span replaced by the backing one), else a source
    that does (the citation moves), else why the sentence must go. Uncited sentences pass unless they
    state a figure no source backs."""
    if not claims.has_claims(claim):
        return chosen, None
    kept, why = [], None
    for c in chosen:
        span, reason = claims.find_support(
            claim, _candidates(hits[c.source], spans[c.source], c), hits[c.source].chunk, idf
        )
        if span is not None:
            kept.append(_Support(c.source, c.score, span))
        why = why or reason
    if kept:
        return kept, None
    if not chosen and not claim.figures:
        return [], None  # shown uncited, as before: nothing to verify it against
    for c in sorted(support, key=lambda s: -s.score):
        if c.score < floor:  # a source must also be about the sentence to take its citation
            break
        span, _ = claims.find_support(
            claim, _candidates(hits[c.source], spans[c.source], c), hits[c.source].chunk, idf
        )
        if span is not None:
            if chosen:
                notes.append(f"moved citation to [{c.source + 1}]: its text backs the claim")
            return [_Support(c.source, c.score, span)], None
    return [], why or "no source states its figures"


def _widen(text: str, span: str, more: str) -> str:
    """The smallest stretch of `text` holding both spans."""
    if not more or more in span:
        return span
    a, b = text.find(span), text.find(more)
    if a < 0 or b < 0:
        return span
    return text[min(a, b) : max(a + len(span), b + len(more))]


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def grounded(question: str, cites: list[Citation], min_overlap: float = DEFAULT.grounding_overlap) -> bool:
    """Whether some cited span is about the question (shares enough of its rarer words)."""
    q = terms(question)
    if not q:
        return bool(cites)
    spans = [terms(c.span) for c in cites]
    idf = Idf(spans + [q])
    return any(weighted_overlap(q, t, idf) >= min_overlap for t in spans)
