"""Vector store role: named collections of chunks with vectors and metadata."""

from __future__ import annotations

from typing import Iterator, Protocol, Sequence, runtime_checkable

import numpy as np

from ..registry import Registry
from ..types import Chunk, Hit

COLLECTION_PREFIX = "docs-"


@runtime_checkable
class VectorStore(Protocol):
    name: str

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None: ...

    def delete_docs(self, doc_ids: Sequence[str]) -> None: ...

    def query(self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None = None) -> list[Hit]: ...

    def get(self, ids: Sequence[str]) -> list[Chunk]: ...

    def iter_chunks(self) -> Iterator[Chunk]: ...

    def count(self) -> int: ...


@runtime_checkable
class StoreBackend(Protocol):
    """Creates, opens and drops collections (one backend per process)."""

    def open(self, name: str) -> VectorStore: ...

    def drop(self, name: str) -> None: ...

    def names(self) -> list[str]: ...


backends: Registry[StoreBackend] = Registry("vector store")
