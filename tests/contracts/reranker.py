"""The behaviour every reranker must have: the same hits back, reordered, scores in the new order."""

from __future__ import annotations

import pytest

from rag.rerankers import Reranker
from rag.types import Chunk, Hit

QUERY = "When did the Zorblat footbridge open?"
TEXTS = [
    "The Zorblat footbridge opened in 1923 after six years of work.",
    "Bananas are yellow and grow in bunches.",
    "Trains to the coast leave every hour from platform two.",
]


def hits() -> list[Hit]:
    """Fused retrieval order: the clear answer first, scores falling."""
    return [
        Hit(
            Chunk(
                id=f"c{n}",
                doc_id=f"d{n}",
                text=t,
                source=f"/docs/{n}.md",
                title=f"Doc {n}",
                page=1,
                start=0,
                end=len(t),
                doc_type="md",
            ),
            1.0 - 0.2 * n,
            dense=0.5,
        )
        for n, t in enumerate(TEXTS)
    ]


class RerankerContract:
    @pytest.fixture
    def reranker(self) -> Reranker:
        raise NotImplementedError("the subclass provides a reranker")

    def test_declares_its_name(self, reranker):
        assert isinstance(reranker, Reranker) and isinstance(reranker.name, str) and reranker.name

    def test_returns_the_same_hits_reordered(self, reranker):
        out = reranker.rerank(QUERY, hits())
        assert out and sorted(h.chunk.id for h in out) == sorted(h.chunk.id for h in hits())

    def test_keeps_the_clear_answer_first(self, reranker):
        assert reranker.rerank(QUERY, hits())[0].chunk.id == "c0"

    def test_scores_follow_the_new_order(self, reranker):
        scores = [h.score for h in reranker.rerank(QUERY, hits())]
        assert len(scores) == len(TEXTS) and scores == sorted(scores, reverse=True)

    def test_no_hits_gives_no_hits(self, reranker):
        assert reranker.rerank(QUERY, []) == []
