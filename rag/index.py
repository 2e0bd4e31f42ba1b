"""The live index: manifest + vector store + embedder, and the rules that keep them consistent."""

from __future__ import annotations

import fcntl
import os
import threading
import time
import uuid
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator, Sequence

import numpy as np

from .embedders import Embedder, create_embedder, model_spec
from .errors import ConfigError, IndexBusyError, IndexMismatchError
from .manifest import CollectionInfo, IndexConfig, Manifest
from .settings import Settings
from .store import COLLECTION_PREFIX, StoreBackend, VectorStore, create_backend
from .types import Chunk, Hit


class Index:
    def __init__(
        self, settings: Settings, backend: StoreBackend | None = None, embedder: Embedder | None = None
    ) -> None:
        self.settings = settings
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:  # RAG_DATA_DIR naming a file, or a folder we may not write
            raise ConfigError(
                f"RAG_DATA_DIR {settings.data_dir} is not a usable folder ({e.strerror or type(e).__name__})"
            ) from None
        self.manifest = Manifest(settings.manifest_path)
        self._backend = backend
        self._embedder = embedder
        self._writing = False

    # heavy parts are created on first use: an unchanged re-ingest never loads the model
    @property
    def backend(self) -> StoreBackend:
        if self._backend is None:
            self._backend = create_backend(self.settings)
            # what the new client sees: the revisions on disk now
            _state(self._backend).seen = {c.name: c.rev for c in self.manifest.collections()}
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
        return IndexConfig(
            spec.name,
            s.embedder_runtime,
            spec.dimension,
            {"tokens": s.chunk_tokens, "overlap": s.chunk_overlap, "title": True, "version": 1},
        )

    def active(self) -> CollectionInfo | None:
        return self.manifest.active()

    def check(self, info: CollectionInfo) -> None:
        if info.config != self.config:
            raise IndexMismatchError(
                f"the index was built with {info.config.describe()}, but the settings say "
                f"{self.config.describe()}: run `rag reindex` to rebuild it"
            )

    def active_store(self, create: bool = False) -> tuple[CollectionInfo, VectorStore] | None:
        info = self.active()
        if info is None and create:
            name = new_collection_name(self.manifest.namespace)
            self.manifest.create_collection(name, self.config, "active")
            info = self.active()
        if info is None:
            return None
        self.check(info)
        if self._writing:
            return info, self.backend.open(info.name)
        _follow_other_writers(self.backend, info)
        store = self.backend.open(info.name)
        hidden = self.manifest.pending(info.name)
        # a reader never sees chunks of a document the manifest does not list (mid-write, or left by a
        # killed writer until the next write cleans up)
        return info, (_Visible(store, frozenset(hidden)) if hidden else store)

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
                        raise IndexBusyError(
                            "another ingest or reindex is running; try again when it finishes"
                        ) from None
                    time.sleep(0.2)
            state = _state(self.backend)
            self._writing = True
            with state.lock:
                state.writers += 1
            try:
                self.cleanup()
                yield
            finally:
                self._writing = False
                with state.lock:
                    state.writers -= 1
                    state.seen = {c.name: c.rev for c in self.manifest.collections()}  # our own writes
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


# Following writes made by other processes -------------------------------------------------------------
@dataclass
class _BackendState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    writers: int = 0  # writers of this process using the backend right now
    seen: dict[str, int] | None = None  # collection -> manifest revision this process's client reflects


_STATES: "weakref.WeakKeyDictionary[StoreBackend, _BackendState]" = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def _state(backend: StoreBackend) -> _BackendState:
    with _STATES_LOCK:
        state = _STATES.get(backend)
        if state is None:
            state = _STATES[backend] = _BackendState()
        return state


def _follow_other_writers(backend: StoreBackend, info: CollectionInfo) -> None:
    """An embedded Chroma keeps its own in-memory copy of the vector index: a separate `rag ingest`
    writes SQLite and disk, but this process would keep answering from its old copy (Chroma issues
    #3792/#3769). A manifest revision this process did not write means another process did: reopen."""
    refresh = getattr(backend, "refresh", None)
    if refresh is None:
        return
    state = _state(backend)
    with state.lock:
        if state.seen is None:  # a backend handed in from outside: start following from here
            state.seen = {}
        elif state.seen.get(info.name) == info.rev or state.writers:
            return
        else:
            refresh()
        state.seen[info.name] = info.rev


class _Visible:
    """A reader's view of a collection without the chunks of pending documents."""

    def __init__(self, store: VectorStore, hidden: frozenset[str]) -> None:
        self._store, self._hidden = store, hidden
        self.name = store.name

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def query(self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None = None) -> list[Hit]:
        hits = self._store.query(vector, 3 * k + 10, doc_ids)  # over-fetch: some hits are hidden
        return [h for h in hits if h.chunk.doc_id not in self._hidden][:k]

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        return [c for c in self._store.get(ids) if c.doc_id not in self._hidden]

    def iter_chunks(self) -> Iterator[Chunk]:
        return (c for c in self._store.iter_chunks() if c.doc_id not in self._hidden)
