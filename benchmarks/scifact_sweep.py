"""The SciFact sweep behind the retrieval defaults: every try, scored by the same harness as `rag eval`.

    .venv/bin/python benchmarks/scifact_sweep.py [DATASET_DIR] [--grid retrieval|chunking|all] \
        [--out FILE.jsonl]

Retrieval-time settings (fusion, weights, BM25 k1/b, candidates, dedup) vary over one cached index;
chunking settings each get their own cached index (document vectors are memoized by text, so only
chunks whose text changed are embedded). Query vectors are memoized within the run, so the timings
printed here are not latencies: use `rag eval retrieval` for those. Each row also reports nDCG@10 on
the even- and odd-numbered queries separately, to show how much a choice depends on the query sample.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.eval import retrieval as r  # noqa: E402
from rag import Settings  # noqa: E402
from rag.eval.metrics import ranking_metrics  # noqa: E402
from rag.index import Index  # noqa: E402
from rag.lexical import LexicalCache  # noqa: E402
from rag.service import AnswerService  # noqa: E402

RETRIEVAL_GRID = (
    [{"method": "bm25", "bm25_k1": k1, "bm25_b": b} for k1 in (0.9, 1.2, 1.5) for b in (0.5, 0.75, 0.9)]
    + [{"method": "dense"}]
    + [{"method": "hybrid", "fusion": "weighted", "fusion_weight": w} for w in (0.3, 0.4, 0.5, 0.6, 0.7)]
    + [{"method": "hybrid", "fusion": "rrf", "rrf_k": k} for k in (10, 30, 60, 100)]
    + [
        {"method": "hybrid", "fusion": "weighted", "fusion_weight": 0.5, "candidates": c}
        for c in (20, 50, 100, 200)
    ]
    + [{"method": "hybrid", "fusion": "weighted", "fusion_weight": 0.5, "dedup_jaccard": 1.01}]
)
EXPERIMENT_GRID = [
    {"method": "hybrid", "experiment": e, "fusion_weight": w}
    for e in ("lex_text_only", "lex_title_text", "zscore", "complete")
    for w in (0.4, 0.5, 0.6)
]
CHUNK_GRID = [{"chunk_tokens": t, "chunk_overlap": o} for t, o in ((128, 32), (200, 0), (200, 32), (254, 32))]


def _zscore_weighted(dense, lexical, w):
    """Like fusion.weighted, but each list standardized (z-scores); a list that misses a chunk gives it
    that list's lowest score."""
    import statistics

    from rag.retrieval import fusion

    def z(hits):
        if len(hits) < 2:
            return {h.chunk.id: 0.0 for h in hits}, 0.0
        xs = [h.score for h in hits]
        mu, sd = statistics.fmean(xs), statistics.pstdev(xs) or 1.0
        return {h.chunk.id: (h.score - mu) / sd for h in hits}, (min(xs) - mu) / sd

    (d, dmin), (lx, lmin) = z(dense), z(lexical)
    merged = fusion._merge(dense, lexical)
    for cid, h in merged.items():
        h.score = w * d.get(cid, dmin) + (1 - w) * lx.get(cid, lmin)
    return sorted(merged.values(), key=lambda h: -h.score)


def _complete_retrieve(self, query, k, doc_ids=None):
    """Hybrid where each candidate gets both scores: BM25 for dense-only chunks, cosine for BM25-only ones,
    instead of 0 for the list that missed it."""
    import numpy as np

    from rag.retrieval import fusion
    from rag.types import Hit

    n = max(k, self.settings.candidates)
    dense = self.sources.dense(query, n, doc_ids)
    lexical = self.sources.lexical(query, n, doc_ids)
    bm25, store = self.sources.bm25()
    toks = bm25._tokenize([query], ids=False)[0]
    full = bm25._bm25.get_scores(list(toks)) if toks else np.zeros(len(bm25.ids))
    pos = getattr(bm25, "_pos", None) or {cid: i for i, cid in enumerate(bm25.ids)}
    bm25._pos = pos
    have_lex = {h.chunk.id for h in lexical}
    lexical = lexical + [
        Hit(h.chunk, float(full[pos[h.chunk.id]])) for h in dense if h.chunk.id not in have_lex
    ]
    have_dense = {h.chunk.id for h in dense}
    missing = [h for h in lexical if h.chunk.id not in have_dense]
    if missing:
        qv = self.sources.index.embedder.embed_query(query)
        got = store._col.get(ids=[h.chunk.id for h in missing], include=["embeddings"])
        vec = dict(zip(got["ids"], got["embeddings"]))
        dense = dense + [
            Hit(
                h.chunk,
                float(np.asarray(vec[h.chunk.id]) @ qv),
                dense=float(np.asarray(vec[h.chunk.id]) @ qv),
            )
            for h in missing
            if h.chunk.id in vec
        ]
    s = self.settings
    fused = fusion.weighted(dense, lexical, s.fusion_weight)
    return fusion.collapse_near_duplicates(fused, s.dedup_jaccard)[:k]


def experiment(name: str | None):
    """Monkeypatches for ideas not (yet) in the product; restored after the row is scored."""
    import contextlib

    from rag import lexical
    from rag.retrieval import fusion
    from rag.retrieval.retrievers import HybridRetriever

    patches = {
        "lex_text_only": (lexical, "lexical_text", lambda c: c.text),
        "lex_title_text": (lexical, "lexical_text", lambda c: f"{c.title}\n{c.text}"),
        "zscore": (fusion, "weighted", _zscore_weighted),
        "complete": (HybridRetriever, "retrieve", _complete_retrieve),
    }
    if name is None:
        return contextlib.nullcontext()
    mod, attr, new = patches[name]

    @contextlib.contextmanager
    def patched():
        old = getattr(mod, attr)
        setattr(mod, attr, new)
        try:
            yield
        finally:
            setattr(mod, attr, old)

    return patched()


def scored(prep: r.Prepared, overrides: dict) -> dict:
    cfg = dict(overrides)
    with experiment(cfg.get("experiment")):
        return _scored(prep, cfg)


def _scored(prep: r.Prepared, overrides: dict) -> dict:
    cfg = dict(overrides)
    method = cfg.pop("method", "hybrid")
    exp = cfg.pop("experiment", None)
    s = prep.index.settings.model_copy(update=cfg)
    # same store, embedder and doc map; only retrieval-time settings differ
    idx = Index(s, backend=prep.index.backend, embedder=prep.index.embedder)
    t = time.perf_counter()
    runs = {}
    service = AnswerService(s.model_copy(update={"reranker": "none"}), idx)
    if exp and exp.startswith("lex_"):  # a different BM25 text: build it in its own cache
        service.sources.lexical_cache = LexicalCache(s.data_dir / f"bm25-{exp}", s.bm25_k1, s.bm25_b)

    def search(q, k):
        return service.retrieve(q, k, method=method)

    for qid, text in prep.dataset.queries.items():
        runs[qid] = r.to_docs(search(text, r.depth(s)), prep.to_beir)
    qrels = prep.dataset.qrels
    m = ranking_metrics(qrels, runs)
    halves = [{q: v for i, (q, v) in enumerate(qrels.items()) if i % 2 == h} for h in (0, 1)]
    row = {
        "method": method,
        **({"experiment": exp} if exp else {}),
        **cfg,
        **{k: round(v, 4) for k, v in m.items()},
        "ndcg_even": round(ranking_metrics(halves[0], runs)["ndcg@10"], 4),
        "ndcg_odd": round(ranking_metrics(halves[1], runs)["ndcg@10"], 4),
        "s": round(time.perf_counter() - t, 1),
    }
    return row


def memoize_queries(prep: r.Prepared) -> None:
    emb = prep.index.embedder
    emb.embed_query = functools.lru_cache(maxsize=None)(emb.embed_query)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", nargs="?", default=str(ROOT.parent / "shared" / "eval" / "scifact"))
    ap.add_argument("--grid", choices=("retrieval", "experiments", "chunking", "all"), default="retrieval")
    ap.add_argument("--set", action="append", default=[], help="extra retrieval config as JSON (repeatable)")
    ap.add_argument("--chunks", help="chunking grid as TOKENS/OVERLAP,... (default: the built-in grid)")
    ap.add_argument("--out", default="sweep.jsonl")
    a = ap.parse_args()
    base = Settings()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    out = open(a.out, "a")
    chunk_grid = (
        [
            {"chunk_tokens": int(t), "chunk_overlap": int(o)}
            for t, o in (x.split("/") for x in a.chunks.split(","))
        ]
        if a.chunks
        else CHUNK_GRID
    )
    indexes = chunk_grid if a.grid in ("chunking", "all") else [{}]
    for chunking in indexes:
        prep = r.prepare(Path(a.dataset), base.model_copy(update=chunking), base.eval_cache, log)
        memoize_queries(prep)
        grid = [json.loads(x) for x in a.set] or {
            "retrieval": RETRIEVAL_GRID,
            "experiments": EXPERIMENT_GRID,
            "all": RETRIEVAL_GRID + EXPERIMENT_GRID,
            "chunking": [{"method": m} for m in ("bm25", "dense", "hybrid")],
        }[a.grid]
        for cfg in grid:
            row = {
                "chunk_tokens": prep.index.settings.chunk_tokens,
                "chunk_overlap": prep.index.settings.chunk_overlap,
                "chunks": prep.ingest.get("chunks"),
                **scored(prep, cfg),
            }
            print(json.dumps(row), flush=True)
            out.write(json.dumps(row) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
