"""The behaviour every vector store backend must have."""

from __future__ import annotations

import numpy as np
import pytest

from rag.store import StoreBackend, VectorStore
from rag.types import Chunk

DIM = 8


def _chunk(i: int, doc: str) -> Chunk:
    return Chunk(
        id=f"{doc}:1:{i}",
        doc_id=doc,
        text=f"text {doc} {i}",
        source=f"/tmp/{doc}.md",
        title=f"Title {doc}",
        page=1 + i % 2,
        start=i * 10,
        end=i * 10 + 9,
        heading="H",
        doc_type="md",
    )


def _vecs(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


class StoreContract:
    @pytest.fixture
    def backend(self) -> StoreBackend:
        raise NotImplementedError

    @pytest.fixture
    def store(self, backend) -> VectorStore:
        return backend.open("docs-contract-test")

    def test_upsert_then_query_returns_nearest_with_metadata(self, store):
        chunks = [_chunk(i, "a") for i in range(5)]
        vecs = _vecs(5)
        store.upsert(chunks, vecs)
        hits = store.query(vecs[3], 2)
        assert hits[0].chunk.id == "a:1:3"
        assert hits[0].dense == pytest.approx(1.0, abs=1e-3)
        c = hits[0].chunk
        assert (c.doc_id, c.title, c.page, c.start, c.end, c.heading) == ("a", "Title a", 2, 30, 39, "H")

    def test_upsert_same_ids_replaces_instead_of_duplicating(self, store):
        store.upsert([_chunk(0, "a")], _vecs(1))
        changed = _chunk(0, "a")
        changed.text = "new text"
        store.upsert([changed], _vecs(1, seed=1))
        assert store.count() == 1
        assert store.get(["a:1:0"])[0].text == "new text"

    def test_delete_docs_removes_only_their_chunks(self, store):
        store.upsert([_chunk(i, "a") for i in range(3)] + [_chunk(i, "b") for i in range(2)], _vecs(5))
        store.delete_docs(["a"])
        assert store.count() == 2
        assert {c.doc_id for c in store.iter_chunks()} == {"b"}

    def test_query_can_be_limited_to_documents(self, store):
        vecs = _vecs(6)
        store.upsert([_chunk(i, "a") for i in range(3)] + [_chunk(i, "b") for i in range(3)], vecs)
        hits = store.query(vecs[0], 5, doc_ids=["b"])
        assert hits and all(h.chunk.doc_id == "b" for h in hits)

    def test_empty_store_queries_return_nothing(self, store):
        assert store.count() == 0
        assert store.query(_vecs(1)[0], 3) == []
        assert store.get([]) == []

    def test_backend_lists_and_drops_collections(self, backend, store):
        store.upsert([_chunk(0, "a")], _vecs(1))
        assert "docs-contract-test" in backend.names()
        backend.drop("docs-contract-test")
        assert "docs-contract-test" not in backend.names()
        backend.drop("docs-contract-test")  # idempotent
