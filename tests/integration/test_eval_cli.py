"""`rag eval retrieval` and `rag eval answers` end to end, as a user runs them, on small slices."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def rag_eval(args: list[str], cwd: Path, cache: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}  # the defaults, not a dev's .env
    env["RAG_EVAL_CACHE"] = str(cache)
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "eval", *args, "--json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("eval-cache")


def scifact_slice(src: Path, dst: Path, n_queries: int = 40, n_docs: int = 200) -> Path:
    """A BEIR folder with the first judged queries, their relevant abstracts and unrelated filler."""
    qrels_lines = (src / "qrels" / "test.tsv").read_text().splitlines()
    qrels = [line.split("\t") for line in qrels_lines[1:] if line.strip()]
    qids = list(dict.fromkeys(q for q, _, _ in qrels))[:n_queries]
    keep_q = [r for r in qrels if r[0] in qids]
    relevant = {d for _, d, _ in keep_q}
    corpus = [json.loads(x) for x in (src / "corpus.jsonl").read_text().splitlines() if x.strip()]
    docs = [d for d in corpus if d["_id"] in relevant]
    docs += [d for d in corpus if d["_id"] not in relevant][: n_docs - len(docs)]
    (dst / "qrels").mkdir(parents=True)
    (dst / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    queries = [json.loads(x) for x in (src / "queries.jsonl").read_text().splitlines() if x.strip()]
    (dst / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries if q["_id"] in qids))
    (dst / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join("\t".join(r) + "\n" for r in keep_q)
    )
    return dst


def test_eval_retrieval_scores_every_method_on_a_scifact_slice(shared_eval, tmp_path, cache):
    data = scifact_slice(shared_eval / "scifact", tmp_path / "scifact-slice")
    out = rag_eval(["retrieval", str(data)], tmp_path, cache)
    assert out["dataset"] == "scifact-slice" and out["queries"] == 40
    assert out["default"] == "hybrid"
    assert set(out["methods"]) == {"bm25", "dense", "hybrid"}
    for name, m in out["methods"].items():
        assert set(m) == {"ndcg@10", "recall@10", "recall@100", "mrr@10", "p50_ms"}, name
        assert 0.4 < m["ndcg@10"] <= 1 and m["recall@10"] <= m["recall@100"] <= 1, (name, m)
        assert m["mrr@10"] >= m["ndcg@10"] - 0.2 and m["p50_ms"] > 0, (name, m)
    # 200 abstracts hold every relevant one: the fused ranking finds nearly all within 100
    assert out["methods"]["hybrid"]["recall@100"] > 0.9
    again = rag_eval(["retrieval", str(data), "--methods", "bm25"], tmp_path, cache)  # cached index
    assert again["methods"]["bm25"]["ndcg@10"] == out["methods"]["bm25"]["ndcg@10"]


def test_eval_answers_on_twenty_xquad_questions(shared_eval, tmp_path, cache):
    out = rag_eval(["answers", str(shared_eval / "xquad_en"), "--limit", "20"], tmp_path, cache)
    assert set(out) == {
        "dataset",
        "questions",
        "containment",
        "f1",
        "citation_precision",
        "page_hit@5",
        "refusal_rate",
        "false_refusal_rate",
        "p50_s",
        "unanswerable",
        "refusal_in_domain",
        "numeric",
        "numeric_questions",
    }
    assert out["dataset"] == "xquad_en" and out["questions"] == 20
    assert out["page_hit@5"] is None  # no pages in Markdown
    assert out["containment"] >= 0.6 and 0 < out["f1"] <= 1
    assert out["citation_precision"] >= 0.7
    assert out["refusal_rate"] >= 0.6 and out["false_refusal_rate"] <= 0.2
    assert 0 < out["p50_s"] < 10


def test_eval_rejects_a_folder_in_no_known_layout(tmp_path, cache):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "eval", "retrieval", str(tmp_path), "--json"],
        cwd=tmp_path,
        env=env | {"RAG_EVAL_CACHE": str(cache)},
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0 and "BEIR-layout" in proc.stderr
