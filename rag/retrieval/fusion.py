"""Fusing ranked lists, and collapsing near-duplicate chunks."""

from __future__ import annotations

from ..text import words
from ..types import Hit


def _minmax(hits: list[Hit]) -> dict[str, float]:
    if not hits:
        return {}
    scores = [h.score for h in hits]
    lo, hi = min(scores), max(scores)
    span = hi - lo
    return {h.chunk.id: (h.score - lo) / span if span > 0 else 1.0 for h in hits}


def weighted(dense: list[Hit], lexical: list[Hit], w: float) -> list[Hit]:
    """w * normalized dense + (1 - w) * normalized BM25; a list that misses a chunk gives it 0."""
    d, l = _minmax(dense), _minmax(lexical)
    merged = _merge(dense, lexical)
    for cid, h in merged.items():
        h.score = w * d.get(cid, 0.0) + (1 - w) * l.get(cid, 0.0)
    return sorted(merged.values(), key=lambda h: -h.score)


def rrf(dense: list[Hit], lexical: list[Hit], k: int = 60) -> list[Hit]:
    merged = _merge(dense, lexical)
    for h in merged.values():
        h.score = 0.0
    for ranked in (dense, lexical):
        for rank, h in enumerate(ranked):
            merged[h.chunk.id].score += 1.0 / (k + rank + 1)
    return sorted(merged.values(), key=lambda h: -h.score)


def doc_prior(hits: list[Hit], doc_scores: dict[str, float], weight: float) -> list[Hit]:
    """Add weight * (the chunk's document score, 0..1) and re-sort: in a library of long documents a
    question that names its subject ("3M", "Ulta Beauty") should stay inside the document about it."""
    if weight <= 0 or not doc_scores:
        return hits
    for h in hits:
        h.score += weight * doc_scores.get(h.chunk.doc_id, 0.0)
    return sorted(hits, key=lambda h: -h.score)


def _merge(dense: list[Hit], lexical: list[Hit]) -> dict[str, Hit]:
    merged: dict[str, Hit] = {}
    for h in dense:
        merged[h.chunk.id] = Hit(h.chunk, h.score, dense=h.dense)
    for h in lexical:
        if h.chunk.id in merged:
            merged[h.chunk.id].lexical = h.lexical
        else:
            merged[h.chunk.id] = Hit(h.chunk, h.score, lexical=h.lexical)
    return merged


def collapse_near_duplicates(hits: list[Hit], threshold: float, limit: int | None = None) -> list[Hit]:
    """Keep the best of chunks with the same text (same bytes in two docs, boilerplate pages), in order;
    stop once `limit` are kept (the rest would be cut anyway: the pairwise test was ~40 % of a hybrid
    query over 100 candidates)."""
    kept: list[tuple[Hit, set[str]]] = []
    hashes: set[str] = set()
    for h in hits:
        if limit is not None and len(kept) >= limit:
            break
        if h.chunk.content_hash and h.chunk.content_hash in hashes:
            continue
        ws = set(words(h.chunk.text))
        if ws and any(_jaccard_above(ws, kw, threshold) for _, kw in kept):
            continue
        kept.append((h, ws))
        if h.chunk.content_hash:
            hashes.add(h.chunk.content_hash)
    return [h for h, _ in kept]


def _jaccard_above(a: set[str], b: set[str], threshold: float) -> bool:
    # |a & b| / |a | b| > t needs min/max size > t: most pairs are ruled out by their sizes alone
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if not small or len(small) <= threshold * len(large):
        return False
    inter = len(small & large)
    return inter > threshold * (len(a) + len(b) - inter)
