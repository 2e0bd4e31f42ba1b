"""Embedder runtimes side by side: torch (sentence-transformers, the reference) vs int8 ONNX Runtime.

    .venv/bin/python benchmarks/embedder.py [--passages 512] [--queries 200] [--json OUT]

Same texts, same process, same thread settings: the first N SciFact abstracts as the app embeds them
("title" line + text, cut to the model window by the tokenizer), encoded in batches of 64 (a large
file) and one document at a time (how ingestion calls it for small files), then N single-query
encodes. Also reports agreement: the mean cosine between the two runtimes' vectors. Retrieval quality
per runtime comes from `rag eval retrieval` (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import Settings  # noqa: E402
from rag.embedders import create_embedder  # noqa: E402
from rag.eval.metrics import percentile  # noqa: E402

CORPUS = ROOT.parent / "shared" / "eval" / "scifact" / "corpus.jsonl"


def texts(n: int) -> list[str]:
    out = []
    with open(CORPUS, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            out.append(f"{d['title']}\n{d['text']}")
            if len(out) == n:
                break
    return out


def measure(emb, passages: list[str], queries: list[str]) -> tuple[dict, np.ndarray]:
    emb.embed_documents(passages[:8])  # load + warm up
    t = time.perf_counter()
    vecs = emb.embed_documents(passages)
    batch_s = time.perf_counter() - t
    t = time.perf_counter()
    for p in passages[:128]:
        emb.embed_documents([p])
    single_s = (time.perf_counter() - t) / min(128, len(passages))
    ms = []
    for q in queries:
        t = time.perf_counter()
        emb.embed_query(q)
        ms.append((time.perf_counter() - t) * 1000)
    return {
        "passages_per_s_batch64": round(len(passages) / batch_s, 1),
        "passages_per_s_one_by_one": round(1 / single_s, 1),
        "query_p50_ms": round(percentile(ms, 50), 2),
        "query_p95_ms": round(percentile(ms, 95), 2),
    }, vecs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passages", type=int, default=512)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--json")
    a = ap.parse_args()
    passages = texts(a.passages)
    qs = [
        json.loads(x)["text"] for x in (CORPUS.parent / "queries.jsonl").read_text().splitlines()[: a.queries]
    ]
    base = Settings()
    res, vecs = {}, {}
    for runtime in ("torch", "onnx"):
        res[runtime], vecs[runtime] = measure(
            create_embedder(base.model_copy(update={"embedder_runtime": runtime})), passages, qs
        )
    cos = np.sum(vecs["torch"] * vecs["onnx"], axis=1)
    print(f"{'runtime':<8}{'batch-64 p/s':>14}{'one-by-one p/s':>16}{'query p50 ms':>14}{'query p95 ms':>14}")
    for rt, r in res.items():
        print(
            f"{rt:<8}{r['passages_per_s_batch64']:>14}{r['passages_per_s_one_by_one']:>16}"
            f"{r['query_p50_ms']:>14}{r['query_p95_ms']:>14}"
        )
    ratio = {k: round(res["onnx"][k] / res["torch"][k], 2) for k in res["torch"]}
    print(f"onnx / torch: {ratio}; vector agreement cos mean {cos.mean():.4f}, min {cos.min():.4f}")
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, no GPU; "
        f"{len(passages)} SciFact abstracts, {len(qs)} queries"
    )
    if a.json:
        Path(a.json).write_text(
            json.dumps(
                {
                    "runtimes": res,
                    "onnx_over_torch": ratio,
                    "cosine_mean": float(cos.mean()),
                    "cosine_min": float(cos.min()),
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
