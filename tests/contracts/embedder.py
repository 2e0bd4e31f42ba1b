"""The behaviour every embedder runtime must have."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embedders import Embedder


class EmbedderContract:
    @pytest.fixture
    def embedder(self) -> Embedder:
        raise NotImplementedError

    def test_vectors_are_normalized_and_sized_by_the_spec(self, embedder):
        v = embedder.embed_documents(["The cat sat on the mat.", "Stock prices fell sharply."])
        assert v.shape == (2, embedder.spec.dimension)
        assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)

    def test_query_lands_nearest_to_the_matching_document(self, embedder):
        docs = embedder.embed_documents(
            ["Paris is the capital of France.", "Photosynthesis converts light to energy."]
        )
        q = embedder.embed_query("What is the capital city of France?")
        assert q.shape == (embedder.spec.dimension,)
        assert float(docs[0] @ q) > float(docs[1] @ q) + 0.1

    def test_counts_tokens_with_its_own_tokenizer(self, embedder):
        short, long = embedder.count_tokens(["hello", "hello " * 50])
        assert short >= 1 and long >= 50

    def test_empty_batch_gives_empty_matrix(self, embedder):
        assert embedder.embed_documents([]).shape == (0, embedder.spec.dimension)
