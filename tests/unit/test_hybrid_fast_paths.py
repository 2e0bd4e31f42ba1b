"""The cheap wins on the hybrid query path (issue 16) change no result: the near-duplicate collapse that
stops at k keeps what the full collapse kept first, its size bound agrees with the plain Jaccard, and BM25
hits already among the dense hits are not fetched from the store again."""

from __future__ import annotations

import random

from rag import Settings
from rag.index import Index
from rag.manifest import NewDocument
from rag.retrieval import fusion
from rag.retrieval.sources import SearchSources
from rag.store.memory import MemoryBackend
from rag.types import Chunk, Hit


def _chunk(i: int, text: str, h: str = "") -> Chunk:
    return Chunk(
        id=f"c{i}",
        doc_id=f"d{i}",
        text=text,
        source=f"/x/d{i}.md",
        title="",
        page=1,
        start=0,
        end=len(text),
        content_hash=h,
    )


def _hits(n: int, seed: int) -> list[Hit]:
    rnd = random.Random(seed)
    vocab = [f"w{j}" for j in range(40)]
    base = [" ".join(rnd.choices(vocab, k=30)) for _ in range(n // 3)]
    out = []
    for i in range(n):  # a third near-copies of earlier texts, some with a shared content hash
        text = (
            rnd.choice(base) + (" extra" if rnd.random() < 0.5 else "")
            if i % 3
            else " ".join(rnd.choices(vocab, k=rnd.randint(5, 40)))
        )
        out.append(Hit(_chunk(i, text, h=f"h{i % 7}" if i % 5 == 0 else ""), 1.0 - i / n))
    return out


def _slow_collapse(hits: list[Hit], t: float) -> list[str]:
    kept: list[tuple[Hit, set[str]]] = []
    for h in hits:
        ws = set(fusion.words(h.chunk.text))
        if any(h.chunk.content_hash and h.chunk.content_hash == k.chunk.content_hash for k, _ in kept):
            continue
        if any(ws and len(ws & kw) / len(ws | kw) > t for _, kw in kept):
            continue
        kept.append((h, ws))
    return [h.chunk.id for h, _ in kept]


def test_the_collapse_keeps_what_the_plain_pairwise_collapse_kept():
    for seed in range(20):
        hits = _hits(60, seed)
        for t in (0.3, 0.6, 0.85):
            full = [h.chunk.id for h in fusion.collapse_near_duplicates(hits, t)]
            assert full == _slow_collapse(hits, t)
            assert [h.chunk.id for h in fusion.collapse_near_duplicates(hits, t, limit=5)] == full[:5]
    assert len(_slow_collapse(_hits(60, 0), 0.6)) < 60  # the data does hold duplicates


class CountingStore:
    def __init__(self, store) -> None:
        self._store, self.asked = store, []

    def __getattr__(self, name):
        return getattr(self._store, name)

    def get(self, ids):
        self.asked += list(ids)
        return self._store.get(ids)


def test_bm25_hits_among_the_dense_hits_are_not_fetched_again(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path, embedder="fake", embedder_runtime="fake")
    index = Index(s, backend=MemoryBackend())
    chunks = [_chunk(0, "The Nile flows north."), _chunk(1, "Zebras have stripes."), _chunk(2, "Nile perch")]
    with index.write_lock():
        info, store = index.active_store(create=True)
        store.upsert(chunks, index.embedder.embed_documents([c.text for c in chunks]))
        for c in chunks:
            index.manifest.record(
                info.name, c.doc_id, [(c.source, 0, 0.0)], NewDocument(c.doc_id, "", "text", 1, 1, 0)
            )
    sources = SearchSources(index)
    name, rev, store = sources.live()
    counting = CountingStore(store)
    known = [Hit(chunks[0], 0.9, dense=0.9)]
    hits, _ = sources.lexical_and_doc_scores("nile", 5, live=(name, rev, counting), known=known)
    assert sorted(h.chunk.id for h in hits) == ["c0", "c2"]
    assert counting.asked == ["c2"]
