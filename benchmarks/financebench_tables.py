"""Same-run FinanceBench evidence-page hit@5 with PDF tables off vs on (hybrid default, OCR off), over
a subset of the slice's PDFs, scored as `rag eval answers` scores it (answer sources, top 5).

    .venv/bin/python benchmarks/financebench_tables.py DOC[,DOC...] [base,tables] [CACHE]

Vectors are memoized under CACHE/embeddings (default ~/.cache/docqa-eval), so chunks the two variants
share are embedded once. Indexes go to CACHE/tables-bench/<variant>-<n docs>.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.eval.cache import MemoEmbedder, memo_path  # noqa: E402
from ingest import Ingestor  # noqa: E402
from rag import Settings  # noqa: E402
from rag.embedders import create_embedder  # noqa: E402
from rag.index import Index  # noqa: E402
from rag.service import AnswerService  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "financebench"
docs = sys.argv[1].split(",")
variants = (sys.argv[2] if len(sys.argv) > 2 else "base,tables").split(",")
cache = Path(sys.argv[3]) if len(sys.argv) > 3 else Path("~/.cache/docqa-eval").expanduser()
out = {}
qs = [json.loads(line) for line in open(ROOT / "questions.jsonl")]
qs = [q for q in qs if q["doc_name"] in docs]
files = [ROOT / "pdfs" / f"{d}.pdf" for d in docs]
for variant in variants:
    s = Settings(
        data_dir=cache / "tables-bench" / f"{variant}-{len(docs)}",
        chroma_host=None,
        pdf_tables=(variant == "tables"),
        ocr=False,
    )
    index = Index(s, embedder=MemoEmbedder(create_embedder(s), memo_path(cache, s)))
    t = time.time()
    rep = Ingestor(index).ingest(files).summary()
    svc = AnswerService(s, index)
    hits, per = 0, []
    for r in qs:
        ev = {(f"{e['doc_name']}.pdf", int(e["evidence_page_num"]) + 1) for e in r["evidence"]}
        ans = svc.answer(r["question"]).collect()
        top = [(Path(h.chunk.source).name, h.chunk.page) for h in ans.sources[:5]]
        hits += any(x in ev for x in top)
        per.append({"id": r["financebench_id"], "hit": any(x in ev for x in top), "top": top})
    out[variant] = {
        "page_hit@5": round(hits / len(qs), 4),
        "hits": hits,
        "questions": len(qs),
        "chunks": rep["chunks"],
        "pages": rep["pages"],
        "seconds": round(time.time() - t),
    }
    print(variant, json.dumps(out[variant]), flush=True)
    (cache / "tables-bench" / f"{variant}-{len(docs)}.json").write_text(json.dumps(per, indent=1))
