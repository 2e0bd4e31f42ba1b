"""The evaluation metrics: hand-computed cases, and agreement with pytrec_eval (trec_eval) on random runs."""

from __future__ import annotations

import math
import random

import pytest

from rag.eval.metrics import (
    contains_answer,
    mrr_at,
    ndcg_at,
    normalize_answer,
    percentile,
    ranking_metrics,
    recall_at,
    token_f1,
)


def test_ndcg_of_a_hand_computed_ranking():
    rels = {"a": 1, "b": 1}
    # relevant docs at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at(["x", "a", "y", "b"], rels, 10) == pytest.approx(expected)
    assert ndcg_at(["a", "b", "x"], rels, 10) == pytest.approx(1.0)
    assert ndcg_at(["x", "y"], rels, 10) == 0.0


def test_ndcg_uses_graded_gains_and_the_cutoff():
    rels = {"a": 2, "b": 1}
    # b first, a second: (1 + 2/log2(3)) / (2 + 1/log2(3))
    assert ndcg_at(["b", "a"], rels, 10) == pytest.approx((1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)))
    assert ndcg_at(["x", "a"], rels, 1) == 0.0  # relevant doc just past the cut-off


def test_recall_and_mrr_by_hand():
    rels = {"a": 1, "b": 1, "c": 1, "z": 0}  # a judged-irrelevant doc is not relevant
    ranked = ["x", "z", "b", "y", "a"]
    assert recall_at(ranked, rels, 3) == pytest.approx(1 / 3)
    assert recall_at(ranked, rels, 100) == pytest.approx(2 / 3)
    assert mrr_at(ranked, rels, 10) == pytest.approx(1 / 3)
    assert mrr_at(ranked, rels, 2) == 0.0


def test_queries_without_results_count_as_zero_and_duplicates_once():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    m = ranking_metrics(qrels, {"q1": ["a", "a"]})
    assert m["ndcg@10"] == pytest.approx(0.5)
    assert m["recall@100"] == pytest.approx(0.5)
    assert ranking_metrics({"q": {"a": 1}}, {"q": ["x", "x", "a"]})["mrr@10"] == pytest.approx(0.5)


def test_cutoff_k_renames_the_metrics():
    assert set(ranking_metrics({"q": {"a": 1}}, {"q": ["a"]}, k=5)) == {
        "ndcg@5",
        "recall@5",
        "recall@100",
        "mrr@5",
    }


def test_agrees_with_pytrec_eval_on_random_runs():
    pytrec_eval = pytest.importorskip("pytrec_eval")
    rng = random.Random(7)
    docs = [f"d{i}" for i in range(300)]
    qrels, runs = {}, {}
    for q in range(60):
        qid = f"q{q}"
        qrels[qid] = {d: rng.choice([1, 1, 2]) for d in rng.sample(docs, rng.randint(1, 5))}
        qrels[qid].update({d: 0 for d in rng.sample(docs, 3) if d not in qrels[qid]})
        pool = rng.sample(list(qrels[qid]), min(3, len(qrels[qid]))) + rng.sample(docs, 150)
        rng.shuffle(pool)
        runs[qid] = list(dict.fromkeys(pool))[: rng.randint(0, 130)]
    ours = ranking_metrics(qrels, runs)

    def as_run(ranked, cut):  # strictly decreasing scores, so trec_eval keeps our order
        return {d: float(len(ranked) - i) for i, d in enumerate(ranked[:cut])}

    full = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.10,100"}).evaluate(
        {q: as_run(r, 1000) for q, r in runs.items() if r}
    )
    # MRR@10 = trec_eval's recip_rank on the top 10
    top = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(
        {q: as_run(r, 10) for q, r in runs.items() if r}
    )
    n = len(qrels)

    def mean(res, key):
        return sum(res.get(q, {}).get(key, 0.0) for q in qrels) / n

    assert ours["ndcg@10"] == pytest.approx(mean(full, "ndcg_cut_10"), abs=1e-6)
    assert ours["recall@10"] == pytest.approx(mean(full, "recall_10"), abs=1e-6)
    assert ours["recall@100"] == pytest.approx(mean(full, "recall_100"), abs=1e-6)
    assert ours["mrr@10"] == pytest.approx(mean(top, "recip_rank"), abs=1e-6)
    assert 0 < ours["ndcg@10"] < 1  # the random case actually exercised something


def test_percentile_nearest_rank():
    assert percentile([5, 1, 3], 50) == 3
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile([], 50) is None


def test_answer_normalization_containment_and_f1():
    assert normalize_answer("The  Eiffel-Tower!") == "eiffel tower"
    assert contains_answer("It opened in 1889 [1].", ["1889"])
    assert not contains_answer("It opened in 18890.", ["1889"])  # whole tokens only
    assert contains_answer("Built by the Denver Broncos.", ["Denver Broncos", "Broncos"])
    assert token_f1("the Denver Broncos won", ["Denver Broncos"]) == pytest.approx(
        2 * (2 / 3) * 1 / (2 / 3 + 1)
    )
    assert token_f1("nothing here", ["Broncos"]) == 0.0
