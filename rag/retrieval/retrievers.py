"""Built-in retrievers: dense (Chroma), bm25 (bm25s), hybrid (both, fused)."""

from __future__ import annotations

from typing import Sequence

from ..settings import Settings
from ..types import Hit
from . import fusion, glossary
from .base import retrievers
from .pages import rank_pages
from .questions import clean_question
from .sources import SearchSources


def search_text(query: str, settings: Settings) -> str:
    """The question as searched, before the glossary's additions: without answer-format instructions."""
    return clean_question(query) if settings.clean_questions else query


def glossary_note(query: str, settings: Settings) -> str | None:
    """What the glossary added to this question's search, in words for the user (None: nothing)."""
    return glossary.note(search_text(query, settings), settings.query_glossary)


class DenseRetriever:
    name = "dense"

    def __init__(self, sources: SearchSources, settings: Settings) -> None:
        self.sources, self.settings = sources, settings

    def retrieve(self, query: str, k: int, doc_ids: Sequence[str] | None = None) -> list[Hit]:
        asked = search_text(query, self.settings)
        searched = glossary.expand(asked, self.settings.query_glossary)
        return self._finish(self._search(searched, max(k, self.settings.candidates), doc_ids, asked), k)

    def _search(self, query: str, n: int, doc_ids: Sequence[str] | None, asked: str) -> list[Hit]:
        """`query` is what is searched (with the glossary's additions), `asked` the question's own words."""
        return self.sources.dense(query, n, doc_ids)

    def _finish(self, hits: list[Hit], k: int) -> list[Hit]:
        s = self.settings
        if s.page_ranking:
            hits = rank_pages(hits, s.page_fusion)
        return fusion.collapse_near_duplicates(hits, s.dedup_jaccard, limit=k)


class BM25Retriever(DenseRetriever):
    name = "bm25"

    def _search(self, query: str, n: int, doc_ids: Sequence[str] | None, asked: str) -> list[Hit]:
        return self.sources.lexical(query, n, doc_ids)


class HybridRetriever(DenseRetriever):
    name = "hybrid"

    def _search(self, query: str, n: int, doc_ids: Sequence[str] | None, asked: str) -> list[Hit]:
        s = self.settings
        live = self.sources.live()  # one look-up of the live collection for both searches
        dense = self.sources.dense(query, n, doc_ids, live=live)
        # which document the question is about is judged by its own words: the glossary's line items are
        # in every filing and would flatten the document prior (FinanceBench, docs/benchmarks.md)
        lexical, doc_scores = self.sources.lexical_and_doc_scores(
            query, n, doc_ids, docs=s.doc_prior > 0, live=live, known=dense, about=asked
        )
        fused = (
            fusion.rrf(dense, lexical, s.rrf_k)
            if s.fusion == "rrf"
            else fusion.weighted(dense, lexical, s.fusion_weight)
        )
        return fusion.doc_prior(fused, doc_scores, s.doc_prior)


retrievers.register("dense")(DenseRetriever)
retrievers.register("bm25")(BM25Retriever)
retrievers.register("hybrid")(HybridRetriever)
