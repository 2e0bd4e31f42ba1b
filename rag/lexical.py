"""BM25 over the live collection's chunks (bm25s + Snowball stemmer).

The index is versioned by (collection, revision) from the manifest: every ingest bumps the revision,
so any process (several app workers sharing a Chroma server included) notices and rebuilds or
reloads, in the background (LexicalCache). Rebuilding from the store is simpler and safer than
patching a sparse matrix in place, and bm25s indexes ~100k chunks in seconds.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from .text import stemmer
from .types import Chunk

log = logging.getLogger(__name__)

FORMAT = 2  # bump when what `save` writes changes; older saves are rebuilt from the store


def lexical_text(chunk: Chunk) -> str:
    # title and heading count as words of the chunk: "Apollo program" should find its paragraphs
    return f"{chunk.title}\n{chunk.heading}\n{chunk.text}"


class BM25Index:
    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.ids: list[str] = []
        self.doc_ids: list[str] = []
        self._bm25 = None
        self._docs: list[str] = []  # document-level twin: one BM25 "document" per source document
        self._doc_bm25 = None
        self._stem = stemmer()  # the one Snowball stemmer rag.text uses too

    def _tokenize(self, texts: list[str], ids: bool):
        import bm25s

        return bm25s.tokenize(texts, stopwords="en", stemmer=self._stem, return_ids=ids, show_progress=False)

    def build(self, chunks: Iterable[Chunk]) -> "BM25Index":
        import bm25s

        chunks = list(chunks)
        self.ids = [c.id for c in chunks]
        self.doc_ids = [c.doc_id for c in chunks]
        self._bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        if chunks:
            self._bm25.index(self._tokenize([lexical_text(c) for c in chunks], ids=True), show_progress=False)
            self._build_docs(chunks)
        return self

    def _build_docs(self, chunks: list[Chunk]) -> None:
        import bm25s

        # a document's words = its title once + all its chunk texts; at this level a company name or
        # topic that one document uses throughout (and the others never) is what scores
        texts: dict[str, list[str]] = {}
        for c in chunks:
            texts.setdefault(c.doc_id, [c.title]).append(c.text)
        self._docs = list(texts)
        self._doc_bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        self._doc_bm25.index(
            self._tokenize(["\n".join(t) for t in texts.values()], ids=True), show_progress=False
        )

    def search(self, query: str, k: int, doc_ids: Sequence[str] | None = None) -> list[tuple[str, float]]:
        if not self.ids or self._bm25 is None:
            return []
        tokens = self._tokenize([query], ids=False)
        if not any(tokens[0]):
            return []
        mask = None
        if doc_ids:
            allowed = set(doc_ids)
            mask = np.array([d in allowed for d in self.doc_ids], dtype=np.float32)
        docs, scores = self._bm25.retrieve(
            tokens, k=min(k, len(self.ids)), show_progress=False, weight_mask=mask, n_threads=1
        )
        return [(self.ids[int(i)], float(s)) for i, s in zip(docs[0], scores[0]) if s > 0]

    def doc_scores(self, query: str) -> dict[str, float]:
        """doc_id -> BM25 score of the whole document, divided by the best one (0..1); {} when no
        document matches or there is only one."""
        if self._doc_bm25 is None or len(self._docs) < 2:
            return {}
        tokens = self._tokenize([query], ids=False)[0]
        if not tokens:
            return {}
        scores = self._doc_bm25.get_scores(list(tokens))
        top = float(scores.max())
        return {d: float(s) / top for d, s in zip(self._docs, scores) if s > 0} if top > 0 else {}

    def idf(self, term: str) -> float:
        """BM25 idf over the whole collection; a term the corpus never uses weighs the most."""
        n = len(self.ids)
        i = self._bm25.vocab_dict.get(term) if self._bm25 is not None else None
        df = 0 if i is None else int(self._bm25.scores["indptr"][i + 1] - self._bm25.scores["indptr"][i])
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def terms(self, text: str) -> list[str]:
        """The index's own analysis of a text (stop words out, stemmed): what `idf` knows about."""
        return list(self._tokenize([text], ids=False)[0])

    def chunk_terms(self, chunks: Sequence[Chunk]) -> list[str]:
        """Every term of the chunks as indexed (title and heading included)."""
        if not chunks:
            return []
        return [t for toks in self._tokenize([lexical_text(c) for c in chunks], ids=False) for t in toks]

    def save(self, path: Path) -> None:
        # a folder of our own: processes sharing a data dir may save the same revision at once, and a
        # shared ".tmp" name let one delete the other's half-written files (FileNotFoundError)
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        tmp.mkdir(parents=True)
        if self._bm25 is not None and self.ids:
            self._bm25.save(str(tmp), show_progress=False)
        if self._doc_bm25 is not None:
            self._doc_bm25.save(str(tmp / "docs"), show_progress=False)
        (tmp / "ids.json").write_text(
            json.dumps(
                {
                    "ids": self.ids,
                    "doc_ids": self.doc_ids,
                    "docs": self._docs,
                    "k1": self.k1,
                    "b": self.b,
                    "version": FORMAT,
                }
            )
        )
        shutil.rmtree(path, ignore_errors=True)
        try:
            tmp.rename(path)  # readers never see a half-written index
        except OSError:  # another process saved this revision in between: keep theirs (same chunks)
            shutil.rmtree(tmp, ignore_errors=True)
            if not path.is_dir():
                raise

    @classmethod
    def load(cls, path: Path) -> "BM25Index":
        import bm25s

        meta = json.loads((path / "ids.json").read_text())
        if meta.get("version") != FORMAT:
            raise ValueError("saved by an older version")
        idx = cls(meta["k1"], meta["b"])
        idx.ids, idx.doc_ids, idx._docs = meta["ids"], meta["doc_ids"], meta["docs"]
        if idx.ids:
            idx._bm25 = bm25s.BM25.load(str(path), show_progress=False)
        if idx._docs:
            idx._doc_bm25 = bm25s.BM25.load(str(path / "docs"), show_progress=False)
        return idx


class LexicalCache:
    """One BM25 index per process for the live collection, rebuilt off the query path.

    Every ingest bumps the manifest revision. A query that sees a newer revision than the index in memory
    asks the one background thread for it and answers from the last complete index meanwhile: under a
    400-file ingest a rebuild per file, waited for by every query, was a 30 s p95 (docs/reliability.md).
    Requests coalesce (the thread builds the newest revision asked for, one build at a time). Right after
    an ingest the lexical side may therefore lag by one rebuild; the dense side is always current.

    Read-your-writes, where it is cheap: a stale query waits up to `wait_s` for the rebuild it starts,
    unless the last build took longer than that or another build is running (an ingest in progress: it
    would wait for two builds), so a small library (builds in milliseconds) answers lexically about a
    document right after its ingest, and a 100k-chunk one (~10 s builds) or a busy one never stalls.
    With no index of this collection in memory (a fresh process such as `rag ask`, or the first query
    after a reindex switched collections) and with `fresh=True`, the query waits for the build.
    A failed rebuild keeps the old index and logs one line; the same revision is retried after `retry_s`.
    """

    def __init__(
        self,
        root: Path,
        k1: float = 1.2,
        b: float = 0.75,
        wait_s: float = 1.0,
        builder: "Callable[[str, int, Callable[[], Iterable[Chunk]]], BM25Index] | None" = None,
        retry_s: float = 10.0,
    ) -> None:
        self.root = root
        self.k1, self.b = k1, b
        self.wait_s, self.retry_s = wait_s, retry_s
        self._build = builder or self._load_or_build
        self._cond = threading.Condition()
        self._key: tuple[str, int] | None = None  # what _index reflects
        self._index: BM25Index | None = None
        self._want: tuple[tuple[str, int], Callable[[], Iterable[Chunk]]] | None = None  # newest asked for
        self._building: tuple[str, int] | None = None
        self._failed: tuple[tuple[str, int], BaseException, float] | None = None
        self._last_build_s = 0.0
        self._thread: threading.Thread | None = None

    def get(
        self, collection: str, rev: int, chunks: Callable[[], Iterable[Chunk]], fresh: bool = False
    ) -> BM25Index:
        key = (collection, rev)
        with self._cond:
            if self._covers(key):
                return self._index
            idle = self._building is None  # else a build of an older revision runs: this one comes after it
            self._request(key, chunks)
            if self._index is not None and self._key[0] == collection and not fresh:
                if idle and self._last_build_s <= self.wait_s:
                    self._cond.wait_for(lambda: self._covers(key) or self._failed_for(key), self.wait_s)
                return self._index  # the newest complete one: stale by at most the rebuild in flight
            # nothing of this collection to answer from, or the caller asked for this revision
            while not self._covers(key):
                if self._failed_for(key):
                    raise self._failed[1]
                if self._want is None and self._building is None:  # superseded by another collection's
                    self._request(key, chunks)
                self._cond.wait()  # every finished build notifies
            return self._index

    def current(self) -> tuple[str, int] | None:
        """(collection, revision) of the index queries are answered from."""
        return self._key

    def _covers(self, key: tuple[str, int]) -> bool:
        return self._index is not None and self._key[0] == key[0] and self._key[1] >= key[1]

    def _failed_for(self, key: tuple[str, int]) -> bool:
        return self._failed is not None and self._failed[0] == key

    def _request(self, key: tuple[str, int], chunks: Callable[[], Iterable[Chunk]]) -> None:
        if self._building == key or (self._want is not None and self._want[0] == key):
            return
        if self._failed_for(key) and time.monotonic() - self._failed[2] < self.retry_s:
            return  # failed a moment ago: keep answering from the old index instead of hammering the store
        if self._want is not None and self._want[0][0] == key[0] and self._want[0][1] > key[1]:
            return  # a newer revision of it is queued already
        self._want = (key, chunks)
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="bm25-rebuild", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                if self._want is None:
                    self._thread = None  # started again by the next request
                    return
                (key, chunks), self._want = self._want, None
                self._building = key
            t0 = time.monotonic()
            try:
                index = self._build(key[0], key[1], chunks)
            except Exception as e:  # noqa: BLE001 - any failure: keep serving the old index
                log.warning(
                    "BM25 rebuild of %s r%d failed (answering from %s): %s: %s",
                    *key,
                    f"r{self._key[1]}" if self._key else "no index",
                    type(e).__name__,
                    e,
                )
                with self._cond:
                    self._building, self._failed = None, (key, e, time.monotonic())
                    self._cond.notify_all()
                continue
            with self._cond:
                self._building, self._last_build_s = None, time.monotonic() - t0
                if not self._covers(key):  # never go back to an older revision
                    self._key, self._index = key, index
                if self._failed is not None and self._failed[0] == key:
                    self._failed = None
                self._cond.notify_all()

    def _load_or_build(self, collection: str, rev: int, chunks: Callable[[], Iterable[Chunk]]) -> BM25Index:
        # another process sharing the data dir may have saved this revision already: loading is cheaper
        path = self.root / f"{collection}-r{rev}"
        try:
            index = BM25Index.load(path)
            if (index.k1, index.b) != (self.k1, self.b):  # saved with other parameters: rebuild
                raise ValueError("bm25 parameters changed")
        except (FileNotFoundError, json.JSONDecodeError, ValueError, OSError):
            index = BM25Index(self.k1, self.b).build(chunks())
            self.root.mkdir(parents=True, exist_ok=True)
            index.save(path)
        for old in self.root.glob("*-r*"):  # keep only the current version on disk
            if old != path and ".tmp" not in old.name:  # not another process's save in progress
                shutil.rmtree(old, ignore_errors=True)
        return index
