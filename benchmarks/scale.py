"""The store at scale, embedded (PersistentClient in this process) vs server (`chroma run` on loopback).

    .venv/bin/python benchmarks/scale.py [--n 100000] [--queries 50] [--modes embedded,server] [--json OUT]
        [--root DIR]   # keep the indexes in DIR; a later run with the same DIR and --n skips the insert

Per mode, in one run: insert rate (synthetic 384-d clustered unit vectors + ~150-word Zipf texts, upserted
through the real ChromaStore in its own batches; manifest rows timed apart), dense query p50/p95 on the store
alone (a random unit vector: no model) and through the app's retriever (query embedded by the configured
embedder), BM25 and hybrid p50/p95 (real LexicalCache / HybridRetriever), RSS (this process; and the server
process in server mode) and disk. Ratios are against the embedded mode of the same run. The corpus
generator is benchmarks/retrieval.py's, so figures compare with its "Retrieval latency" section.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import nullcontext
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from retrieval import queries, synthetic  # noqa: E402

from rag import Settings  # noqa: E402
from rag.eval.metrics import percentile  # noqa: E402
from rag.index import Index  # noqa: E402
from rag.manifest import NewDocument  # noqa: E402
from rag.service import AnswerService  # noqa: E402


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def du_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


def start_server(path: Path) -> tuple[subprocess.Popen, int]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2)
            return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("chroma run did not start within 60 s")
            time.sleep(0.5)


def timed(fn, xs) -> dict:
    fn(xs[0])  # warm
    ms = []
    for x in xs:
        t = time.perf_counter()
        fn(x)
        ms.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2)}


def hybrid_stages(service: AnswerService, qs: list[str]) -> dict:
    """p50 ms of each step of a default hybrid query, done by hand in the retriever's order: where the time
    beyond "BM25 + dense" goes."""
    from rag.retrieval import fusion, glossary
    from rag.retrieval.retrievers import search_text

    s, src = service.settings, service.sources
    retriever = service.retriever("hybrid")
    n, k = max(s.top_k, s.candidates), s.top_k
    steps: dict[str, list[float]] = {}

    def step(name, fn, *args, **kw):
        t = time.perf_counter()
        out = fn(*args, **kw)
        steps.setdefault(name, []).append((time.perf_counter() - t) * 1000)
        return out

    for q in qs:
        asked = search_text(q, s)
        q = glossary.expand(asked, s.query_glossary)
        live = step("live collection look-up", src.live)
        vec = step("query embedding", service.index.embedder.embed_query, q)
        dense = step("dense search (store)", live[2].query, vec, n)
        bm25 = step("BM25 index (cache check)", src.lexical_cache.get, live[0], live[1], live[2].iter_chunks)
        ranked = step("BM25 search", bm25.search, q, n)
        known = {h.chunk.id for h in dense}
        step("fetch BM25-only chunks", live[2].get, [i for i, _ in ranked if i not in known])
        step("document scores (BM25)", bm25.doc_scores, asked)
        lexical, doc_scores = src.lexical_and_doc_scores(
            q, n, docs=s.doc_prior > 0, live=live, known=dense, about=asked
        )
        fused = step(
            "fusion + document prior",
            lambda: fusion.doc_prior(
                fusion.weighted(dense, lexical, s.fusion_weight), doc_scores, s.doc_prior
            ),
        )
        step("page ranking + collapse", retriever._finish, fused, k)
    return {name: round(percentile(ms, 50), 2) for name, ms in steps.items()}


def run_mode(mode: str, s: Settings, n: int, qs: list[str], server_pid: int | None) -> dict:
    index = Index(s)
    store_s = manifest_s = 0.0
    kept = index.active()
    if kept is not None and index.backend.open(kept.name).count() != n:
        raise SystemExit(f"{s.data_dir} holds an index of another size: use another --root")
    with index.write_lock() if kept is None else nullcontext():
        info, store = index.active_store(create=True)
        for chunks, vecs in synthetic(n, index.config.dimension) if kept is None else ():
            t = time.perf_counter()
            store.upsert(chunks, vecs)
            store_s += time.perf_counter() - t
            t = time.perf_counter()
            for doc in sorted({c.doc_id for c in chunks}):
                index.manifest.record(
                    info.name,
                    doc,
                    [(f"/synthetic/{doc}.txt", 0, 0.0)],
                    NewDocument(doc, f"Synthetic {doc}", "text", 1, 4, 0),
                )
            manifest_s += time.perf_counter() - t
    service = AnswerService(s, index)
    t = time.perf_counter()
    service.sources.bm25()  # first use after an ingest: BM25 built from the store (iter_chunks) and saved
    bm25_build_s = time.perf_counter() - t
    _, store = index.active_store()
    rng = np.random.default_rng(2)
    vecs = rng.normal(size=(len(qs), index.config.dimension)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    res = {
        "reused_index": kept is not None,
        "insert_chunks_per_s": round(n / store_s) if store_s else None,
        "store_insert_s": round(store_s, 1),
        "manifest_s": round(manifest_s, 1),
        "bm25_build_s": round(bm25_build_s, 1),
        "dense_store": timed(lambda v: store.query(v, s.candidates), list(vecs)),
        "dense": timed(lambda q: service.retrieve(q, method="dense"), qs),
        "bm25": timed(lambda q: service.retrieve(q, method="bm25"), qs),
        "hybrid": timed(lambda q: service.retrieve(q, method="hybrid"), qs),
        "hybrid_stages_p50_ms": hybrid_stages(service, qs),
        "rss_mb": rss_mb(),
        "server_rss_mb": rss_mb(server_pid) if server_pid else None,
        "disk_mb": {
            "chroma": du_mb(s.chroma_dir) if mode == "embedded" else None,
            "bm25": du_mb(s.data_dir / "bm25"),
            "manifest": du_mb(s.data_dir)
            - du_mb(s.data_dir / "bm25")
            - (du_mb(s.chroma_dir) if s.chroma_dir.exists() else 0),
        },
    }
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--modes", default="embedded,server")
    ap.add_argument("--json")
    ap.add_argument("--root", help="keep the indexes here and reuse them (same --n) instead of re-inserting")
    a = ap.parse_args()
    root = Path(a.root) if a.root else Path(tempfile.mkdtemp(prefix="bench-scale-"))
    if a.root:
        root.mkdir(parents=True, exist_ok=True)
    base = Settings(_env_file=None).model_copy(update={"reranker": "none"})
    qs = queries(a.queries)
    out = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "load_before": os.getloadavg(),
        "n": a.n,
        "queries": a.queries,
        "embedder": f"{base.embedder} ({base.embedder_runtime})",
        "candidates": base.candidates,
        "modes": {},
    }
    modes = a.modes.split(",")
    if len(modes) > 1:  # each mode in a fresh child process: RSS and caches of one never count for the other
        try:
            for mode in modes:
                part = root / f"{mode}.json"
                subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--n",
                        str(a.n),
                        "--queries",
                        str(a.queries),
                        "--modes",
                        mode,
                        "--json",
                        str(part),
                        *(["--root", a.root] if a.root else []),
                    ],
                    check=True,
                )
                out["modes"][mode] = json.loads(part.read_text())["modes"][mode]
        finally:
            if not a.root:
                shutil.rmtree(root, ignore_errors=True)
        return report(out, a)
    try:
        for mode in modes:
            server, pid = None, None
            if mode == "server":
                server, port = start_server(root / "chroma-server")
                pid = server.pid
                s = base.model_copy(
                    update={"data_dir": root / mode, "chroma_host": "127.0.0.1", "chroma_port": port}
                )
            else:
                s = base.model_copy(update={"data_dir": root / mode, "chroma_host": None})
            try:
                r = run_mode(mode, s, a.n, qs, pid)
                if server:
                    r["disk_mb"]["chroma"] = du_mb(root / "chroma-server")
            finally:
                if server:
                    server.terminate()
                    server.wait(timeout=30)
            out["modes"][mode] = r
            print(f"{mode}: {json.dumps(r)}", flush=True)
    finally:
        if not a.root:
            shutil.rmtree(root, ignore_errors=True)
    report(out, a)


def report(out: dict, a: argparse.Namespace) -> None:
    out["load_after"] = os.getloadavg()
    modes = out["modes"]
    print(
        f"\n{a.n:,} chunks; {out['machine']}; load {out['load_before'][0]:.1f} -> {out['load_after'][0]:.1f}"
    )
    print(
        f"{'':<22}" + "".join(f"{m:>14}" for m in modes) + (f"{'server/emb':>12}" if len(modes) == 2 else "")
    )
    rows = [
        ("insert chunks/s", lambda r: r["insert_chunks_per_s"]),
        ("BM25 build s", lambda r: r["bm25_build_s"]),
    ]
    for q in ("dense_store", "dense", "bm25", "hybrid"):
        for p in ("p50_ms", "p95_ms"):
            rows.append((f"{q} {p}", lambda r, q=q, p=p: r[q][p]))
    rows += [
        ("RSS MB (this process)", lambda r: r["rss_mb"]),
        ("RSS MB (server)", lambda r: r["server_rss_mb"] or 0),
        ("disk MB (chroma)", lambda r: r["disk_mb"]["chroma"]),
        ("disk MB (bm25)", lambda r: r["disk_mb"]["bm25"]),
    ]
    for name, f in rows:
        vals = [f(r) for r in modes.values()]
        ratio = f"{vals[1] / vals[0]:>12.2f}" if len(vals) == 2 and vals[0] and vals[1] is not None else ""
        print(f"{name:<22}" + "".join(f"{v!s:>14}" for v in vals) + ratio)
    print("hybrid steps, p50 ms:")
    for name in next(iter(modes.values())).get("hybrid_stages_p50_ms", {}):
        vals = [r["hybrid_stages_p50_ms"][name] for r in modes.values()]
        print(f"  {name:<28}" + "".join(f"{v:>14}" for v in vals))
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
