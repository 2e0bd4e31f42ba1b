"""Atomic reindex: build a new collection beside the live one, verify it, then switch the pointer.

Until `Manifest.activate` commits, queries keep using the old collection; a kill at any moment
leaves it serving, and the next writer's `Index.cleanup` drops the half-built one.
"""

from __future__ import annotations

import time
from pathlib import Path

from rag.errors import StoreError
from rag.index import Index, new_collection_name

from .pipeline import FileResult, Ingestor, IngestReport, Progress


def reindex(index: Index, progress: Progress | None = None) -> IngestReport:
    t0 = time.perf_counter()
    m = index.manifest
    with index.write_lock():
        old = m.active()
        paths = [Path(p) for p in m.paths(old.name)] if old else []
        name = new_collection_name(m.namespace)
        m.create_collection(name, index.config, "building")
        store = index.backend.open(name)
        report = IngestReport()
        existing = [p for p in paths if p.exists()]
        report.results += [
            FileResult(str(p), "failed", "file no longer exists") for p in paths if not p.exists()
        ]
        report.results += Ingestor(index, progress).run(m.collections("building")[0], store, existing).results
        documents, chunks = m.totals(name)
        if store.count() != chunks:
            raise StoreError(
                f"reindex verification failed: store has {store.count()} chunks, "
                f"manifest expects {chunks}; the old index is still serving"
            )
        m.activate(name)
        if old:
            index.backend.drop(old.name)
            m.forget_collection(old.name)
    report.seconds = time.perf_counter() - t0
    return report
