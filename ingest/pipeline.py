"""Files -> chunks -> vectors -> store, incrementally, with one failure never stopping the batch."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from rag.errors import ConfigError, DocumentError, RagError
from rag.index import Index
from rag.manifest import CollectionInfo, NewDocument
from rag.store import VectorStore
from rag.types import Chunk

from .chunker import chunk_text
from .loaders import LoadedDocument, supported_suffixes
from .parsing import Parser, check_file, parse_options

log = logging.getLogger(__name__)
# (files done, files total, current path). While a file is parsed, current may be "<path> — OCR page 3 of
# 40" (called from a parse thread); the note holds no "/", so Path(current).name still names the file.
Progress = Callable[[int, int, str], None]
LOOKAHEAD = 3  # documents parsed or being parsed ahead of the embedder, at least (2 per parse worker)


@dataclass
class FileResult:
    path: str
    status: str  # indexed | unchanged | duplicate | failed | removed | skipped
    reason: str = ""
    doc_id: str = ""
    title: str = ""
    pages: int = 0
    chunks: int = 0


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    def summary(self) -> dict:
        done = [r for r in self.results if r.status == "indexed"]
        return {
            "files": sum(r.status not in ("removed", "skipped") for r in self.results),
            "indexed": len(done),
            "unchanged": self.count("unchanged"),
            "duplicates": self.count("duplicate"),
            "removed": self.count("removed"),
            "failed": [{"path": r.path, "reason": r.reason} for r in self.failed],
            "pages": sum(r.pages for r in done),
            "chunks": sum(r.chunks for r in done),
            "seconds": round(self.seconds, 3),
        }


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def expand(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Files to ingest, and the folders they came from (for pruning). Hidden files are skipped."""
    files, roots = [], []
    suffixes = set(supported_suffixes())
    for p in paths:
        p = Path(p).resolve()
        if p.is_dir():
            roots.append(p)
            for dirpath, dirnames, names in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                files += [
                    Path(dirpath) / n
                    for n in sorted(names)
                    if not n.startswith(".") and Path(n).suffix.lower() in suffixes
                ]
        else:
            files.append(p)
    return list(dict.fromkeys(files)), roots


class Ingestor:
    def __init__(self, index: Index, progress: Progress | None = None) -> None:
        self.index = index
        self.settings = index.settings
        self.progress = progress or (lambda done, total, path: None)
        self._done = self._total = 0  # where run() is, for the parse workers' notes

    def _window(self) -> int:
        """Tokens of content the embedder sees: its window less [CLS]/[SEP] and any document prefix."""
        spec = self.index.embedder.spec
        prefix = self.index.embedder.count_tokens([spec.document_prefix])[0] if spec.document_prefix else 0
        return spec.max_tokens - 2 - prefix

    def _budget(self) -> int:
        window = self._window()
        if self.settings.chunk_tokens > window:
            raise ConfigError(
                f"chunk size {self.settings.chunk_tokens} tokens exceeds the embedder's "
                f"input window ({window}); set RAG_CHUNK_TOKENS lower"
            )
        return self.settings.chunk_tokens

    # public ---------------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path], prune: bool = False) -> IngestReport:
        with self.index.write_lock():
            info, store = self.index.active_store(create=True)
            return self.run(info, store, paths, prune)

    def run(
        self, info: CollectionInfo, store: VectorStore, paths: Iterable[Path], prune: bool = False
    ) -> IngestReport:
        t0 = time.perf_counter()
        report = IngestReport()
        files, roots = expand(paths)
        todo: dict[str, list[tuple[Path, os.stat_result]]] = {}  # doc_id -> paths with those bytes
        self._done, self._total = 0, len(files)
        for path in files:
            res = self._triage(info.name, path, todo)
            if res is not None:
                report.results.append(res)
                self._done += 1
                self.progress(self._done, len(files), str(path))
        if todo:
            for res in self._index_new(info.name, store, todo):
                report.results.append(res)
                self._done += 1
                self.progress(self._done, len(files), res.path)
        if prune:
            report.results += self.prune(info.name, store, roots)
        report.seconds = time.perf_counter() - t0
        return report

    def delete(self, keys: Iterable[str]) -> list[FileResult]:
        """Remove documents by doc id, file path or exact title."""
        out = []
        with self.index.write_lock():
            found = self.index.active_store()
            if found is None:
                return [FileResult(k, "failed", "the index is empty") for k in keys]
            info, store = found
            docs = self.index.manifest.documents(info.name)
            for key in keys:
                resolved = str(Path(key).resolve())
                hits = [d for d in docs if key in (d.doc_id, d.title) or resolved in d.paths]
                if not hits:
                    out.append(FileResult(key, "failed", "no such document in the index"))
                    continue
                for d in hits:
                    self._drop_chunks(info.name, self.index.manifest.unmap_docs(info.name, [d.doc_id]))
                    out.append(FileResult(key, "removed", doc_id=d.doc_id, title=d.title))
        return out

    # stages -----------------------------------------------------------------------------------
    def _triage(self, collection: str, path: Path, todo) -> FileResult | None:
        """Cheap checks: unchanged (size+mtime or hash), duplicate bytes, or queued for parsing."""
        m = self.index.manifest
        try:
            check_file(path, int(self.settings.max_file_mb * 1e6))
            st = path.stat()
            entry = m.path_entry(collection, str(path))
            if entry and entry[1] == st.st_size and entry[2] == st.st_mtime:
                return FileResult(str(path), "unchanged", doc_id=entry[0])
            doc_id = sha256_file(path)[:24]
        except RagError as e:
            return FileResult(str(path), "failed", str(e))
        except OSError as e:
            return FileResult(str(path), "failed", f"unreadable ({e.strerror})")
        if entry and entry[0] == doc_id:
            m.touch_path(collection, str(path), st.st_size, st.st_mtime)
            return FileResult(str(path), "unchanged", doc_id=doc_id)
        if m.has_doc(collection, doc_id):
            title = m.doc_title(collection, doc_id)
            self._map_paths(collection, doc_id, [(path, st)])
            return FileResult(
                str(path),
                "duplicate",
                f"same content already indexed as {title!r}",
                doc_id=doc_id,
                title=title,
            )
        todo.setdefault(doc_id, []).append((path, st))
        return None

    def _index_new(self, collection: str, store: VectorStore, todo):
        budget = self._budget()
        workers = self.settings.parse_workers
        with Parser(
            self.settings.parse_timeout_s, self.settings.max_pages, parse_options(self.settings), workers
        ) as parser:
            queue = deque(todo.items())
            inflight: deque = deque()  # in submission order: results are stored in the order files came
            lookahead = max(LOOKAHEAD, 2 * workers)
            ready: list = []  # parsed and chunked, in file order, waiting for a full embedding batch
            size, step = 0, self.settings.ingest_batch_chunks
            while queue or inflight:
                while queue and len(inflight) < lookahead:
                    doc_id, entries = queue.popleft()
                    path = entries[0][0]
                    inflight.append((doc_id, entries, parser.submit(path, self._note_for(path))))
                doc_id, entries, fut = inflight.popleft()
                try:
                    doc = parser.result(fut)
                    header, chunks = self._chunk_doc(doc_id, entries[0][0], doc, budget)
                    ready.append((doc_id, entries, doc, header, chunks, ""))
                    size += len(chunks)
                except DocumentError as e:
                    ready.append((doc_id, entries, None, "", [], str(e)))
                if size >= step or not (queue or inflight):
                    yield from self._store_batch(collection, store, ready)
                    ready, size = [], 0

    def _note_for(self, path: Path) -> Callable[[str], None]:
        return lambda note: self.progress(self._done, self._total, f"{path} — {note}")

    def _store_batch(self, collection: str, store: VectorStore, ready: list):
        """Embed and write the chunks of several parsed documents together, then record each document and
        report every file in order. Each document is marked pending before its chunks reach the store and
        recorded after, so a crash anywhere leaves only pending chunks, which the next open removes."""
        docs = [r for r in ready if not r[5]]
        for doc_id, *_ in docs:
            self.index.manifest.mark_pending(collection, doc_id)
        items = [(header + c.text, c) for _, _, _, header, chunks, _ in docs for c in chunks]
        step = self.settings.ingest_batch_chunks
        for i in range(0, len(items), step):
            part = items[i : i + step]
            store.upsert([c for _, c in part], self.index.embedder.embed_documents([t for t, _ in part]))
        for doc_id, entries, doc, _, chunks, error in ready:
            path = entries[0][0]
            if error:
                for p, _ in entries:
                    yield FileResult(str(p), "failed", error)
                continue
            n = len(chunks)
            self._map_paths(collection, doc_id, entries, new_doc=(doc, n))
            yield FileResult(
                str(path), "indexed", "; ".join(doc.warnings), doc_id, doc.title, len(doc.pages), n
            )
            for p, _ in entries[1:]:
                yield FileResult(str(p), "duplicate", f"same content as {path.name}", doc_id, doc.title)

    def _chunk_doc(
        self, doc_id: str, path: Path, doc: LoadedDocument, budget: int
    ) -> tuple[str, list[Chunk]]:
        count = self.index.embedder.count_tokens
        # the title is embedded with every chunk (not stored in its text): it anchors short chunks
        header = f"{doc.title[:150]}\n"
        budget = min(budget, self._window() - count([header])[0])
        chunks: list[Chunk] = []
        headings: list[tuple[int, str]] = []
        for page_no, text in enumerate(doc.pages, start=1):
            for i, piece in enumerate(chunk_text(text, count, budget, self.settings.chunk_overlap, headings)):
                body = piece.prefix + text[piece.start : piece.end]  # prefix: a continued table's caption
                chunks.append(
                    Chunk(
                        id=f"{doc_id}:{page_no}:{i}",
                        doc_id=doc_id,
                        text=body,
                        source=str(path),
                        title=doc.title,
                        page=page_no,
                        start=piece.start,
                        end=piece.end,
                        heading=piece.heading,
                        content_hash=hashlib.sha1(body.encode()).hexdigest()[:16],
                        doc_type=doc.doc_type,
                        ocr=page_no in doc.ocr_pages,
                    )
                )
        if not chunks:
            raise DocumentError("no extractable text")
        return header, chunks

    def _map_paths(self, collection: str, doc_id: str, entries, new_doc=None) -> None:
        """One manifest transaction: record the new document, point its paths at it, retire orphaned docs."""
        document = None
        if new_doc:
            doc, n = new_doc
            document = NewDocument(
                doc_id, doc.title, doc.doc_type, len(doc.pages), n, entries[0][1].st_size, len(doc.ocr_pages)
            )
        orphans = self.index.manifest.record(
            collection, doc_id, [(str(path), st.st_size, st.st_mtime) for path, st in entries], document
        )
        if orphans:
            self._drop_chunks(collection, orphans)

    def _drop_chunks(self, collection: str, doc_ids: list[str]) -> None:
        self.index.backend.open(collection).delete_docs(doc_ids)
        self.index.manifest.clear_pending(collection, doc_ids)

    def prune(self, collection: str, store: VectorStore, roots: list[Path]) -> list[FileResult]:
        """Forget indexed files under `roots` that no longer exist (documents left without a file go too)."""
        m = self.index.manifest
        gone = [
            p
            for p in m.paths(collection)
            if any(Path(p).is_relative_to(r) for r in roots) and not Path(p).exists()
        ]
        if not gone:
            return []
        self._drop_chunks(collection, m.unmap_paths(collection, gone))
        return [FileResult(p, "removed", "file no longer exists") for p in gone]
