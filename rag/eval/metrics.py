"""Ranking and answer metrics, written out so they can be read and checked.

Ranking metrics follow trec_eval's definitions (cross-checked against pytrec_eval in the unit tests):
linear gain, log2(rank + 1) discount, ideal ranking from the judged relevant documents; a query
with no results scores 0; means are over every judged query.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from typing import Iterable, Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]  # query id -> doc id -> graded relevance


def ndcg_at(ranked: Sequence[str], rels: Mapping[str, int], k: int) -> float:
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if rels.get(d, 0) > 0)
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: Sequence[str], rels: Mapping[str, int], k: int) -> float:
    relevant = {d for d, r in rels.items() if r > 0}
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at(ranked: Sequence[str], rels: Mapping[str, int], k: int) -> float:
    for i, d in enumerate(ranked[:k]):
        if rels.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def ranking_metrics(qrels: Qrels, runs: Mapping[str, Sequence[str]], k: int = 10) -> dict[str, float]:
    """Mean nDCG@k, Recall@k, Recall@100, MRR@k over all judged queries (`runs`: doc ids, best first)."""
    qids = [q for q, rels in qrels.items() if any(r > 0 for r in rels.values())]
    names = (f"ndcg@{k}", f"recall@{k}", "recall@100", f"mrr@{k}")
    sums = Counter()
    for q in qids:
        ranked = _dedup(runs.get(q, ()))
        sums[names[0]] += ndcg_at(ranked, qrels[q], k)
        sums[names[1]] += recall_at(ranked, qrels[q], k)
        sums[names[2]] += recall_at(ranked, qrels[q], 100)
        sums[names[3]] += mrr_at(ranked, qrels[q], k)
    return {m: sums[m] / len(qids) if qids else 0.0 for m in names}


def _dedup(ranked: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ranked))  # a doc counts once, at its best rank


def percentile(xs: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of the raw samples; None for no samples."""
    if not xs:
        return None
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


# answers ------------------------------------------------------------------------------------------
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation) | {"\u2013", "\u2014", "\u2018", "\u2019", "\u201c", "\u201d"}


def normalize_answer(text: str) -> str:
    """SQuAD normalization: lower case, no punctuation or articles, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if ch in _PUNCT else ch for ch in text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains_answer(text: str, golds: Iterable[str]) -> bool:
    """Some gold answer appears in the text as a whole-token run (after normalization)."""
    hay = f" {normalize_answer(text)} "
    return any(g and f" {g} " in hay for g in map(normalize_answer, golds))


def token_f1(prediction: str, golds: Iterable[str]) -> float:
    """SQuAD token F1 against the best-matching gold answer."""
    pred = normalize_answer(prediction).split()
    best = 0.0
    for g in golds:
        gold = normalize_answer(g).split()
        common = sum((Counter(pred) & Counter(gold)).values())
        if common:
            p, r = common / len(pred), common / len(gold)
            best = max(best, 2 * p * r / (p + r))
    return best
