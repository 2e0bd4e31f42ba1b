"""Same-run FinanceBench evidence-page hit@5 per `RAG_PDF_TABLES` mode (hybrid default, OCR off), over
the slice's PDFs (`all`) or a subset, scored as `rag eval answers` scores it (answer sources, top 5).

    .venv/bin/python benchmarks/financebench_tables.py all|DOC[,...] [off,replace,add,summary] [CACHE] [MEMO]

Each mode also reports its chunks and the PDF loader's CPU seconds per page on the same files (parse
only, one pass, before the index is built).

Vectors are memoized under CACHE/embeddings (default ~/.cache/docqa-eval), or in the MEMO file, one for
every mode of the run (the default memo's name follows code and model files, which other work may change
mid-run), so chunks the modes share are embedded once. Indexes go to CACHE/tables-bench/<variant>-<n docs>.
"""

import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.eval.cache import MemoEmbedder, memo_path  # noqa: E402
from ingest import Ingestor  # noqa: E402
from ingest.loaders import ParseOptions, loader_for  # noqa: E402
from rag import Settings  # noqa: E402
from rag.embedders import create_embedder  # noqa: E402
from rag.index import Index  # noqa: E402
from rag.service import AnswerService  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "financebench"
docs = sys.argv[1].split(",")
if docs == ["all"]:
    docs = sorted(p.stem for p in (ROOT / "pdfs").glob("*.pdf"))
variants = (sys.argv[2] if len(sys.argv) > 2 else "off,replace,add,summary").split(",")
cache = Path(sys.argv[3]) if len(sys.argv) > 3 else Path("~/.cache/docqa-eval").expanduser()
out = {}
qs = [json.loads(line) for line in open(ROOT / "questions.jsonl")]
qs = [q for q in qs if q["doc_name"] in docs]
files = [ROOT / "pdfs" / f"{d}.pdf" for d in docs]
for variant in variants:
    s = Settings(
        data_dir=cache / "tables-bench" / f"{variant}-{len(docs)}",
        chroma_host=None,
        pdf_tables=variant,
        ocr=False,
    )
    shutil.rmtree(s.data_dir, ignore_errors=True)  # a fresh index: the parser code may have changed
    loader, cpu, npages = loader_for(files[0]), time.process_time(), 0
    loader.options = ParseOptions(tables=s.pdf_tables, ocr=False)
    for f in files:
        npages += len(loader.load(f, s.max_pages).pages)
    cpu = time.process_time() - cpu
    memo = Path(sys.argv[4]) if len(sys.argv) > 4 else memo_path(cache, s)
    index = Index(s, embedder=MemoEmbedder(create_embedder(s), memo))
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
        "parse_cpu_pages_per_s": round(npages / cpu, 1),
        "seconds": round(time.time() - t),
    }
    print(variant, json.dumps(out[variant]), flush=True)
    (cache / "tables-bench" / f"{variant}-{len(docs)}.json").write_text(json.dumps(per, indent=1))
