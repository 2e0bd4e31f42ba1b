"""Answer evaluation on QA sets: ask every question end to end through `AnswerService`.

Layouts (see ../shared/eval/README.md):
  xquad_en      docs/*.md + qa.jsonl {"question", "answers", "doc"}
  financebench  pdfs/*.pdf + questions.jsonl {"question", "answer", "doc_name", "evidence": [{"doc_name",
                "evidence_page_num" (0-based)}]}; our pages are 1-based.

Unanswerable questions come in two constructions, reported side by side:
  held_out   every third document (in name order) is left out of a second index, and the questions about
             those documents are asked against it. On XQuAD that is another topic; on FinanceBench it is
             another company's 10-K question against these 10-Ks.
  in_domain  the topic stays and only the answer goes: the question is asked against the full index with the
             passages that hold its answer masked out of retrieval (XQuAD: every chunk containing a gold
             answer; FinanceBench: the chunks on its evidence pages). The index statistics (BM25 idf, the
             document prior) still include the masked chunks; retrieval never returns them.
A good system refuses both and answers the rest. Every record carries the answerability features
(rag/answerability.py) so `benchmarks/answerability_fit.py` can fit and replay the refusal score.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rag import answerability_profile
from rag.errors import ConfigError
from rag.eval.metrics import contains_answer, normalize_answer, percentile, token_f1
from rag.eval.numeric import gold_numbers, states_numbers
from rag.service import AnswerService
from rag.settings import Settings
from rag.types import Answer, Chunk, Hit

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
    gold_numbers: set[float] = field(default_factory=set)  # gold-answer numbers printed on an evidence page


@dataclass
class QASet:
    name: str
    files: list[Path]
    questions: list[Question]
    index_all: bool  # index every document (cheap), or only those the asked questions need


def load(folder: Path) -> QASet:
    folder = folder.resolve()
    if (folder / "qa.jsonl").is_file() and (folder / "docs").is_dir():
        qs = [
            Question(str(r["id"]), r["question"], list(r["answers"]), Path(r["doc"]).name)
            for r in read_jsonl(folder / "qa.jsonl")
        ]
        files = sorted((folder / "docs").glob("*.md"))
        # spread a --limit sample over all articles (the file is grouped by article)
        random.Random(0).shuffle(qs)
        return QASet(folder.name, files, qs, index_all=True)
    if (folder / "questions.jsonl").is_file() and (folder / "pdfs").is_dir():
        files = sorted((folder / "pdfs").glob("*.pdf"))
        pages = {f.name: f.stat().st_size for f in files}
        qs = [
            Question(
                r["financebench_id"],
                r["question"],
                [r["answer"]],
                f"{r['doc_name']}.pdf",
                {(f"{e['doc_name']}.pdf", int(e["evidence_page_num"]) + 1) for e in r.get("evidence", [])},
                gold_numbers(r["answer"], [e.get("evidence_text", "") for e in r.get("evidence", [])]),
            )
            for r in read_jsonl(folder / "questions.jsonl")
        ]
        # smallest documents first, so --limit N indexes as little as possible
        qs.sort(key=lambda q: (pages.get(q.doc, 1 << 40), q.doc, q.id))
        return QASet(folder.name, files, qs, index_all=False)
    raise ConfigError(
        f"{folder} is neither an xquad_en layout (docs/ + qa.jsonl) nor a financebench "
        "layout (pdfs/ + questions.jsonl)"
    )


def held_out(files: list[Path]) -> set[str]:
    return {f.name for i, f in enumerate(sorted(files)) if i % 3 == 2}


MASK_DEPTH = 40  # extra hits fetched so that k remain after masking


class MaskedService(AnswerService):
    """The app's service whose retrieval never returns the chunks `mask` flags (set per question): the
    question's answer is gone from what the answerer can see, its topic stays."""

    mask: Callable[[Chunk], bool] | None = None

    def retrieve(
        self, query: str, k: int | None = None, doc_ids=None, method: str | None = None
    ) -> list[Hit]:
        if self.mask is None:
            return super().retrieve(query, k, doc_ids, method)
        k = k or self.settings.top_k
        hits = super().retrieve(query, k + MASK_DEPTH, doc_ids, method)
        return [h for h in hits if not self.mask(h.chunk)][:k]


def answer_mask(q: Question) -> Callable[[Chunk], bool]:
    """Chunks that hold the question's answer: those on an evidence page, else those containing a
    gold answer."""
    if q.evidence:
        return lambda c: (Path(c.source).name, c.page) in q.evidence
    golds = [f" {g} " for g in map(normalize_answer, q.answers) if g]
    return lambda c: any(g in f" {normalize_answer(c.text)} " for g in golds)


def in_domain(qa: QASet, asked: list[Question], hold: set[str]) -> list[Question]:
    """Questions asked again with their answer masked: FinanceBench every asked question with evidence pages;
    XQuAD-style a third of them (by id hash) about documents that stay in the index."""
    if any(q.evidence for q in asked):
        return [q for q in asked if q.evidence]
    return [
        q for q in asked if q.doc not in hold and int(hashlib.sha1(q.id.encode()).hexdigest(), 16) % 3 == 0
    ]


def _index(
    settings: Settings,
    qa: QASet,
    files: list[Path],
    cache: Path,
    log: Log,
    cls: type[AnswerService] = AnswerService,
) -> AnswerService:
    corpus = fingerprint(files, [f.name for f in files])
    index, _ = cached_index(settings, cache, f"qa/{qa.name}", corpus, files, log)
    return cls(index.settings, index)


def _strip(text: str) -> str:
    return _MARKS.sub("", text)


def score(q: Question, ans: Answer, seconds: float, answerable: bool, construction: str = "") -> dict:
    rec = {
        "id": q.id,
        "answerable": answerable,
        "construction": construction or ("answerable" if answerable else "held_out"),
        "refused": ans.refused,
        "seconds": seconds,
        "evidence": ans.timings.get("evidence", 0.0),
    }
    rec.update({k: v for k, v in ans.timings.items() if k.startswith("answerability")})
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
        rec["page_hit"] = any(
            (Path(h.chunk.source).name, h.chunk.page) in q.evidence for h in ans.sources[:5]
        )
    if q.gold_numbers:
        rec["numeric"] = states_numbers(text, q.gold_numbers)
    return rec


def summarize(name: str, records: list[dict]) -> dict:
    ok = [r for r in records if r["answerable"]]
    no = [r for r in records if r.get("construction", "held_out") == "held_out"]
    dom = [r for r in records if r.get("construction") == "in_domain"]
    nums = [r for r in ok if "numeric" in r]
    cites = sum(r["citations"] for r in ok)
    paged = [r for r in ok if "page_hit" in r]

    def mean(xs):
        return round(sum(xs) / len(xs), 4) if xs else None

    return {
        "dataset": name,
        "questions": len(ok),
        "containment": mean([r["contained"] for r in ok]),
        "f1": mean([r["f1"] for r in ok]),
        "citation_precision": round(sum(r["good_citations"] for r in ok) / cites, 4) if cites else None,
        "page_hit@5": mean([r["page_hit"] for r in paged]),
        "numeric": mean([r["numeric"] for r in nums]),
        "numeric_questions": len(nums),
        "refusal_rate": mean([r["refused"] for r in no]),
        "refusal_in_domain": mean([r["refused"] for r in dom]),
        "false_refusal_rate": mean([r["refused"] for r in ok]),
        "unanswerable": {"held_out": len(no), "in_domain": len(dom)},
        "p50_s": round(percentile([r["seconds"] for r in records], 50), 4) if records else None,
    }


def _assess(service: AnswerService) -> Callable[[str, list[Hit]], dict]:
    """Answerability features for a record: the service's own (in `Answer.timings`) when it computes them,
    else computed here the same way, against the service's library and its profile."""
    state: dict = {}

    def features(question: str, hits: list[Hit]) -> dict:
        if "a" not in state:
            state["a"] = answerability_profile.for_service(service)
        return state["a"].assess(question, hits).timings()

    return features


def ask_all(
    settings: Settings,
    qa: QASet,
    generator: str | None,
    limit: int | None,
    cache: Path,
    log: Log = lambda m: None,
    constructions: tuple[str, ...] = ("held_out", "in_domain"),
) -> list[dict]:
    """One record per asked question: answerable ones against the corpus that holds their document,
    unanswerable ones against the corpus without their document (held_out) or with their answer masked
    (in_domain)."""
    asked = qa.questions[:limit] if limit else qa.questions
    names = {f.name: f for f in qa.files}
    missing = sorted({q.doc for q in asked} - set(names))
    if missing:
        raise ConfigError(f"questions refer to documents not in the dataset: {', '.join(missing[:3])}")
    corpus = qa.files if qa.index_all else [names[d] for d in sorted({q.doc for q in asked})]
    hold = held_out(qa.files)
    unanswerable = [q for q in qa.questions if q.doc in hold][: limit or None]
    refusal_corpus = [f for f in corpus if f.name not in hold]
    main = _index(settings, qa, corpus, cache, log, MaskedService)
    jobs = [(main, asked, "answerable")]
    if "held_out" in constructions and unanswerable and refusal_corpus:
        jobs.append((_index(settings, qa, refusal_corpus, cache, log), unanswerable, "held_out"))
    if "in_domain" in constructions:
        jobs.append((main, in_domain(qa, asked, hold), "in_domain"))
    records = []
    for service, questions, kind in jobs:
        if not questions:
            continue
        service.retrieve(questions[0].text)  # load models and the BM25 index before timing
        assess = _assess(service)
        for i, q in enumerate(questions, 1):
            if isinstance(service, MaskedService):
                service.mask = answer_mask(q) if kind == "in_domain" else None
            t = time.perf_counter()
            ans = service.answer(q.text, generator=generator).collect()
            seconds = time.perf_counter() - t
            if "answerability" not in ans.timings:
                ans.timings.update(assess(q.text, ans.sources))
            records.append(score(q, ans, seconds, kind == "answerable", kind))
            if i % 100 == 0:
                log(f"{kind}: {i}/{len(questions)}")
    return records


def evaluate(
    folder: Path,
    settings: Settings,
    generator: str | None = None,
    limit: int | None = None,
    cache: Path = DEFAULT_CACHE,
    log: Log = lambda m: None,
) -> dict:
    qa = load(folder)
    return summarize(qa.name, ask_all(settings, qa, generator, limit, cache, log))
