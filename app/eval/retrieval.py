"""Retrieval evaluation on a BEIR-layout folder: every method over the same cached index, in one run.

Each method is asked for `depth` chunks exactly as the answering service asks (same retrievers, fusion,
near-duplicate collapse and reranker); chunk hits collapse to documents by their best chunk.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from rag.errors import ConfigError
from rag.eval.metrics import percentile, ranking_metrics
from rag.index import Index
from rag.service import AnswerService
from rag.settings import Settings
from rag.types import Hit

from . import beir
from .cache import Log, cached_index, doc_paths

BASE_METHODS = ("bm25", "dense", "hybrid")
RERANK = "+rerank"


def default_method(settings: Settings) -> str:
    return settings.retriever + (RERANK if settings.reranker != "none" else "")


def default_methods(settings: Settings) -> list[str]:
    methods = list(BASE_METHODS)
    if settings.reranker != "none":
        methods.append("hybrid" + RERANK)
    if default_method(settings) not in methods:
        methods.append(default_method(settings))
    return methods


def depth(settings: Settings) -> int:
    # the service's own candidate pool, and at least enough chunks for Recall@100 to mean something
    return max(settings.candidates, 100)


@dataclass
class Prepared:
    dataset: beir.BeirDataset
    index: Index
    to_beir: dict[str, list[str]]  # our doc_id -> BEIR doc ids (identical texts share a doc)
    ingest: dict


def prepare(folder: Path, settings: Settings, cache: Path, log: Log = lambda m: None) -> Prepared:
    ds = beir.load(folder)
    root = cache / "beir" / f"{ds.name}-{ds.corpus_hash}"
    _, stems = beir.materialize(ds, root / "docs")
    index, summary = cached_index(
        settings, cache, f"beir/{ds.name}-{ds.corpus_hash}/index", ds.corpus_hash, [root / "docs"], log
    )
    to_beir = {
        d: [stems[Path(p).stem] for p in paths if Path(p).stem in stems]
        for d, paths in doc_paths(index).items()
    }
    return Prepared(ds, index, to_beir, summary)


def to_docs(hits: Sequence[Hit], to_beir: dict[str, list[str]]) -> list[str]:
    """Document ranking from chunk hits (best first): a document ranks by its best chunk."""
    out: dict[str, None] = {}
    for h in hits:
        for d in to_beir.get(h.chunk.doc_id, ()):
            out.setdefault(d)
    return list(out)


def check_method(settings: Settings, method: str) -> tuple[str, bool]:
    base, _, rerank = method.partition("+")
    if base not in BASE_METHODS or rerank not in ("", "rerank"):
        raise ConfigError(
            f"unknown method {method!r}; choose from {', '.join(BASE_METHODS)} "
            f"(each optionally with {RERANK})"
        )
    if rerank and settings.reranker == "none":
        raise ConfigError(f"method {method!r} needs a reranker: set RAG_RERANKER (and RAG_RERANKER_PATH)")
    return base, bool(rerank)


def searcher(settings: Settings, index: Index, method: str) -> Callable[[str, int], list[Hit]]:
    base, rerank = check_method(settings, method)
    s = settings if rerank else settings.model_copy(update={"reranker": "none"})
    service = AnswerService(s, index)
    return lambda q, k: service.retrieve(q, k, method=base)


def run(prep: Prepared, methods: Sequence[str], k: int = 10, log: Log = lambda m: None) -> dict:
    s = prep.index.settings
    n = depth(s)
    queries = prep.dataset.queries
    results = {}
    for method in methods:
        search = searcher(s, prep.index, method)
        search(next(iter(queries.values())), n)  # load the model and the BM25 index before timing
        runs, ms = {}, []
        for qid, text in queries.items():
            t = time.perf_counter()
            hits = search(text, n)
            ms.append((time.perf_counter() - t) * 1000)
            runs[qid] = to_docs(hits, prep.to_beir)
        m = ranking_metrics(prep.dataset.qrels, runs, k)
        m = {key: round(v, 4) for key, v in m.items()}
        m["p50_ms"] = round(percentile(ms, 50), 2)
        results[method] = m
        log(f"{method}: " + ", ".join(f"{key} {v}" for key, v in m.items()))
    return {
        "dataset": prep.dataset.name,
        "queries": len(queries),
        "methods": results,
        "default": default_method(s),
    }
