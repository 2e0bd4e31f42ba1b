"""The HNSW settings reach the Chroma collection's configuration, and scores stay cosine in every space."""

import numpy as np
import pytest

from rag import Settings
from rag.store.chroma import ChromaBackend
from rag.types import Chunk


def _backend(tmp_path, **kw) -> ChromaBackend:
    return ChromaBackend(Settings(data_dir=tmp_path, _env_file=None, **kw))


def _hnsw(backend: ChromaBackend, name: str) -> dict:
    return backend.client.get_collection(name).configuration["hnsw"]  # read back from Chroma itself


def test_a_new_collection_gets_the_settings(tmp_path):
    b = _backend(tmp_path, hnsw_space="ip", hnsw_construction_ef=150, hnsw_search_ef=40, hnsw_m=24)
    b.open("docs-a")
    got = _hnsw(b, "docs-a")
    assert (got["space"], got["ef_construction"], got["ef_search"], got["max_neighbors"]) == (
        "ip",
        150,
        40,
        24,
    )


def test_an_existing_collection_keeps_its_build_settings_but_takes_the_new_search_ef(tmp_path):
    _backend(tmp_path, hnsw_construction_ef=120, hnsw_m=20, hnsw_search_ef=30).open("docs-a")
    b = _backend(tmp_path, hnsw_space="l2", hnsw_construction_ef=300, hnsw_m=40, hnsw_search_ef=70)
    b.open("docs-a")
    got = _hnsw(b, "docs-a")
    assert (got["space"], got["ef_construction"], got["max_neighbors"]) == ("cosine", 120, 20)
    assert got["ef_search"] == 70


@pytest.mark.parametrize("space", ["cosine", "l2", "ip"])
def test_scores_are_cosine_similarities_in_every_space(tmp_path, space):
    rng = np.random.default_rng(0)
    v = rng.normal(size=(6, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    chunks = [
        Chunk(id=f"d:1:{i}", doc_id="d", text=f"t{i}", source="/d.md", title="D", page=1, start=0, end=2)
        for i in range(6)
    ]
    store = _backend(tmp_path, hnsw_space=space).open("docs-a")
    store.upsert(chunks, v)
    hits = store.query(v[0], k=6)
    want = sorted((v @ v[0]).tolist(), reverse=True)
    assert [h.score for h in hits] == pytest.approx(want, abs=1e-4)


def test_a_chroma_server_gets_the_settings_too(chroma_server):
    b = ChromaBackend(
        Settings(
            data_dir=chroma_server.path,
            chroma_host="127.0.0.1",
            chroma_port=chroma_server.port,
            _env_file=None,
            hnsw_construction_ef=140,
            hnsw_search_ef=60,
            hnsw_m=12,
        )
    )
    b.drop("docs-hnsw")
    b.open("docs-hnsw")
    got = _hnsw(b, "docs-hnsw")
    assert (got["space"], got["ef_construction"], got["ef_search"], got["max_neighbors"]) == (
        "cosine",
        140,
        60,
        12,
    )
