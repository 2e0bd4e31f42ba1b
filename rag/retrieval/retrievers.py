"""Built-in retrievers: dense (Chroma), bm25 (bm25s), hybrid (both, fused)."""
from __future__ import annotations

from typing import Sequence

from ..settings import Settings
from ..types import Hit
from . import fusion
from .base import retrievers
from .sources import SearchSources


class DenseRetriever:
    name = "dense"

    def __init__(self, sources: SearchSources, settings: Settings) -> None:
        self.sources, self.settings = sources, settings

    def retrieve(self, query: str, k: int, doc_ids: Sequence[str] | None = None) -> list[Hit]:
        hits = self.sources.dense(query, max(k, self.settings.candidates), doc_ids)
        return fusion.collapse_near_duplicates(hits, self.settings.dedup_jaccard)[:k]


class BM25Retriever(DenseRetriever):
    name = "bm25"

    def retrieve(self, query: str, k: int, doc_ids: Sequence[str] | None = None) -> list[Hit]:
        hits = self.sources.lexical(query, max(k, self.settings.candidates), doc_ids)
        return fusion.collapse_near_duplicates(hits, self.settings.dedup_jaccard)[:k]


class HybridRetriever(DenseRetriever):
    name = "hybrid"

    def retrieve(self, query: str, k: int, doc_ids: Sequence[str] | None = None) -> list[Hit]:
        n = max(k, self.settings.candidates)
        s = self.settings
        dense = self.sources.dense(query, n, doc_ids)
        lexical, doc_scores = self.sources.lexical_and_doc_scores(query, n, doc_ids, docs=s.doc_prior > 0)
        fused = fusion.rrf(dense, lexical, s.rrf_k) if s.fusion == "rrf" else fusion.weighted(dense, lexical, s.fusion_weight)
        fused = fusion.doc_prior(fused, doc_scores, s.doc_prior)
        return fusion.collapse_near_duplicates(fused, s.dedup_jaccard)[:k]


retrievers.register("dense")(DenseRetriever)
retrievers.register("bm25")(BM25Retriever)
retrievers.register("hybrid")(HybridRetriever)
