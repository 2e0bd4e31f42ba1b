"""The BM25 index is rebuilt off the query path (issue 16): queries during a slow rebuild are answered from
the previous index, the new revision is used once built, and a failed rebuild keeps the old index."""

from __future__ import annotations

import logging
import threading

import pytest

from rag import Settings
from rag.index import Index
from rag.lexical import BM25Index, LexicalCache
from rag.manifest import NewDocument
from rag.store.memory import MemoryBackend
from rag.types import Chunk

WAIT = 30.0  # generous bound for the background thread: a hang fails instead of blocking the suite


def _chunk(i: int, text: str) -> Chunk:
    return Chunk(
        id=f"d{i}:1:0",
        doc_id=f"d{i}",
        text=text,
        source=f"/x/d{i}.md",
        title=f"Doc {i}",
        page=1,
        start=0,
        end=len(text),
    )


NILE = _chunk(0, "The Nile flows north into the Mediterranean.")
ZEBRA = _chunk(1, "Zebras have black and white stripes.")


class GatedBuilder:
    """Builds for real, but a build of a gated revision waits until the test opens the gate."""

    def __init__(self, gated: set[int] = frozenset(), fail: set[int] = frozenset()) -> None:
        self.gated, self.fail = set(gated), set(fail)
        self.gate, self.started = threading.Event(), threading.Event()
        self.built: list[int] = []

    def __call__(self, collection: str, rev: int, chunks) -> BM25Index:
        if rev in self.gated:
            self.started.set()
            assert self.gate.wait(WAIT)
        if rev in self.fail:
            raise OSError("chroma server went away")
        self.built.append(rev)
        return BM25Index().build(chunks())


def _top(index: BM25Index, query: str) -> str | None:
    hits = index.search(query, 1)
    return hits[0][0] if hits else None


def test_the_first_query_waits_for_the_build(tmp_path):
    cache = LexicalCache(tmp_path, builder=GatedBuilder())
    assert _top(cache.get("col", 1, lambda: [NILE]), "nile") == NILE.id


def test_queries_during_a_slow_rebuild_use_the_old_index_then_the_new_one(tmp_path):
    builder = GatedBuilder(gated={2})
    cache = LexicalCache(tmp_path, wait_s=0, builder=builder)
    cache.get("col", 1, lambda: [NILE])
    # revision 2 adds the zebra document; its build is held at the gate
    old = cache.get("col", 2, lambda: [NILE, ZEBRA])
    assert builder.started.wait(WAIT)
    assert _top(old, "zebra stripes") is None and _top(old, "nile") == NILE.id
    assert cache.current() == ("col", 1)
    again = cache.get("col", 2, lambda: [NILE, ZEBRA])  # asked again while building: no second build
    assert again is old
    builder.gate.set()
    new = cache.get("col", 2, lambda: [NILE, ZEBRA], fresh=True)
    assert _top(new, "zebra stripes") == ZEBRA.id and cache.current() == ("col", 2)
    assert builder.built == [1, 2]


def test_revisions_asked_for_during_a_build_coalesce_into_one_build_of_the_newest(tmp_path):
    builder = GatedBuilder(gated={2})
    cache = LexicalCache(tmp_path, wait_s=0, builder=builder)
    cache.get("col", 1, lambda: [NILE])
    cache.get("col", 2, lambda: [NILE])
    assert builder.started.wait(WAIT)
    for rev in (3, 4, 5):  # an ingest bumping the revision per file while revision 2 builds
        assert _top(cache.get("col", rev, lambda: [NILE, ZEBRA]), "zebra") is None
    builder.gate.set()
    assert _top(cache.get("col", 5, lambda: [NILE, ZEBRA], fresh=True), "zebra") == ZEBRA.id
    assert builder.built == [1, 2, 5]


def test_a_failed_rebuild_keeps_the_old_index_and_logs_one_line(tmp_path, caplog):
    cache = LexicalCache(tmp_path, wait_s=0, builder=GatedBuilder(fail={2}), retry_s=3600)
    cache.get("col", 1, lambda: [NILE])
    with caplog.at_level(logging.WARNING, logger="rag.lexical"):
        with pytest.raises(OSError):
            cache.get("col", 2, lambda: [NILE, ZEBRA], fresh=True)  # the caller who needed it hears why
        for _ in range(3):  # others are answered from revision 1, without retrying every query
            assert _top(cache.get("col", 2, lambda: [NILE, ZEBRA]), "nile") == NILE.id
    lines = [r.getMessage() for r in caplog.records if r.name == "rag.lexical"]
    assert len(lines) == 1 and "col r2 failed" in lines[0] and "chroma server went away" in lines[0]
    assert "\n" not in lines[0] and cache.current() == ("col", 1)


def test_a_small_library_reads_its_writes_within_the_wait(tmp_path):
    # the default wait covers a build of a few chunks: an ask right after an add sees the new document
    cache = LexicalCache(tmp_path, wait_s=WAIT, builder=GatedBuilder())
    cache.get("col", 1, lambda: [NILE])
    assert _top(cache.get("col", 2, lambda: [NILE, ZEBRA]), "zebra stripes") == ZEBRA.id


def test_another_collection_is_built_before_it_is_answered(tmp_path):
    # after a reindex the old collection's index says nothing about the new one's chunk ids
    cache = LexicalCache(tmp_path, wait_s=0, builder=GatedBuilder())
    cache.get("old", 7, lambda: [NILE])
    assert _top(cache.get("new", 1, lambda: [ZEBRA]), "zebra") == ZEBRA.id


def test_search_sources_follow_each_ingest_of_a_small_library(tmp_path):
    # end to end with the fake embedder and the default wait: add, search, add, search finds the new one
    from rag.retrieval.sources import SearchSources

    s = Settings(_env_file=None, data_dir=tmp_path, embedder="fake", embedder_runtime="fake")
    index = Index(s, backend=MemoryBackend())
    sources = SearchSources(index)

    def add(chunk: Chunk) -> None:
        with index.write_lock():
            info, store = index.active_store(create=True)
            store.upsert([chunk], index.embedder.embed_documents([chunk.text]))
            doc = NewDocument(chunk.doc_id, chunk.title, "text", 1, 1, 0)
            index.manifest.record(info.name, chunk.doc_id, [(chunk.source, 0, 0.0)], doc)

    add(NILE)
    assert [h.chunk.id for h in sources.lexical("nile", 3)] == [NILE.id]
    add(ZEBRA)
    assert [h.chunk.id for h in sources.lexical("zebra stripes", 3)] == [ZEBRA.id]
    assert sources.lexical_cache.current()[1] == index.active().rev
