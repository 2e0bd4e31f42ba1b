"""The live index: manifest + vector store + embedder, and the rules that keep them consistent."""
from __future__ import annotations

import fcntl
import os
import time
import uuid
from contextlib import contextmanager
from functools import cached_property
from typing import Iterator

from .embedders import Embedder, create_embedder, model_spec
from .errors import IndexBusyError, IndexMismatchError
from .manifest import CollectionInfo, IndexConfig, Manifest
from .settings import Settings
from .store import COLLECTION_PREFIX, StoreBackend, VectorStore, create_backend


class Index:
    def __init__(self, settings: Settings, backend: StoreBackend | None = None,
                 embedder: Embedder | None = None) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.manifest = Manifest(settings.manifest_path)
        self._backend = backend
        self._embedder = embedder

    # heavy parts are created on first use: an unchanged re-ingest never loads the model
    @property
    def backend(self) -> StoreBackend:
        if self._backend is None:
            self._backend = create_backend(self.settings)
        return self._backend

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = create_embedder(self.settings)
        return self._embedder

    @cached_property
    def config(self) -> IndexConfig:
        s = self.settings
        spec = model_spec(s.embedder)
        return IndexConfig(spec.name, s.embedder_runtime, spec.dimension,
                           {"tokens": s.chunk_tokens, "overlap": s.chunk_overlap, "title": True, "version": 1})

    def active(self) -> CollectionInfo | None:
        return self.manifest.active()

    def check(self, info: CollectionInfo) -> None:
        if info.config != self.config:
            raise IndexMismatchError(
                f"the index was built with {info.config.describe()}, but the settings say "
                f"{self.config.describe()}: run `rag reindex` to rebuild it")

    def active_store(self, create: bool = False) -> tuple[CollectionInfo, VectorStore] | None:
        info = self.active()
        if info is None and create:
            name = new_collection_name(self.manifest.namespace)
            self.manifest.create_collection(name, self.config, "active")
            info = self.active()
        if info is None:
            return None
        self.check(info)
        return info, self.backend.open(info.name)

    @contextmanager
    def write_lock(self, wait_s: float = 10.0) -> Iterator[None]:
        """One writer at a time across processes; the kernel releases it if the holder is killed."""
        fd = os.open(self.settings.data_dir / ".write.lock", os.O_CREAT | os.O_RDWR, 0o644)
        deadline = time.monotonic() + wait_s
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise IndexBusyError("another ingest or reindex is running; try again when it finishes") from None
                    time.sleep(0.2)
            self.cleanup()
            yield
        finally:
            os.close(fd)

    def cleanup(self) -> None:
        """Finish or undo what a killed writer left: half-built or retired collections, pending chunks."""
        m = self.manifest
        for info in m.collections():
            if info.state in ("building", "retired"):
                self.backend.drop(info.name)
                m.forget_collection(info.name)
        known = {c.name for c in m.collections()}
        ours = f"{COLLECTION_PREFIX}{m.namespace}-"
        for name in self.backend.names():
            if name.startswith(ours) and name not in known:
                self.backend.drop(name)
        active = m.active()
        if active:
            stale = [d for d in m.pending(active.name) if not m.has_doc(active.name, d)]
            if stale:
                self.backend.open(active.name).delete_docs(stale)
            m.clear_pending(active.name, m.pending(active.name))


def new_collection_name(namespace: str) -> str:
    return f"{COLLECTION_PREFIX}{namespace}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
