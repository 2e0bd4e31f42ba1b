"""Evaluation indexes built with the real ingestion path, cached so re-runs skip parsing and embedding.

An index lives under `<cache>/<label>/<key>/` where the key hashes the corpus, the settings that shape
the vectors and chunks, and the source of the code that produces them; a finished build leaves a
`complete.json` beside it. Document vectors are also memoized by text, so a chunking sweep only embeds
the chunks whose text actually changed: the vectors are the embedder's own, replayed.
"""

from __future__ import annotations

import fcntl
import hashlib
import inspect
import json
import sqlite3
import threading
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from ingest import Ingestor
from ingest.loaders import loader_for
from rag.embedders import Embedder, create_embedder
from rag.errors import RagError
from rag.index import Index
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent.parent
# what decides the chunks and vectors of an index; retrieval-time settings are free to vary
INDEX_FIELDS = (
    "embedder",
    "embedder_runtime",
    "chunk_tokens",
    "chunk_overlap",
    "max_pages",
    "max_file_mb",
    "pdf_tables",
    "ocr",
    "ocr_max_pages",
)
# the code that turns files into chunks and vectors; the loaders are added per file type in the corpus,
# so an edit to, say, the PDF loader leaves a Markdown benchmark's cached index valid
CODE = (
    "ingest/chunker.py",
    "rag/text.py",  # the chunker's sentence splitter
    "ingest/pipeline.py",
    "ingest/loaders/base.py",
    "rag/embedders/base.py",
    "rag/embedders/models.py",
    "rag/index.py",
    "rag/types.py",
    "ingest/tables.py",
    "ingest/ocr.py",
    "ingest/loaders/pdf_tables.py",
)
RUNTIME_CODE = {"torch": "rag/embedders/sentence_transformer.py", "onnx": "rag/embedders/onnx_runtime.py"}


def fingerprint(paths: Iterable[Path], extra: object = None) -> str:
    h = hashlib.sha256(json.dumps(extra, sort_keys=True, default=str).encode())
    for p in sorted(paths):
        h.update(p.name.encode())
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


def code_fingerprint(runtime: str, suffixes: Iterable[str]) -> str:
    files = {ROOT / c for c in CODE + ((RUNTIME_CODE[runtime],) if runtime in RUNTIME_CODE else ())}
    for suffix in set(suffixes):
        try:
            files.add(Path(inspect.getsourcefile(type(loader_for(Path("x" + suffix))))))
        except RagError:
            pass  # unsupported files fail at ingest, the same with any code
    return fingerprint(files)


def index_key(settings: Settings, corpus: str, paths: Sequence[Path]) -> str:
    suffixes = {p.suffix.lower() for p in paths if p.is_file()}
    suffixes |= {f.suffix.lower() for p in paths if p.is_dir() for f in p.iterdir()}
    fields = {f: getattr(settings, f) for f in INDEX_FIELDS}
    code = code_fingerprint(settings.embedder_runtime, suffixes)
    return fingerprint([], {"fields": fields, "corpus": corpus, "code": code})


class MemoEmbedder:
    """The real embedder with a persistent text -> vector memo for documents (never for queries,
    so query latency stays real)."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self._inner = inner
        self.spec, self.runtime = inner.spec, inner.runtime
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS v (k TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._inner.name

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        with self._lock:
            found = {}
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                q = f"SELECT k, vec FROM v WHERE k IN ({','.join('?' * len(part))})"
                found.update(self._db.execute(q, part).fetchall())
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            vecs = self._inner.embed_documents([texts[i] for i in missing])
            with self._lock, self._db:
                for i, v in zip(missing, vecs):
                    found[keys[i]] = np.asarray(v, np.float32).tobytes()
                    self._db.execute("INSERT OR REPLACE INTO v VALUES (?, ?)", (keys[i], found[keys[i]]))
        dim = self.spec.dimension
        if not texts:
            return np.zeros((0, dim), np.float32)
        return np.stack([np.frombuffer(found[k], np.float32) for k in keys])

    def embed_query(self, text: str) -> np.ndarray:
        return self._inner.embed_query(text)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self._inner.count_tokens(texts)


def memo_path(cache: Path, settings: Settings) -> Path:
    # vectors depend on the model, the runtime, the embedder code and (onnx) the built model files
    runtime = settings.embedder_runtime
    models = sorted(settings.models_dir.glob("*-onnx/model.onnx")) if runtime == "onnx" else []
    code = [ROOT / "rag/embedders/base.py", ROOT / "rag/embedders/models.py"]
    code += [ROOT / RUNTIME_CODE[runtime]] if runtime in RUNTIME_CODE else []
    tag = fingerprint(code + models, {"model": settings.embedder, "runtime": settings.embedder_runtime})
    return cache / "embeddings" / f"{settings.embedder}-{settings.embedder_runtime}-{tag}.sqlite3"


Log = Callable[[str], None]


def cached_index(
    settings: Settings,
    cache: Path,
    label: str,
    corpus_hash: str,
    paths: list[Path],
    log: Log = lambda msg: None,
) -> tuple[Index, dict]:
    """An Index over `paths` built by `ingest.Ingestor` into the cache (once per key); returns it and
    the ingest summary recorded when it was built."""
    key = index_key(settings, corpus_hash, paths)
    data_dir = cache / label / key
    s = settings.model_copy(update={"data_dir": data_dir, "chroma_host": None})

    def open_index() -> Index:  # opened once the entry is built or ours to build: never a stale view
        return Index(s, embedder=MemoEmbedder(create_embedder(s), memo_path(cache, s)))

    marker = data_dir / "complete.json"
    if marker.exists():
        return open_index(), json.loads(marker.read_text())
    # two evaluations (or a benchmark and the test suite) needing the same entry: the second waits for the
    # first's build and reuses it, instead of failing on the index's write lock
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(data_dir.parent / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        index = open_index()
        if marker.exists():
            return index, json.loads(marker.read_text())
        log(f"indexing into {data_dir} (first run for these settings; cached afterwards)")
        summary = Ingestor(index).ingest(paths).summary()
        summary["failed"] = len(summary["failed"])
        marker.write_text(json.dumps(summary))
    log(
        f"indexed {summary['indexed']} files, {summary['chunks']} chunks in {summary['seconds']:.0f} s "
        f"({summary['failed']} failed)"
    )
    return index, summary


def doc_paths(index: Index) -> dict[str, list[str]]:
    """doc_id -> the file paths with those bytes (identical files share one document)."""
    info = index.active()
    if info is None:
        return {}
    return {d.doc_id: list(d.paths) for d in index.manifest.documents(info.name)}
