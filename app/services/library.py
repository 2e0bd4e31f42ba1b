"""The document library as the app manages it: uploads, listing, removal, pruning, reindex, health.

Reads go through the serving index; writes through a second `Index` that shares the process's one
store client but has its own manifest connection and embedder. That keeps a background write's open
transaction invisible to readers, and keeps the ingest tokenizer (which flips truncation settings)
away from the one answering queries on other threads.
"""
from __future__ import annotations

import os
import re
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Iterable

from ingest import Ingestor, reindex
from ingest.loaders import supported_suffixes
from ingest.pipeline import FileResult, IngestReport, Progress
from rag.errors import DocumentError, UnsupportedTypeError
from rag.index import Index
from rag.manifest import DocumentRow

# cheap content checks for binary formats, so a renamed file fails at upload, not in the parser
MAGIC = {".pdf": b"%PDF-", ".docx": b"PK\x03\x04"}
_UNSAFE = re.compile(r"[^\w.\- ()]+")


def safe_name(name: str) -> str:
    """A plain file name from whatever the browser sent (no folders, no shell or markup characters)."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = _UNSAFE.sub("_", stem).strip(" ._") or "document"
    return stem[:100] + _UNSAFE.sub("", suffix)


def check_upload(name: str, data: bytes, max_mb: float) -> None:
    """Server-side checks on an upload; the browser widget's own limits are only a convenience."""
    suffix = Path(name).suffix.lower()
    allowed = supported_suffixes()
    if suffix not in allowed:
        raise UnsupportedTypeError(
            f"unsupported type {suffix or '(no extension)'!r}; supported: {', '.join(allowed)}")
    if not data:
        raise DocumentError("empty: 0 bytes")
    if len(data) > max_mb * 1e6:
        raise DocumentError(f"too large ({human_size(len(data))} > limit {human_size(max_mb * 1e6)})")
    magic = MAGIC.get(suffix)
    if magic and magic not in data[:1024]:
        raise DocumentError(f"not a real {suffix[1:].upper()} file (the content does not match its name)")


def human_size(n: float) -> str:
    for unit in ("bytes", "kB", "MB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} GB"


def describe(r: FileResult) -> str:
    """One line a person can act on."""
    if r.status == "indexed":
        pages = f"{r.pages} page{'s' * (r.pages != 1)}, " if r.pages else ""
        line = f"indexed as “{r.title}”: {pages}{r.chunks} chunk{'s' * (r.chunks != 1)}"
        return line + (f" ({r.reason})" if r.reason else "")
    if r.status == "unchanged":
        return f"already indexed as “{r.title}”" if r.title else "already indexed"
    if r.status == "duplicate":
        return r.reason or f"already indexed as “{r.title}”"
    return r.reason or r.status


class Library:
    def __init__(self, index: Index) -> None:
        self.index = index
        self.settings = index.settings

    @cached_property
    def writer(self) -> Index:
        return Index(self.settings, backend=self.index.backend)

    # uploads ----------------------------------------------------------------------------------------
    def save_upload(self, name: str, data: bytes) -> Path:
        """Check and store one uploaded file under the uploads folder; returns where it went.

        The same name with the same bytes reuses the file (ingest then reports it as already
        indexed); the same name with other bytes gets a numbered name instead of replacing it."""
        name = safe_name(name)
        check_upload(name, data, self.settings.upload_max_mb)
        folder = self.settings.uploads_dir.resolve()
        folder.mkdir(parents=True, exist_ok=True)
        stem, suffix = Path(name).stem, Path(name).suffix
        for n in range(1, 1000):
            path = folder / (name if n == 1 else f"{stem} ({n}){suffix}")
            if not path.exists():
                break
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return path
        else:
            raise DocumentError(f"too many uploads named {name!r}; rename the file")
        # write then rename: an ingest running meanwhile never sees half a file
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return path

    def is_upload(self, path: str | Path) -> bool:
        return Path(path).resolve().is_relative_to(self.settings.uploads_dir.resolve())

    # writes (call them from a background job) -------------------------------------------------------
    def ingest(self, paths: Iterable[Path], progress: Progress | None = None) -> IngestReport:
        report = Ingestor(self.writer, progress).ingest(list(paths))
        info = self.writer.active()
        for r in report.results:
            if r.status == "unchanged" and info and not r.title:
                r.title = self.writer.manifest.doc_title(info.name, r.doc_id)
            if r.status == "failed" and self.is_upload(r.path):
                Path(r.path).unlink(missing_ok=True)  # nothing points at it; don't keep junk around
        return report

    def reindex(self, progress: Progress | None = None) -> IngestReport:
        return reindex(self.writer, progress)

    def delete(self, doc_ids: Iterable[str]) -> list[FileResult]:
        doc_ids = list(doc_ids)
        paths = [p for d in self.documents() if d.doc_id in doc_ids for p in d.paths]
        results = Ingestor(self.writer).delete(doc_ids)
        for p in paths:  # the app's own copies go with the document; files elsewhere are the user's
            if self.is_upload(p):
                Path(p).unlink(missing_ok=True)
        return results

    def missing_files(self) -> list[str]:
        info = self.index.active()
        return [p for p in self.index.manifest.paths(info.name) if not Path(p).exists()] if info else []

    def prune_missing(self) -> list[FileResult]:
        """Forget indexed files that no longer exist on disk (documents left without a file go too)."""
        w = self.writer
        with w.write_lock():
            found = w.active_store()
            if found is None:
                return []
            info, store = found
            gone = [Path(p) for p in w.manifest.paths(info.name) if not Path(p).exists()]
            if not gone:
                return []
            # prune forgets vanished files under the given folders: exactly the parents of the gone ones
            return Ingestor(w).prune(info.name, store, sorted({p.parent for p in gone}))

    # reads ------------------------------------------------------------------------------------------
    def documents(self, title_filter: str = "") -> list[DocumentRow]:
        info = self.index.active()
        if info is None:
            return []
        q = title_filter.strip().lower()
        return [d for d in self.index.manifest.documents(info.name) if q in d.title.lower()]

    def status(self) -> dict:
        """What `rag status --json` shows."""
        index = self.index
        cfg = index.config
        info = index.active()
        if info is None:
            return {"documents": 0, "chunks": 0, "embedder": cfg.embedder, "dimension": cfg.dimension,
                    "chunking": cfg.chunking, "collection": None}
        docs, chunks = index.manifest.totals(info.name)
        return {"documents": docs, "chunks": chunks, "embedder": info.config.embedder,
                "dimension": info.config.dimension, "chunking": info.config.chunking, "collection": info.name,
                "runtime": info.config.runtime, "matches_settings": info.config == cfg}
