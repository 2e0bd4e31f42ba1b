"""Dense search on a `chroma run` server at up to 1M chunks: the store alone, against exact search.

    .venv/bin/python benchmarks/scale_dense.py [--n 1000000] [--queries 200] [--root DIR] [--json OUT]

benchmarks/scale.py measures the whole query path (manifest, BM25, hybrid) but its manifest rows make 1M
chunks take hours; this one measures what the issue's 1M target is about: dense query p50/p95 on the server.
Vectors and texts are scale.py's synthetic corpus (384-d clustered unit vectors, ~150-word texts), upserted
through the real ChromaStore in its batches. The baseline, measured in the same run, is exact search (numpy
matrix product over every vector in this process): its latency, and recall@10 of the server's HNSW against it.
With --root the server's data is kept, and a later run with the same --n only re-measures the queries.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from retrieval import DIM_TOPICS, synthetic, vocabulary  # noqa: E402
from scale import du_mb, rss_mb, start_server  # noqa: E402

from rag import Settings  # noqa: E402
from rag.eval.metrics import percentile  # noqa: E402
from rag.store.chroma import ChromaBackend  # noqa: E402

NAME = "docs-bench-dense"


def p50_p95(ms: list[float]) -> dict:
    return {"p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2)}


def in_distribution_queries(n: int) -> np.ndarray:
    """Points around the corpus's topic centroids (rebuilt as `synthetic` draws them), not corpus vectors."""
    rng = np.random.default_rng(0)
    vocabulary(30_000, rng)  # advance the generator exactly as `synthetic` does before its centroids
    centroids = rng.normal(size=(DIM_TOPICS, 384)).astype(np.float32)
    q_rng = np.random.default_rng(7)
    qs = centroids[q_rng.integers(0, DIM_TOPICS, size=n)] + 0.8 * q_rng.normal(size=(n, 384))
    return (qs / np.linalg.norm(qs, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--root")
    ap.add_argument("--json")
    a = ap.parse_args()
    root = Path(a.root or tempfile.mkdtemp(prefix="bench-dense-"))
    root.mkdir(parents=True, exist_ok=True)
    out: dict = {"n": a.n, "queries": a.queries, "date": time.strftime("%Y-%m-%d %H:%M")}
    out["load_before"] = os.getloadavg()
    server, port = start_server(root / "chroma-server")
    try:
        s = Settings(_env_file=None, data_dir=root / "data", chroma_host="127.0.0.1", chroma_port=port)
        backend = ChromaBackend(s)
        store = backend.open(NAME)
        vectors = np.empty((a.n, 384), dtype=np.float32)  # the exact-search baseline's copy
        reuse = store.count() == a.n
        insert_s, done = 0.0, 0
        for chunks, vecs in synthetic(a.n, 384):
            vectors[done : done + len(vecs)] = vecs
            if not reuse:
                t = time.perf_counter()
                store.upsert(chunks, vecs)
                insert_s += time.perf_counter() - t
            done += len(vecs)
            if not reuse and done % 100_000 == 0:
                print(f"{done:,} inserted, {done / insert_s:.0f} chunks/s", file=sys.stderr, flush=True)
        out["reused"] = reuse
        out["insert_chunks_per_s"] = round(a.n / insert_s) if insert_s else None
        # queries from the corpus's distribution (another seed: same topic centroids, new points)
        qs = in_distribution_queries(a.queries)
        store.query(qs[0], s.candidates)  # warm: the server loads the index on first use
        hnsw_ms, exact_ms, recall = [], [], []
        for q in qs:
            t = time.perf_counter()
            hits = store.query(q, s.candidates)
            hnsw_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            top = np.argpartition(-(vectors @ q), 10)[:10]
            exact_ms.append((time.perf_counter() - t) * 1000)
            exact = {int(i) for i in top}
            got = {int(h.chunk.id.split(":")[0][3:]) * 4 + int(h.chunk.id.split(":")[2]) for h in hits[:10]}
            recall.append(len(exact & got) / 10)
        out["server_dense"] = p50_p95(hnsw_ms)
        out["exact_numpy"] = p50_p95(exact_ms)
        out["recall@10"] = round(float(np.mean(recall)), 4)
        out["server_rss_mb"] = rss_mb(server.pid)
        out["disk_mb"] = du_mb(root / "chroma-server")
    finally:
        server.terminate()
        server.wait(timeout=60)
    out["load_after"] = os.getloadavg()
    h, e = out["server_dense"], out["exact_numpy"]
    print(f"{a.n:,} chunks, load {out['load_before'][0]:.1f} -> {out['load_after'][0]:.1f}")
    print(f"insert {out['insert_chunks_per_s']} chunks/s; server RSS {out['server_rss_mb']} MB")
    print(f"disk {out['disk_mb']} MB; recall@10 vs exact {out['recall@10']}")
    print(f"dense on the server  p50 {h['p50_ms']:>8} ms  p95 {h['p95_ms']:>8} ms")
    print(f"exact (numpy)        p50 {e['p50_ms']:>8} ms  p95 {e['p95_ms']:>8} ms")
    print(f"server / exact       p50 {h['p50_ms'] / e['p50_ms']:.2f}   p95 {h['p95_ms'] / e['p95_ms']:.2f}")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
