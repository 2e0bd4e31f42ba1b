"""Answer evaluation on QA sets: ask every question end to end through `AnswerService`.

Layouts (see ../shared/eval/README.md):
  xquad_en      docs/*.md + qa.jsonl {"question", "answers", "doc"}
  financebench  pdfs/*.pdf + questions.jsonl {"question", "answer", "doc_name", "evidence": [{"doc_name",
                "evidence_page_num" (0-based)}]}; our pages are 1-based.

Unanswerable questions are built honestly: every third document (in name order) is held out of a second
index, and the questions about held-out documents are asked against it. A good system refuses them.
"""
from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import ConfigError
from rag.eval.metrics import contains_answer, percentile, token_f1
from rag.service import AnswerService
from rag.settings import Settings
from rag.types import Answer

from . import DEFAULT_CACHE
from .beir import read_jsonl
from .cache import Log, cached_index, fingerprint

_MARKS = re.compile(r"\s*\[\d+\]")


@dataclass
class Question:
    id: str
    text: str
    answers: list[str]
    doc: str  # file name of the document that answers it
    evidence: set[tuple[str, int]] = field(default_factory=set)  # (file name, 1-based page)


@dataclass
class QASet:
    name: str
    files: list[Path]
    questions: list[Question]
    index_all: bool  # index every document (cheap), or only those the asked questions need


def load(folder: Path) -> QASet:
    folder = folder.resolve()
    if (folder / "qa.jsonl").is_file() and (folder / "docs").is_dir():
        qs = [Question(str(r["id"]), r["question"], list(r["answers"]), Path(r["doc"]).name)
              for r in read_jsonl(folder / "qa.jsonl")]
        files = sorted((folder / "docs").glob("*.md"))
        # spread a --limit sample over all articles (the file is grouped by article)
        random.Random(0).shuffle(qs)
        return QASet(folder.name, files, qs, index_all=True)
    if (folder / "questions.jsonl").is_file() and (folder / "pdfs").is_dir():
        files = sorted((folder / "pdfs").glob("*.pdf"))
        pages = {f.name: f.stat().st_size for f in files}
        qs = [Question(r["financebench_id"], r["question"], [r["answer"]], f"{r['doc_name']}.pdf",
                       {(f"{e['doc_name']}.pdf", int(e["evidence_page_num"]) + 1) for e in r.get("evidence", [])})
              for r in read_jsonl(folder / "questions.jsonl")]
        # smallest documents first, so --limit N indexes as little as possible
        qs.sort(key=lambda q: (pages.get(q.doc, 1 << 40), q.doc, q.id))
        return QASet(folder.name, files, qs, index_all=False)
    raise ConfigError(f"{folder} is neither an xquad_en layout (docs/ + qa.jsonl) nor a financebench "
                      "layout (pdfs/ + questions.jsonl)")


def held_out(files: list[Path]) -> set[str]:
    return {f.name for i, f in enumerate(sorted(files)) if i % 3 == 2}


def _index(settings: Settings, qa: QASet, files: list[Path], cache: Path, log: Log) -> AnswerService:
    corpus = fingerprint(files, [f.name for f in files])
    index, _ = cached_index(settings, cache, f"qa/{qa.name}", corpus, files, log)
    return AnswerService(index.settings, index)


def _strip(text: str) -> str:
    return _MARKS.sub("", text)


def score(q: Question, ans: Answer, seconds: float, answerable: bool) -> dict:
    rec = {"id": q.id, "answerable": answerable, "refused": ans.refused, "seconds": seconds,
           "evidence": ans.timings.get("evidence", 0.0)}
    if not answerable:
        return rec
    text = "" if ans.refused else _strip(ans.text)
    rec["contained"] = contains_answer(text, q.answers)
    rec["f1"] = token_f1(text, q.answers) if text else 0.0
    good = 0
    for c in ans.citations:
        name = Path(c.chunk.source).name
        if q.evidence:
            good += (name, c.chunk.page) in q.evidence
        else:
            good += name == q.doc and contains_answer(c.chunk.text, q.answers)
    rec["citations"], rec["good_citations"] = len(ans.citations), good
    if q.evidence:
        rec["page_hit"] = any((Path(h.chunk.source).name, h.chunk.page) in q.evidence for h in ans.sources[:5])
    return rec


def summarize(name: str, records: list[dict]) -> dict:
    ok = [r for r in records if r["answerable"]]
    no = [r for r in records if not r["answerable"]]
    cites = sum(r["citations"] for r in ok)
    paged = [r for r in ok if "page_hit" in r]

    def mean(xs):
        return round(sum(xs) / len(xs), 4) if xs else None

    return {
        "dataset": name, "questions": len(ok),
        "containment": mean([r["contained"] for r in ok]), "f1": mean([r["f1"] for r in ok]),
        "citation_precision": round(sum(r["good_citations"] for r in ok) / cites, 4) if cites else None,
        "page_hit@5": mean([r["page_hit"] for r in paged]),
        "refusal_rate": mean([r["refused"] for r in no]),
        "false_refusal_rate": mean([r["refused"] for r in ok]),
        "p50_s": round(percentile([r["seconds"] for r in records], 50), 4) if records else None,
    }


def ask_all(settings: Settings, qa: QASet, generator: str | None, limit: int | None, cache: Path,
            log: Log = lambda m: None) -> list[dict]:
    """One record per asked question: answerable ones against the corpus that holds their document,
    unanswerable ones (held-out documents) against the corpus without them."""
    asked = qa.questions[:limit] if limit else qa.questions
    names = {f.name: f for f in qa.files}
    missing = sorted({q.doc for q in asked} - set(names))
    if missing:
        raise ConfigError(f"questions refer to documents not in the dataset: {', '.join(missing[:3])}")
    corpus = qa.files if qa.index_all else [names[d] for d in sorted({q.doc for q in asked})]
    hold = held_out(qa.files)
    unanswerable = [q for q in qa.questions if q.doc in hold][: limit or None]
    refusal_corpus = [f for f in corpus if f.name not in hold]
    jobs = [(_index(settings, qa, corpus, cache, log), asked, True)]
    if unanswerable and refusal_corpus:
        jobs.append((_index(settings, qa, refusal_corpus, cache, log), unanswerable, False))
    records = []
    for service, questions, answerable in jobs:
        service.retrieve(questions[0].text)  # load models and the BM25 index before timing
        for i, q in enumerate(questions, 1):
            t = time.perf_counter()
            ans = service.answer(q.text, generator=generator).collect()
            records.append(score(q, ans, time.perf_counter() - t, answerable))
            if i % 100 == 0:
                log(f"{'answerable' if answerable else 'unanswerable'}: {i}/{len(questions)}")
    return records


def evaluate(folder: Path, settings: Settings, generator: str | None = None, limit: int | None = None,
             cache: Path = DEFAULT_CACHE, log: Log = lambda m: None) -> dict:
    qa = load(folder)
    return summarize(qa.name, ask_all(settings, qa, generator, limit, cache, log))
