"""What every retriever searches: the live collection's vectors and its BM25 twin."""

from __future__ import annotations

from typing import Sequence

from ..index import Index
from ..lexical import BM25Index, LexicalCache
from ..store import VectorStore
from ..types import Hit

Live = tuple[str, int, VectorStore]  # collection, manifest revision, store
_LOOK = object()  # "look the live collection up" (None means there is none)


class SearchSources:
    def __init__(self, index: Index) -> None:
        s = index.settings
        self.index = index
        self.lexical_cache = LexicalCache(s.data_dir / "bm25", s.bm25_k1, s.bm25_b, wait_s=s.bm25_wait_s)

    def live(self) -> Live | None:
        """The active collection, re-read every query so a finished reindex is picked up at once."""
        found = self.index.active_store()
        if found is None:
            return None
        info, store = found
        return info.name, info.rev, store

    def dense(
        self, query: str, n: int, doc_ids: Sequence[str] | None = None, live: Live | None = _LOOK
    ) -> list[Hit]:
        live = self.live() if live is _LOOK else live
        if live is None:
            return []
        return live[2].query(self.index.embedder.embed_query(query), n, doc_ids)

    def bm25(self, fresh: bool = False, live: Live | None = _LOOK) -> tuple[BM25Index, VectorStore] | None:
        """The BM25 index of the live collection and its store. The index may be one rebuild behind the
        store right after an ingest (rag/lexical.py LexicalCache); `fresh` waits for the current one."""
        live = self.live() if live is _LOOK else live
        if live is None:
            return None
        name, rev, store = live
        return self.lexical_cache.get(name, rev, store.iter_chunks, fresh=fresh), store

    def lexical(self, query: str, n: int, doc_ids: Sequence[str] | None = None) -> list[Hit]:
        return self.lexical_and_doc_scores(query, n, doc_ids, docs=False)[0]

    def lexical_and_doc_scores(
        self,
        query: str,
        n: int,
        doc_ids: Sequence[str] | None = None,
        docs: bool = True,
        live: Live | None = _LOOK,
        known: Sequence[Hit] = (),
        about: str | None = None,
    ) -> tuple[list[Hit], dict[str, float]]:
        """BM25 hits, and (with `docs`) the whole-document scores (of `about`, default `query`) from the same
        index in the same look-up of the live collection (a Chroma server round trip each). Chunks already
        at hand (`known`: the dense hits of the same query) are not fetched again."""
        found = self.bm25(live=live)
        if found is None:
            return [], {}
        bm25, store = found
        ranked = bm25.search(query, n, doc_ids)
        chunks = {h.chunk.id: h.chunk for h in known}
        missing = [i for i, _ in ranked if i not in chunks]
        chunks.update((c.id, c) for c in (store.get(missing) if missing else ()))
        hits = [Hit(chunks[i], s, lexical=s) for i, s in ranked if i in chunks]
        return hits, bm25.doc_scores(about or query) if docs else {}
