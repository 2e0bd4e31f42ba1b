"""Chroma backend: embedded PersistentClient under the data dir, or HttpClient for a `chroma run` server.

We always pass our own embeddings (Chroma's default embedder downloads a model) and use upsert,
because `add` silently ignores existing ids.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from ..errors import StoreError
from ..settings import Settings
from ..types import Chunk, Hit
from .base import COLLECTION_PREFIX, backends


def hnsw_config(settings: Settings) -> dict:
    """The collection configuration new collections get (1.x `configuration`, not legacy `hnsw:` metadata)."""
    return {
        "hnsw": {
            "space": settings.hnsw_space,
            "ef_construction": settings.hnsw_construction_ef,
            "ef_search": settings.hnsw_search_ef,
            "max_neighbors": settings.hnsw_m,
        }
    }


def _space(collection) -> str:
    try:
        return (collection.configuration.get("hnsw") or {}).get("space") or "l2"
    except Exception:  # an old collection without a readable configuration was created as cosine by us
        return "cosine"


class ChromaStore:
    def __init__(self, collection, max_batch: int) -> None:
        self._col = collection
        self.name = collection.name
        self._max_batch = max_batch
        # distance -> cosine similarity for unit vectors: cosine and ip give 1 - cos, l2 gives 2 - 2 cos
        self._per_distance = 0.5 if _space(collection) == "l2" else 1.0

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        for i in range(0, len(chunks), self._max_batch):
            part = chunks[i : i + self._max_batch]
            self._col.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[i : i + len(part)],
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
            )

    def delete_docs(self, doc_ids: Sequence[str]) -> None:
        for d in doc_ids:
            self._col.delete(where={"doc_id": d})

    def query(self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None = None) -> list[Hit]:
        # no count() first: Chroma returns what there is when k exceeds it (an empty list when empty),
        # and on a server every call is a round trip
        where = None
        if doc_ids:
            where = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": list(doc_ids)}}
        r = self._col.query(
            query_embeddings=[vector],
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        sims = [1.0 - self._per_distance * d for d in r["distances"][0]]
        return [
            Hit(Chunk.from_metadata(i, t, m), score=s, dense=s)
            for i, t, m, s in zip(r["ids"][0], r["documents"][0], r["metadatas"][0], sims)
        ]

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        if not ids:
            return []
        r = self._col.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {i: Chunk.from_metadata(i, t, m) for i, t, m in zip(r["ids"], r["documents"], r["metadatas"])}
        return [by_id[i] for i in ids if i in by_id]

    def iter_chunks(self) -> Iterator[Chunk]:
        offset = 0
        while True:
            r = self._col.get(include=["documents", "metadatas"], limit=self._max_batch, offset=offset)
            if not r["ids"]:
                return
            for i, t, m in zip(r["ids"], r["documents"], r["metadatas"]):
                yield Chunk.from_metadata(i, t, m)
            offset += len(r["ids"])

    def count(self) -> int:
        return self._col.count()


class ChromaBackend:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.client = self._connect()
        self.max_batch = min(self.client.get_max_batch_size(), 5000)
        # opened collections by name: names are never reused (a rebuild gets a new one), so a handle stays
        # valid until dropped, and a query costs no lookup round trip
        self._open: dict[str, ChromaStore] = {}

    def _connect(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = self._settings
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if settings.chroma_host:
                client = chromadb.HttpClient(
                    host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
                )
                client.heartbeat()
                return client
            settings.chroma_dir.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
        except Exception as e:
            where = (
                f"{settings.chroma_host}:{settings.chroma_port}"
                if settings.chroma_host
                else settings.chroma_dir
            )
            raise StoreError(f"cannot open the Chroma store at {where}: {str(e)[:160]}") from None

    def refresh(self) -> None:
        """Embedded store: a new client that reads what other processes wrote since this one opened.

        Chroma shares one in-process system per path; dropping our entry from its cache (not stopping
        it: stores opened from it may be mid-query) makes the next client load the index from disk."""
        if self._settings.chroma_host:
            return  # a server is always current
        from chromadb.api.shared_system_client import SharedSystemClient

        identifier = getattr(self.client, "_identifier", None)
        with SharedSystemClient._refcount_lock:
            SharedSystemClient._identifier_to_system.pop(identifier, None)
            SharedSystemClient._identifier_to_refcount.pop(identifier, None)
        self.client = self._connect()
        self._open = {}

    def open(self, name: str) -> ChromaStore:
        store = self._open.get(name)
        if store is None:
            store = self._open[name] = self._open_collection(name)
        return store

    def _open_collection(self, name: str) -> ChromaStore:
        # an existing collection keeps the configuration it was created with (Chroma ignores ours), except
        # ef_search, the one search-time knob Chroma lets us change in place; Chroma 1.5.9 reads it when a
        # process loads the index, so it holds from this process's first query (processes already serving
        # keep theirs until they restart)
        col = self.client.get_or_create_collection(
            name, embedding_function=None, configuration=hnsw_config(self._settings)
        )
        ef = self._settings.hnsw_search_ef
        if (col.configuration.get("hnsw") or {}).get("ef_search", ef) != ef:
            col.modify(configuration={"hnsw": {"ef_search": ef}})
        return ChromaStore(col, self.max_batch)

    def drop(self, name: str) -> None:
        self._open.pop(name, None)
        try:
            self.client.delete_collection(name)
        except Exception:  # already gone: dropping is idempotent
            pass

    def names(self) -> list[str]:
        cols = self.client.list_collections()
        names = [c if isinstance(c, str) else c.name for c in cols]
        return [n for n in names if n.startswith(COLLECTION_PREFIX)]


@backends.register("chroma")
def _factory(settings: Settings) -> ChromaBackend:
    return ChromaBackend(settings)
