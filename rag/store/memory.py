"""In-process NumPy store: exact cosine search. For tests and tiny throwaway indexes."""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from ..settings import Settings
from ..types import Chunk, Hit
from .base import COLLECTION_PREFIX, backends


class MemoryStore:
    def __init__(self, name: str) -> None:
        self.name = name
        self._chunks: dict[str, Chunk] = {}
        self._vecs: dict[str, np.ndarray] = {}

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        for c, v in zip(chunks, vectors):
            self._chunks[c.id] = c
            self._vecs[c.id] = np.asarray(v, dtype=np.float32)

    def delete_docs(self, doc_ids: Sequence[str]) -> None:
        drop = [i for i, c in self._chunks.items() if c.doc_id in set(doc_ids)]
        for i in drop:
            del self._chunks[i], self._vecs[i]

    def query(self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None = None) -> list[Hit]:
        ids = [i for i, c in self._chunks.items() if not doc_ids or c.doc_id in doc_ids]
        if not ids:
            return []
        sims = np.stack([self._vecs[i] for i in ids]) @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-sims)[:k]
        return [Hit(self._chunks[ids[j]], float(sims[j]), dense=float(sims[j])) for j in order]

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        return [self._chunks[i] for i in ids if i in self._chunks]

    def iter_chunks(self) -> Iterator[Chunk]:
        yield from list(self._chunks.values())

    def count(self) -> int:
        return len(self._chunks)


class MemoryBackend:
    def __init__(self, settings: Settings | None = None) -> None:
        self._stores: dict[str, MemoryStore] = {}

    def open(self, name: str) -> MemoryStore:
        return self._stores.setdefault(name, MemoryStore(name))

    def drop(self, name: str) -> None:
        self._stores.pop(name, None)

    def names(self) -> list[str]:
        return [n for n in self._stores if n.startswith(COLLECTION_PREFIX)]


backends.register("memory")(MemoryBackend)
