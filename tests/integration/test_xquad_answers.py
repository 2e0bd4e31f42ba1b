"""End to end on real Wikipedia articles (XQuAD-en): answers contain the gold answer, citations point at
the right document, and questions about articles that were NOT indexed are refused."""

from __future__ import annotations

import json
import shutil

import pytest

from rag import Settings
from rag.index import Index
from rag.service import AnswerService

pytestmark = pytest.mark.slow
INDEXED = ["Amazon_rainforest", "Apollo_program", "Black_Death", "Nikola_Tesla", "Oxygen", "Warsaw"]
ABSENT = ["Super_Bowl_50", "Doctor_Who", "Genghis_Khan", "Kenya", "Prime_number"]


@pytest.fixture(scope="module")
def xquad(shared_eval, tmp_path_factory, embedder):
    from ingest import Ingestor

    root = tmp_path_factory.mktemp("xquad")
    docs = root / "docs"
    docs.mkdir()
    for name in INDEXED:
        shutil.copy(shared_eval / "xquad_en" / "docs" / f"{name}.md", docs)
    settings = Settings(data_dir=root / "data", _env_file=None)
    index = Index(settings, embedder=embedder)
    assert not Ingestor(index).ingest([docs]).failed
    qa = [json.loads(line) for line in (shared_eval / "xquad_en" / "qa.jsonl").read_text().splitlines()]
    return AnswerService(settings, index), qa


def _pick(qa, articles, per_article):
    out = []
    for a in articles:
        out += [q for q in qa if q["doc"] == f"docs/{a}.md"][:per_article]
    return out


def test_answers_contain_gold_and_cite_the_right_document(xquad):
    service, qa = xquad
    questions = _pick(qa, INDEXED, 8)
    contained = right_doc = answered = 0
    for q in questions:
        a = service.ask(q["question"])
        if a.refused:
            continue
        answered += 1
        contained += any(g.lower() in a.text.lower() for g in q["answers"])
        title = q["doc"].removeprefix("docs/").removesuffix(".md").replace("_", " ")
        right_doc += bool(a.citations) and all(c.chunk.title == title for c in a.citations)
    n = len(questions)
    assert answered / n >= 0.9, f"refused {n - answered} of {n} answerable questions"
    assert contained / n >= 0.65, f"gold answer in {contained}/{n} answers"
    assert right_doc / answered >= 0.95, f"right document cited in {right_doc}/{answered} answers"


def test_questions_about_articles_not_indexed_are_refused(xquad):
    service, qa = xquad
    questions = _pick(qa, ABSENT, 4)
    refused = sum(service.ask(q["question"]).refused for q in questions)
    assert refused / len(questions) >= 0.8, f"refused only {refused}/{len(questions)} unanswerable questions"
