"""The behaviour every retriever must have, on a small real index."""

from __future__ import annotations

import pytest

from rag.retrieval import Retriever

DOCS = {
    "eiffel.md": "# Eiffel Tower\n\nThe Eiffel Tower in Paris was completed in 1889 for the World's Fair.",
    "photosynthesis.md": "# Photosynthesis\n\n"
    "Plants convert sunlight, water and carbon dioxide into glucose.",
    "volcano.md": "# Volcanoes\n\nMagma rises through the crust and erupts as lava from volcanoes.",
}


class RetrieverContract:
    @pytest.fixture
    def retriever(self) -> Retriever:
        raise NotImplementedError

    def test_ranks_the_matching_chunk_first(self, retriever):
        hits = retriever.retrieve("When was the Eiffel Tower in Paris completed?", 3)
        assert hits and hits[0].chunk.title == "Eiffel Tower"

    def test_returns_at_most_k_distinct_chunks(self, retriever):
        hits = retriever.retrieve("plants sunlight lava tower", 2)
        assert 1 <= len(hits) <= 2
        assert len({h.chunk.id for h in hits}) == len(hits)

    def test_scores_are_sorted(self, retriever):
        hits = retriever.retrieve("magma lava plants sunlight", 3)  # two documents match
        assert len(hits) >= 2, "too few hits to check the order"
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    def test_filter_by_document(self, retriever):
        # the Eiffel document matches better; one word also matches the volcano document, so even a
        # retriever that only returns term matches (BM25) has something to return
        hits = retriever.retrieve("Eiffel Tower lava", 3, doc_ids=[retriever._doc_ids["volcano.md"]])
        assert hits and all(h.chunk.title == "Volcanoes" for h in hits)
