"""EmbeddingGemma-300M runtimes side by side in one run: torch fp32, ONNX fp32 and int8 ONNX variants.

    .venv/bin/rag setup onnx --model embeddinggemma-300m --keep-fp32   # model.onnx + fp32.onnx
    .venv/bin/python benchmarks/gemma_onnx.py [--queries 40] [--docs 80] [--variants int8-all,int8]

The SciFact subset of benchmarks/embedder_models.py (seeded queries, every judged abstract, seeded
distractors). Each abstract is embedded whole as a document (title line + text, cut at the spec's 256
tokens) rather than chunked, so every runtime sees identical inputs; dense nDCG@10 ranks abstracts by exact
cosine. Per runtime: nDCG@10, cosine to the torch vectors (documents and queries: mean and min), and
abstracts/s while embedding the corpus (batch 64, the default). Variants:
- int8: `model.onnx` as `rag setup onnx` builds it for Gemma: `quantize_dynamic` (per-channel int8 weights)
  on MatMul only, leaving the 24 MLP `down_proj` MatMuls (whose inputs carry Gemma's large activation
  outliers, which a per-tensor activation scale flattens) and the embedding table in fp32;
- int8-all: MiniLM's recipe, every MatMul and Gather int8 (built from `fp32.onnx` when missing).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.embedder_models import scifact_subset  # noqa: E402
from rag import Settings  # noqa: E402
from rag.embedders import create_embedder, model_spec  # noqa: E402
from rag.embedders.onnx_runtime import OnnxEmbedder, model_dir  # noqa: E402
from rag.eval.metrics import ranking_metrics  # noqa: E402

log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
SPEC = model_spec("embeddinggemma-300m")


def variant_file(name: str) -> str:
    if name in ("fp32", "int8"):
        return {"fp32": "fp32.onnx", "int8": "model.onnx"}[name]
    folder = model_dir(SPEC)
    out = folder / f"{name}.onnx"
    if not out.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        if name != "int8-all":
            raise SystemExit(f"unknown variant {name}")
        t = time.perf_counter()
        quantize_dynamic(str(folder / "fp32.onnx"), str(out), per_channel=True, weight_type=QuantType.QInt8)
        log(f"{name}: quantized in {time.perf_counter() - t:.0f} s, {out.stat().st_size / 1e6:.0f} MB")
    return out.name


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--docs", type=int, default=80)
    ap.add_argument("--variants", default="int8-all,int8")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    folder = scifact_subset(a.queries, a.docs)
    docs = [json.loads(x) for x in (folder / "corpus.jsonl").read_text().splitlines() if x.strip()]
    queries = {
        str(q["_id"]): q["text"] for q in map(json.loads, (folder / "queries.jsonl").read_text().splitlines())
    }
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        q, d, s = line.split("\t")
        qrels.setdefault(q, {})[d] = int(s)
    ids = [str(d["_id"]) for d in docs]
    texts = [f"{d['title']}\n{d['text']}" for d in docs]
    qids = list(queries)

    runtimes = [("torch", None), ("onnx fp32", "fp32")] + [(f"onnx {v}", v) for v in a.variants.split(",")]
    res, ref = {}, None
    for label, variant in runtimes:
        if variant is None:
            emb = create_embedder(
                Settings(_env_file=None, embedder=SPEC.name, embedder_runtime="torch", embed_batch_size=64)
            )
        else:
            emb = OnnxEmbedder(SPEC, batch_size=64, file=variant_file(variant))
        emb.embed_documents(texts[:2])  # load + warm
        t = time.perf_counter()
        dv = emb.embed_documents(texts)
        secs = time.perf_counter() - t
        qv = np.stack([emb.embed_query(queries[q]) for q in qids])
        runs = {q: [ids[i] for i in np.argsort(-(dv @ qv[n]))[:100]] for n, q in enumerate(qids)}
        row = {
            "ndcg@10": round(ranking_metrics(qrels, runs)["ndcg@10"], 4),
            "abstracts_per_s": round(len(texts) / secs, 3),
            "load_1min": round(os.getloadavg()[0], 1),
        }
        if ref is None:
            ref = (dv, qv)
        else:
            cd, cq = np.sum(dv * ref[0], 1), np.sum(qv * ref[1], 1)
            row |= {
                "cos_docs_mean": round(float(cd.mean()), 4),
                "cos_docs_min": round(float(cd.min()), 4),
                "cos_queries_mean": round(float(cq.mean()), 4),
                "cos_queries_min": round(float(cq.min()), 4),
            }
        row["x_torch"] = round(row["abstracts_per_s"] / res["torch"]["abstracts_per_s"], 2) if res else 1.0
        res[label] = row
        log(f"{label}: {row}")
        del emb
    print(json.dumps(res, indent=1))
    if a.json:
        a.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
