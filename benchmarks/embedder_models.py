"""Embedding models side by side (MiniLM vs EmbeddingGemma): speed and retrieval quality in one run.

    .venv/bin/python benchmarks/embedder_models.py speed [--passages 128] [--batches 8,16,32]
    .venv/bin/python benchmarks/embedder_models.py quality [--scifact-docs 1000] [--fb-limit 17]
        [--models all-MiniLM-L6-v2:onnx,embeddinggemma-300m:torch] [--dims 512,256] [--json OUT]

`speed`: the first N SciFact abstracts as ingestion embeds them (title line + text), per model and batch
size, and the Gemma token lengths of real chunks (what `max_seq_length` must cover).

`quality`: every model indexes the same corpora through the real ingestion path (evaluation cache, so a
second run only re-scores):
- SciFact subset: all 300 test queries over every judged abstract plus a seeded random sample of the
  others up to --scifact-docs (the full 5,183 would take Gemma ~1 h here); nDCG@10 per method.
- XQuAD-en retrieval: 1,190 questions over the 48 articles; answer string in the top 5 chunks / top 1.
- FinanceBench page hit@5 for the first --fb-limit questions in `rag eval answers` order (smallest PDFs
  first, so the subset is the same one `rag eval answers --limit` uses).
- ingest chunks/s of the first build of each index (only meaningful on a cold cache; marked otherwise).
With --dims, Gemma's Matryoshka prefixes (768 -> 512/256) are scored from the same stored vectors (exact
numpy search instead of Chroma's HNSW, full 768 scored the same way as the reference).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.eval import DEFAULT_CACHE  # noqa: E402
from app.eval import answers as qa  # noqa: E402
from app.eval import retrieval as r  # noqa: E402
from app.eval.cache import cached_index, fingerprint  # noqa: E402
from rag import Settings  # noqa: E402
from rag.embedders import create_embedder  # noqa: E402
from rag.embedders.base import truncate  # noqa: E402
from rag.eval.metrics import contains_answer, ranking_metrics  # noqa: E402
from rag.service import AnswerService  # noqa: E402
from rag.types import Hit  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731


def settings_for(model: str, runtime: str, **extra) -> Settings:
    return Settings(_env_file=None).model_copy(
        update={"embedder": model, "embedder_runtime": runtime, **extra}
    )


def parse_models(text: str) -> list[tuple[str, str]]:
    return [tuple(m.split(":")) for m in text.split(",")]


# speed -----------------------------------------------------------------------------------------------
def abstracts(n: int) -> list[str]:
    out = []
    with open(EVAL / "scifact" / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            out.append(f"{d['title']}\n{d['text']}")
            if len(out) == n:
                break
    return out


def speed(a) -> dict:
    texts = abstracts(a.passages)
    res = {}
    for model, runtime in parse_models(a.models):
        for bs in (int(b) for b in a.batches.split(",")):
            emb = create_embedder(settings_for(model, runtime, embed_batch_size=bs))
            emb.embed_documents(texts[:4])  # load + warm
            t = time.perf_counter()
            emb.embed_documents(texts)
            s = time.perf_counter() - t
            t = time.perf_counter()
            for q in texts[:20]:
                emb.embed_query(q[:120])
            q_ms = (time.perf_counter() - t) / 20 * 1000
            res[f"{model}:{runtime}:b{bs}"] = {
                "passages_per_s": round(len(texts) / s, 2),
                "query_ms": round(q_ms, 1),
            }
            log(f"{model} {runtime} batch {bs}: {len(texts) / s:.2f} passages/s, query {q_ms:.0f} ms")
        if "gemma" in model:
            n = emb.count_tokens([t for t in texts])
            res[f"{model}:abstract_tokens"] = {p: int(np.percentile(n, p)) for p in (50, 90, 99, 100)}
    base = next(iter(res.values()))["passages_per_s"]
    for k, v in res.items():
        if "passages_per_s" in v:
            v["x_first"] = round(v["passages_per_s"] / base, 3)
    return res


# quality ---------------------------------------------------------------------------------------------
def scifact_subset(n_queries: int, n_docs: int) -> Path:
    """A BEIR folder: a seeded sample of the test queries, every abstract judged for them, and a seeded
    sample of the other abstracts as distractors up to n_docs."""
    src = EVAL / "scifact"
    docs = [
        json.loads(x) for x in (src / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()
    ]
    lines = [x for x in (src / "qrels" / "test.tsv").read_text().splitlines()[1:] if x.strip()]
    qids = sorted({x.split("\t")[0] for x in lines}, key=int)
    random.Random(0).shuffle(qids)
    qids = set(qids[:n_queries])
    lines = [x for x in lines if x.split("\t")[0] in qids]
    judged = {x.split("\t")[1] for x in lines}
    others = [str(d["_id"]) for d in docs if str(d["_id"]) not in judged]
    random.Random(1).shuffle(others)
    keep = judged | set(others[: max(0, n_docs - len(judged))])
    out = DEFAULT_CACHE / "subsets" / f"scifact-q{n_queries}-d{n_docs}"
    files = {
        "corpus.jsonl": "".join(json.dumps(d) + "\n" for d in docs if str(d["_id"]) in keep),
        "queries.jsonl": "".join(
            x + "\n"
            for x in (src / "queries.jsonl").read_text(encoding="utf-8").splitlines()
            if x.strip() and str(json.loads(x)["_id"]) in qids
        ),
        "qrels/test.tsv": "query-id\tcorpus-id\tscore\n" + "".join(x + "\n" for x in lines),
    }
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    for name, body in files.items():  # rewritten only when different: the cached index stays valid
        if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != body:
            (out / name).write_text(body, encoding="utf-8")
    return out


def exact_dense(service: AnswerService, dims: int):
    """sources.dense replacement: exact cosine over the stored vectors cut to `dims` (Matryoshka)."""
    _, _, store = service.sources.live()
    ids, vecs, chunks, off = [], [], {}, 0
    while True:
        got = store._col.get(include=["embeddings"], limit=5000, offset=off)
        if not got["ids"]:
            break
        ids += got["ids"]
        vecs.append(np.asarray(got["embeddings"], np.float32))
        off += len(got["ids"])
    for c in store.iter_chunks():
        chunks[c.id] = c
    m = truncate(np.vstack(vecs), dims)
    embed = service.index.embedder.embed_query

    def dense(query, n, doc_ids=None):
        q = truncate(embed(query)[None, :], dims)[0]
        s = m @ q
        top = np.argsort(-s)[:n]
        return [Hit(chunks[ids[i]], float(s[i]), dense=float(s[i])) for i in top]

    return dense


def score_scifact(prep: r.Prepared, service: AnswerService) -> dict:
    out = {}
    for method in ("bm25", "dense", "hybrid"):
        runs = {
            qid: r.to_docs(service.retrieve(text, r.depth(service.settings), method=method), prep.to_beir)
            for qid, text in prep.dataset.queries.items()
        }
        out[method] = round(ranking_metrics(prep.dataset.qrels, runs)["ndcg@10"], 4)
    return out


def score_xquad(service: AnswerService, questions: list[qa.Question]) -> dict:
    at1 = at5 = doc1 = 0
    for q in questions:
        hits = service.retrieve(q.text, 5)
        at5 += any(contains_answer(h.chunk.text, q.answers) for h in hits)
        at1 += bool(hits) and contains_answer(hits[0].chunk.text, q.answers)
        doc1 += bool(hits) and Path(hits[0].chunk.source).name == q.doc
    n = len(questions)
    return {"answer@5": round(at5 / n, 4), "answer@1": round(at1 / n, 4), "doc@1": round(doc1 / n, 4)}


def score_pages(service: AnswerService, questions: list[qa.Question]) -> float:
    hit = 0
    for q in questions:
        hits = service.retrieve(q.text, 5)
        hit += any((Path(h.chunk.source).name, h.chunk.page) in q.evidence for h in hits)
    return round(hit / len(questions), 4)


def build(s: Settings, label: str, files: list[Path], corpus: str):
    t = time.perf_counter()
    index, summary = cached_index(s, DEFAULT_CACHE, label, corpus, files, log)
    cold = time.perf_counter() - t > 5
    speed = {
        "chunks": summary.get("chunks"),
        "seconds": round(summary.get("seconds", 0), 1),
        "chunks_per_s": round(summary["chunks"] / summary["seconds"], 2) if summary.get("seconds") else None,
        "cold": cold,
    }
    return index, speed


RETRIEVAL_VARIANTS = {  # retrieval-time settings: no re-embedding
    "chunks only (before)": {"page_ranking": False, "clean_questions": False},
    "+ clean questions": {"page_ranking": False, "clean_questions": True},
    "+ pages, fusion 0": {"page_ranking": True, "page_fusion": 0.0, "clean_questions": True},
    "+ pages, fusion 0.3": {"page_ranking": True, "page_fusion": 0.3, "clean_questions": True},
    "+ pages, fusion 0.6": {"page_ranking": True, "page_fusion": 0.6, "clean_questions": True},
    "pages 0.3, no cleaning": {"page_ranking": True, "page_fusion": 0.3, "clean_questions": False},
}


def quality(a) -> dict:
    res = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load": os.getloadavg()[0],
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
        # the PDF parser is being changed in parallel: say whether it had uncommitted edits
        "ingest_dirty": subprocess.run(
            ["git", "status", "--porcelain", "ingest/"], capture_output=True, text=True, cwd=ROOT
        ).stdout.split("\n"),
        "models": {},
    }
    dims = [int(d) for d in a.dims.split(",")] if a.dims else []
    sets = set(a.sets.split(","))
    if "xquad" in sets:
        xq = qa.load(EVAL / "xquad_en")
    if "financebench" in sets:
        fb = qa.load(EVAL / "financebench")
        fb_q = fb.questions[: a.fb_limit] if a.fb_limit else fb.questions
        fb_files = sorted({f for f in fb.files if f.name in {q.doc for q in fb_q}})
    for model, runtime in parse_models(a.models):
        s = settings_for(model, runtime)
        out = res["models"][f"{model}:{runtime}"] = {}
        if "scifact" in sets:
            folder = scifact_subset(a.scifact_queries, a.scifact_docs) if a.scifact_docs else EVAL / "scifact"
            t = time.perf_counter()
            prep = r.prepare(folder, s, DEFAULT_CACHE, log)
            service = AnswerService(s, prep.index)
            out["scifact"] = {
                "docs": a.scifact_docs or 5183,
                "queries": len(prep.dataset.queries),
                "chunks": prep.ingest.get("chunks"),
                "ingest_s": round(prep.ingest.get("seconds", 0), 1),
                "chunks_per_s": round(prep.ingest["chunks"] / prep.ingest["seconds"], 2),
                "cold": time.perf_counter() - t > 5,
                **score_scifact(prep, service),
            }
            for d in dims:
                if d < prep.index.embedder.spec.dimension:
                    service.sources.dense = exact_dense(service, d)
                    sc = score_scifact(prep, service)
                    out["scifact"][f"dense@{d}"], out["scifact"][f"hybrid@{d}"] = sc["dense"], sc["hybrid"]
            if dims:
                service.sources.dense = exact_dense(service, prep.index.embedder.spec.dimension)
                sc = score_scifact(prep, service)
                out["scifact"]["dense@full_exact"], out["scifact"]["hybrid@full_exact"] = (
                    sc["dense"],
                    sc["hybrid"],
                )
            log(f"{model}: scifact {out['scifact']}")
        if "xquad" in sets:
            index, sp = build(s, f"qa/{xq.name}", xq.files, fingerprint(xq.files, [f.name for f in xq.files]))
            out["xquad"] = {
                **sp,
                "questions": len(xq.questions[: a.xquad_limit or None]),
                **score_xquad(AnswerService(s, index), xq.questions[: a.xquad_limit or None]),
            }
            log(f"{model}: xquad {out['xquad']}")
        if "financebench" in sets:
            index, sp = build(s, f"qa/{fb.name}", fb_files, fingerprint(fb_files, [f.name for f in fb_files]))
            out["financebench"] = {**sp, "questions": len(fb_q), "pdfs": len(fb_files)}
            for name, upd in RETRIEVAL_VARIANTS.items():
                v = s.model_copy(update=upd)
                out["financebench"][name] = score_pages(AnswerService(v, index), fb_q)
            log(f"{model}: financebench {out['financebench']}")
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("speed", "quality"))
    ap.add_argument("--models", default="all-MiniLM-L6-v2:onnx,embeddinggemma-300m:torch")
    ap.add_argument("--passages", type=int, default=128)
    ap.add_argument("--batches", default="8,16,32")
    ap.add_argument("--scifact-docs", type=int, default=300, help="0 = the full corpus and all queries")
    ap.add_argument("--scifact-queries", type=int, default=100)
    ap.add_argument("--fb-limit", type=int, default=7, help="0 = all 42 questions")
    ap.add_argument(
        "--xquad-limit", type=int, default=300, help="questions (a seeded spread over all articles); 0 = all"
    )
    ap.add_argument("--sets", default="scifact,xquad,financebench")
    ap.add_argument(
        "--dims", default="", help="Matryoshka dims to score from the stored vectors, e.g. 512,256"
    )
    ap.add_argument("--json")
    a = ap.parse_args()
    res = speed(a) if a.mode == "speed" else quality(a)
    print(json.dumps(res, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
