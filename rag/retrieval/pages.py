"""Page-level ranking: the unit a user checks is a PDF page, so pages are ranked, not only chunks.

A page's score fuses the (already fused) scores of its chunks among the candidates: its best chunk plus
`weight` x the sum of the others, so a page where several passages match beats a page with one lucky
chunk. The result lists each page's best chunk in page order first (so the top k are k different pages),
then the remaining chunks by their own score. Chunks of non-paged documents (Markdown, text, HTML, DOCX:
one "page" per file) are their own unit and keep their scores, so those corpora rank exactly as before.
"""

from __future__ import annotations

from ..types import Hit

PAGED = frozenset({"pdf"})


def _unit(h: Hit) -> tuple[str, ...]:
    c = h.chunk
    return (c.doc_id, str(c.page)) if c.doc_type in PAGED else (c.id,)


def rank_pages(hits: list[Hit], weight: float, others: int | None = None) -> list[Hit]:
    """`hits` best first; returns the page heads (score = page score) then the rest. `others` caps how many
    of a page's next-best chunks count (None: all of them)."""
    if not any(h.chunk.doc_type in PAGED for h in hits):
        return hits
    groups: dict[tuple[str, ...], list[Hit]] = {}
    for h in hits:
        groups.setdefault(_unit(h), []).append(h)
    heads, rest = [], []
    for members in groups.values():
        best, *tail = members
        best.score += weight * sum(max(o.score, 0.0) for o in tail[:others])
        heads.append(best)
        rest += tail
    heads.sort(key=lambda h: -h.score)
    return heads + sorted(rest, key=lambda h: -h.score)
