"""Retrieval latency per method at 10k and 100k chunks, in one run, with ratios against BM25.

    .venv/bin/python benchmarks/retrieval.py [--sizes 10000,100000] [--queries 100] [--json OUT]

The corpus is synthetic so it scales: chunk texts of ~150 words drawn Zipf-style from a 30k-word
vocabulary, and their vectors are NOT embedded (that would take hours here): they are clustered
random unit vectors (300 topic centroids plus noise) upserted straight into the real Chroma store,
with the manifest written as ingestion would. Queries are real: each is embedded by the configured
embedder at search time, exactly as in the app, so "dense" includes query embedding. The BM25
index is built by the real LexicalCache on first use (its build time is reported separately).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag import Settings  # noqa: E402
from rag.eval.metrics import percentile  # noqa: E402
from rag.index import Index  # noqa: E402
from rag.manifest import NewDocument  # noqa: E402
from rag.service import AnswerService  # noqa: E402
from rag.types import Chunk  # noqa: E402

DIM_TOPICS = 300


def vocabulary(n: int, rng: np.random.Generator) -> list[str]:
    syll = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["th", "ch", "st", "an", "er", "on"]
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(syll, size=rng.integers(2, 5))))
    return sorted(words)


def synthetic(n: int, dim: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    vocab = np.array(vocabulary(30_000, rng))
    zipf = 1.0 / np.arange(1, len(vocab) + 1)
    zipf /= zipf.sum()
    centroids = rng.normal(size=(DIM_TOPICS, dim)).astype(np.float32)
    for start in range(0, n, 5000):
        m = min(5000, n - start)
        topics = rng.integers(0, DIM_TOPICS, size=m)
        vecs = centroids[topics] + 0.8 * rng.normal(size=(m, dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        chunks = []
        for i in range(m):
            k = start + i
            words = " ".join(rng.choice(vocab, size=150, p=zipf))
            doc = f"doc{k // 4:06d}"  # four chunks per synthetic document
            chunks.append(
                Chunk(
                    id=f"{doc}:1:{k % 4}",
                    doc_id=doc,
                    text=words,
                    source=f"/synthetic/{doc}.txt",
                    title=f"Synthetic {doc}",
                    page=1,
                    start=0,
                    end=len(words),
                    doc_type="text",
                    content_hash=f"{k:016x}",
                )
            )
        yield chunks, vecs


def build(settings: Settings, n: int) -> Index:
    index = Index(settings)
    if index.active() is not None:
        return index  # reused --data-dir
    with index.write_lock():
        info, store = index.active_store(create=True)
        for chunks, vecs in synthetic(n, index.config.dimension):
            store.upsert(chunks, vecs)
            for doc in sorted({c.doc_id for c in chunks}):
                index.manifest.record(
                    info.name,
                    doc,
                    [(f"/synthetic/{doc}.txt", 0, 0.0)],
                    NewDocument(doc, f"Synthetic {doc}", "text", 1, 4, 0),
                )
    return index


def queries(n: int, seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    vocab = vocabulary(30_000, np.random.default_rng(0))[:3000]  # the same words the corpus uses most
    return [" ".join(rng.choice(vocab, size=rng.integers(4, 12))) for _ in range(n)]


def measure(service: AnswerService, methods: list[str], qs: list[str]) -> dict:
    out = {}
    for m in methods:
        service.retrieve(qs[0], method=m)  # warm: model, BM25 index, Chroma segment
        ms = []
        for q in qs:
            t = time.perf_counter()
            service.retrieve(q, method=m)
            ms.append((time.perf_counter() - t) * 1000)
        out[m] = {"p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--data-dir", help="keep the synthetic indexes here (reused when present)")
    ap.add_argument("--json")
    a = ap.parse_args()
    base = Settings()
    root = Path(a.data_dir) if a.data_dir else Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
    methods = ["dense", "bm25", "hybrid"]
    rerank = base.reranker != "none"
    qs = queries(a.queries)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, no GPU",
        "date": time.strftime("%Y-%m-%d"),
        "embedder": f"{base.embedder} ({base.embedder_runtime})",
        "candidates": base.candidates,
        "top_k": base.top_k,
        "vectors": "synthetic clustered unit vectors, inserted directly (not embedded)",
        "rerank": "measured" if rerank else "skipped: no reranker configured (RAG_RERANKER=none)",
        "sizes": {},
    }
    try:
        for n in (int(x) for x in a.sizes.split(",")):
            s = base.model_copy(update={"data_dir": root / f"n{n}", "chroma_host": None})
            t = time.perf_counter()
            index = build(s, n)
            build_s = time.perf_counter() - t
            service = AnswerService(s.model_copy(update={"reranker": "none"}), index)
            t = time.perf_counter()
            service.sources.bm25()  # first-use BM25 build from the store
            bm25_s = time.perf_counter() - t
            res = measure(service, methods, qs)
            if rerank:  # the service applies the configured reranker to the hybrid candidates
                res["hybrid+rerank"] = measure(AnswerService(s, index), ["hybrid"], qs)["hybrid"]
            for m in res:
                res[m]["x_bm25"] = round(res[m]["p50_ms"] / res["bm25"]["p50_ms"], 2)
            result["sizes"][n] = {
                "chunks": n,
                "store_build_s": round(build_s, 1),
                "bm25_build_s": round(bm25_s, 1),
                "methods": res,
            }
            print(f"\n{n:,} chunks (store {build_s:.0f} s, BM25 build {bm25_s:.1f} s)")
            print(f"{'method':<15}{'p50 ms':>10}{'p95 ms':>10}{'p50 / bm25':>12}")
            for m, v in res.items():
                print(f"{m:<15}{v['p50_ms']:>10.1f}{v['p95_ms']:>10.1f}{v['x_bm25']:>12.2f}")
    finally:
        if not a.data_dir:
            shutil.rmtree(root, ignore_errors=True)
    print(
        f"\n{result['machine']}; {result['embedder']}; candidates={base.candidates}; {result['vectors']}; "
        f"rerank {result['rerank']}"
    )
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
