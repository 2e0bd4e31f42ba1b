"""Chroma HNSW parameters: recall against exact search, and query latency, on 384-d vectors.

    .venv/bin/python benchmarks/hnsw.py [--data minilm,synthetic] [--n 50000] [--queries 200]
        [--m 16,32] [--construction-ef 100,200] [--search-ef 10,50,100,200] [--json OUT]

Datasets: "minilm" = the real all-MiniLM-L6-v2 vectors of the evaluation corpora cached in
RAG_EVAL_CACHE/embeddings (SciFact, FinanceBench, XQuAD chunks and questions; ~24k unique, used whole);
"synthetic" = --n clustered unit vectors (the generator of benchmarks/retrieval.py: 64 topics + noise).
Queries are held out of the indexed set (other points of the same distribution). For each (M,
construction_ef) a fresh embedded collection is built (in a child process) with the store's own
configuration path (rag.store.chroma.hnsw_config); then for each search_ef a fresh child process sets it
with collection.modify, as ChromaBackend.open does, and times `collection.query` for k=10 and k=50 (the
app's default candidates), comparing the ids with exact search (NumPy brute force over the same vectors,
whose latency is the baseline). A fresh process per search_ef because Chroma 1.5.9 reads ef_search when
it loads the index into a process: a modify after that is stored but not used by that process.
Note hnswlib searches with max(ef_search, k), so for k=50 a search_ef below 50 acts as 50.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag import Settings  # noqa: E402
from rag.settings import EVAL_CACHE  # noqa: E402
from rag.store.chroma import hnsw_config  # noqa: E402

DIM = 384
TOPICS = 64


def minilm_vectors() -> np.ndarray:
    cache = Path(os.environ.get("RAG_EVAL_CACHE", EVAL_CACHE)).expanduser() / "embeddings"
    parts = []
    for f in sorted(cache.glob("all-MiniLM-L6-v2-*.sqlite3")):
        with sqlite3.connect(f) as db:
            parts += [np.frombuffer(b, dtype=np.float32) for (b,) in db.execute("SELECT vec FROM v")]
    if not parts:
        raise SystemExit(f"no cached MiniLM vectors under {cache} (run an evaluation first)")
    v = np.unique(np.stack([p for p in parts if p.shape == (DIM,)]), axis=0)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def synthetic_vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centroids = rng.normal(size=(TOPICS, DIM)).astype(np.float32)
    v = centroids[rng.integers(0, TOPICS, size=n)] + 0.8 * rng.normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def split(v: np.ndarray, q: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(len(v))
    return v[order[q:]], v[order[:q]]


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(xs) * 1000, p))


def exact(base: np.ndarray, queries: np.ndarray, k: int) -> tuple[list[set[int]], list[float]]:
    truth, lat = [], []
    for q in queries:
        t = time.perf_counter()
        sims = base @ q
        top = np.argpartition(-sims, k)[:k]
        lat.append(time.perf_counter() - t)
        truth.append(set(top.tolist()))
    return truth, lat


def client(path: str):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(path=path, settings=ChromaSettings(anonymized_telemetry=False))


def child_build(path: str, name: str, data: str, m: int, efc: int, space: str) -> None:
    base = np.load(data)["base"]
    settings = Settings(hnsw_m=m, hnsw_construction_ef=efc, hnsw_space=space, _env_file=None)
    c = client(path)
    col = c.create_collection(name, embedding_function=None, configuration=hnsw_config(settings))
    step = min(c.get_max_batch_size(), 5000)
    t = time.perf_counter()
    for i in range(0, len(base), step):
        col.add(ids=[str(j) for j in range(i, min(i + step, len(base)))], embeddings=base[i : i + step])
    print(json.dumps({"build_s": time.perf_counter() - t}))


def child_query(path: str, name: str, data: str, ef: int) -> None:
    d = np.load(data)
    col = client(path).get_collection(name)
    col.modify(configuration={"hnsw": {"ef_search": ef}})  # before the first query loads the index
    row: dict = {}
    for k in (10, 50):
        hits, lat = 0, []
        for q, want in zip(d["queries"], d[f"truth{k}"]):
            t = time.perf_counter()
            r = col.query(query_embeddings=[q], n_results=k, include=["distances"])
            lat.append(time.perf_counter() - t)
            hits += len(set(want.tolist()) & {int(i) for i in r["ids"][0]})
        row.update(
            {f"recall{k}": hits / (k * len(d["queries"])), f"p50_{k}": pct(lat, 50), f"p95_{k}": pct(lat, 95)}
        )
    assert col.configuration["hnsw"]["ef_search"] == ef
    print(json.dumps(row))


def child(*args) -> dict:
    cmd = [sys.executable, __file__, "--child", *map(str, args)]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])


def run(name: str, vecs: np.ndarray, a, path: str) -> dict:
    base, queries = split(vecs, a.queries)
    out: dict = {"n": len(base), "queries": len(queries), "rows": []}
    truth = {}
    for k in (10, 50):
        sets, lat = exact(base, queries, k)
        truth[f"truth{k}"] = np.array([sorted(s) for s in sets])
        out[f"exact_k{k}_ms"] = (pct(lat, 50), pct(lat, 95))
    data = f"{path}/{name}.npz"
    np.savez(data, base=base, queries=queries, **truth)
    print(f"[{name}] {len(base)} vectors; exact k=10 p50 {out['exact_k10_ms'][0]:.2f} ms", file=sys.stderr)
    for m in a.m:
        for efc in a.construction_ef:
            col = f"{name}-m{m}-c{efc}"
            secs = child("build", path, col, data, m, efc, a.space)["build_s"]
            print(f"  M={m} efc={efc}: built in {secs:.1f} s", file=sys.stderr, flush=True)
            for ef in a.search_ef:
                row = {"m": m, "construction_ef": efc, "search_ef": ef, "build_s": secs}
                row.update(child("query", path, col, data, ef))
                out["rows"].append(row)
                print(
                    f"    ef={ef}: recall@10 {row['recall10']:.3f} p50 {row['p50_10']:.2f} ms; "
                    f"recall@50 {row['recall50']:.3f} p50 {row['p50_50']:.2f} ms",
                    file=sys.stderr,
                    flush=True,
                )
    return out


def table(name: str, r: dict) -> str:
    e10, e50 = r["exact_k10_ms"], r["exact_k50_ms"]
    lines = [
        f"\n{name}: {r['n']:,} vectors, {r['queries']} held-out queries; exact (NumPy) p50/p95 "
        f"{e10[0]:.2f}/{e10[1]:.2f} ms (k=10), {e50[0]:.2f}/{e50[1]:.2f} ms (k=50)\n",
        "| M | construction_ef | build s | search_ef | recall@10 | p50 / p95 ms (k=10) | recall@50 "
        "| p50 / p95 ms (k=50) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w in r["rows"]:
        lines.append(
            f"| {w['m']} | {w['construction_ef']} | {w['build_s']:.0f} | {w['search_ef']} "
            f"| {w['recall10']:.3f} | {w['p50_10']:.2f} / {w['p95_10']:.2f} "
            f"| {w['recall50']:.3f} | {w['p50_50']:.2f} / {w['p95_50']:.2f} |"
        )
    return "\n".join(lines)


def ints(s: str) -> list[int]:
    return [int(x) for x in s.split(",")]


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        kind, path, name, data, *rest = sys.argv[2:]
        if kind == "build":
            child_build(path, name, data, int(rest[0]), int(rest[1]), rest[2])
        else:
            child_query(path, name, data, int(rest[0]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="minilm,synthetic")
    ap.add_argument("--n", type=int, default=50_000, help="synthetic vectors (indexed + queries)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--m", type=ints, default=[16, 32])
    ap.add_argument("--construction-ef", type=ints, default=[100, 200])
    ap.add_argument("--search-ef", type=ints, default=[10, 50, 100, 200])
    ap.add_argument("--space", default="cosine")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()

    import chromadb

    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_before": os.getloadavg()[0],
        "chromadb": chromadb.__version__,
    }
    with tempfile.TemporaryDirectory(prefix="rag-hnsw-") as tmp:
        for name in a.data.split(","):
            vecs = minilm_vectors() if name == "minilm" else synthetic_vectors(a.n)
            results[name] = run(name, vecs, a, tmp)
    results["load_after"] = os.getloadavg()[0]
    print(
        f"chromadb {results['chromadb']}, {results['machine']}, space {a.space}, "
        f"1-min load {results['load_before']:.1f} before / {results['load_after']:.1f} after"
    )
    for name in a.data.split(","):
        print(table(name, results[name]))
    if a.json:
        a.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
