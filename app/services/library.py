"""The document library as the app manages it: uploads, listing, removal, pruning, reindex, health.

Reads go through the serving index; writes through a second `Index` that shares the process's one
store client but has its own manifest connection and embedder. That keeps a background write's open
transaction invisible to readers, and keeps the ingest tokenizer (which flips truncation settings)
away from the one answering queries on other threads.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable

from ingest import Ingestor, reindex
from ingest.loaders import supported_suffixes
from ingest.pipeline import FileResult, IngestReport, Progress
from rag.errors import (
    ConfigError,
    DocumentError,
    IndexBusyError,
    NotAllowedError,
    RagError,
    UnsupportedTypeError,
)
from rag.index import Index
from rag.manifest import DocumentRow

from .jobs import Job, Jobs

log = logging.getLogger("docqa.library")
# cheap content checks for binary formats, so a renamed file fails at upload, not in the parser
MAGIC = {".pdf": b"%PDF-", ".docx": b"PK\x03\x04"}
_UNSAFE = re.compile(r"[^\w.\- ()]+")
# file names are limited in bytes (NAME_MAX 255 on Linux), not characters: a CJK character is 3 bytes;
# room is left for a " (999)" numbering and the suffix
STEM_MAX_BYTES = 200


def safe_name(name: str) -> str:
    """A plain file name from whatever the browser sent (no folders, no shell or markup characters)."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = _UNSAFE.sub("_", stem).strip(" ._") or "document"
    stem = stem.encode()[:STEM_MAX_BYTES].decode(errors="ignore").rstrip(" ._") or "document"
    return stem + _UNSAFE.sub("", suffix)[:16]


def check_upload(name: str, data: bytes, max_mb: float) -> None:
    """Server-side checks on an upload; the browser widget's own limits are only a convenience."""
    suffix = Path(name).suffix.lower()
    allowed = supported_suffixes()
    if suffix not in allowed:
        raise UnsupportedTypeError(
            f"unsupported type {suffix or '(no extension)'!r}; supported: {', '.join(allowed)}"
        )
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


@dataclass
class UploadBatch:
    """What became of a batch of uploads: the saved paths (`created`: the ones written just now) and a
    (file name, reason) for each file that was refused, so one bad file never stops the others."""

    saved: list[Path] = field(default_factory=list)
    created: list[Path] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    job: Job | None = None


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
        return self._save(name, data)[0]

    def _save(self, name: str, data: bytes) -> tuple[Path, bool]:
        """(path, written now); a disk error is this file's DocumentError and leaves no temp file."""
        name = safe_name(name)
        check_upload(name, data, self.settings.upload_max_mb)
        folder = self.settings.uploads_dir.resolve()
        tmp = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            stem, suffix = Path(name).stem, Path(name).suffix
            for n in range(1, 1000):
                path = folder / (name if n == 1 else f"{stem} ({n}){suffix}")
                if not path.exists():
                    break
                if path.stat().st_size == len(data) and path.read_bytes() == data:
                    return path, False
            else:
                raise DocumentError(f"too many uploads named {name!r}; rename the file")
            # write then rename: an ingest running meanwhile never sees half a file
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
            return path, True
        except OSError as e:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            log.warning("could not save upload %r", name, exc_info=True)
            raise DocumentError(f"could not be saved ({e.strerror or type(e).__name__})") from None

    def save_uploads(self, files: Iterable[tuple[str, bytes]]) -> UploadBatch:
        batch = UploadBatch()
        for name, data in files:
            try:
                path, created = self._save(name, data)
            except RagError as e:
                batch.rejected.append((name, str(e)))
                continue
            batch.saved.append(path)
            if created:
                batch.created.append(path)
        return batch

    def start_upload(self, files: Iterable[tuple[str, bytes]], jobs: Jobs) -> UploadBatch:
        """Save a batch of uploads and index them in a background job (the app's and the API's way in).

        With the index lane busy nothing is saved; if the job cannot start, the files written for it
        are removed again, so no upload is left in the folder that no index knows about."""
        busy = jobs.running("index")
        if busy is not None:
            raise IndexBusyError(f"{busy.kind} already in progress; try again when it finishes")
        batch = self.save_uploads(files)
        if batch.saved:
            try:
                batch.job = jobs.start("ingest", lambda job: self.ingest(batch.saved, job.progress))
            except BaseException:
                for p in batch.created:
                    p.unlink(missing_ok=True)
                raise
        return batch

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

    def delete(self, doc_ids: Iterable[str], *, admin: bool, who: str = "app") -> list[FileResult]:
        """Remove documents and the app's uploaded copies of their files (gone for good): an admin
        action, so callers say whether the admin password was given; every removal is logged."""
        if not admin:
            raise NotAllowedError("removing documents is an admin action: unlock the Admin page first")
        doc_ids = list(doc_ids)
        paths = [p for d in self.documents() if d.doc_id in doc_ids for p in d.paths]
        results = Ingestor(self.writer).delete(doc_ids)
        for p in paths:  # the app's own copies go with the document; files elsewhere are the user's
            if self.is_upload(p):
                Path(p).unlink(missing_ok=True)
        for r in results:
            log.warning("%s removed document %s (%r): %s", who, r.doc_id, r.title, r.status)
        return results

    def resolve(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """Each key (a document id, file path or exact title) -> the ids it names ([] for none). A title
        several documents share is refused with the matches listed: deleting them all by accident
        cannot be undone."""
        docs = self.documents()
        out: dict[str, list[str]] = {}
        for key in keys:
            try:
                where = str(Path(key).expanduser().resolve())
            except (RuntimeError, OSError):  # a symlink loop names no indexed file
                where = ""
            found = (
                [d for d in docs if d.doc_id == key]
                or [d for d in docs if where and where in d.paths]
                or [d for d in docs if d.title == key]
            )
            if len(found) > 1:
                listed = "; ".join(f"{d.doc_id} ({', '.join(d.paths) or 'no file'})" for d in found)
                raise ConfigError(
                    f"{len(found)} documents are titled {key!r}: {listed}; name one by its id or path"
                )
            out[key] = [d.doc_id for d in found]
        return out

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
            return {
                "documents": 0,
                "chunks": 0,
                "embedder": cfg.embedder,
                "dimension": cfg.dimension,
                "chunking": cfg.chunking,
                "collection": None,
            }
        docs, chunks = index.manifest.totals(info.name)
        return {
            "documents": docs,
            "chunks": chunks,
            "embedder": info.config.embedder,
            "dimension": info.config.dimension,
            "chunking": info.config.chunking,
            "collection": info.name,
            "runtime": info.config.runtime,
            "matches_settings": info.config == cfg,
        }
