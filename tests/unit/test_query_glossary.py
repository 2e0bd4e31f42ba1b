"""Query expansion from the finance glossary (rag/retrieval/glossary.py): a metric's name finds the statement
that prints its line items, and a question naming no metric is searched exactly as typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakelib import fake_library

from rag import Settings
from rag.index import Index
from rag.retrieval.glossary import expand
from rag.service import AnswerService

DOCS = {
    # talks around margins without printing them
    "letter.md": "# Letter to shareholders\n\nWe expect our margin to improve in 2023 as gross pricing "
    "actions take hold and the margin outlook for the year stays positive.",
    # prints the line items gross margin is computed from, never the words "gross margin"
    "statements.md": "# Consolidated statements of income\n\nNet sales 14,694 in 2023 and 13,911 in 2022. "
    "Cost of sales 11,969 in 2023 and 11,304 in 2022. Gross profit 2,725 in 2023 and 2,607 in 2022.",
    "bridge.md": "# Zorblat Bridge\n\nThe Zorblat footbridge was opened in 1923 by mayor Ilse Varnhagen.",
}
QUESTION = "Did the gross margin improve in 2023?"


@pytest.mark.parametrize(
    "question, added",
    [
        ("Does AMCOR have an improving gross margin profile as of FY2023?", "gross profit cost of sales"),
        ("What was the GROSS MARGINS trend?", "gross profit"),
        ("Has the quick ratio improved?", "total current liabilities"),
        ("Is 3M a capital-intensive business?", "capital expenditures"),
        ("What was the largest liability in the Balance Sheet?", "consolidated balance sheets"),
    ],
)
def test_a_named_metric_brings_in_its_line_items(question, added):
    expanded = expand(question, "finance")
    assert expanded.startswith(question + " ") and added in expanded


@pytest.mark.parametrize(
    "question",
    [
        "Who opened the Zorblat footbridge?",
        "In what year did ENR compile data in nine market segments?",  # "segment" alone is too generic
        "What is the cross-margin of the ebitdarium?",  # only whole words match
    ],
)
def test_a_question_naming_no_metric_is_unchanged(question):
    assert expand(question, "finance") == question


def test_off_never_expands():
    assert expand("What was the gross margin?", "off") == "What was the gross margin?"


def test_unknown_glossary_is_rejected_by_settings(tmp_path):
    with pytest.raises(ValueError):
        Settings(data_dir=tmp_path, _env_file=None, query_glossary="medicine")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return fake_library(tmp_path_factory.mktemp("glossary"), DOCS)


@pytest.mark.parametrize("method", ["bm25", "hybrid"])
def test_the_glossary_finds_the_statement_the_question_never_names(index, method):
    def top(glossary: str) -> str:
        s = index.settings.model_copy(update={"query_glossary": glossary})
        service = AnswerService(s, Index(s, backend=index.backend, embedder=index.embedder))
        return Path(service.retrieve(QUESTION, 3, method=method)[0].chunk.source).name

    assert top("off") == "letter.md"  # the words of the question are on the letter
    assert top("finance") == "statements.md"


def test_the_answer_says_what_the_glossary_added(index):
    def notes(question: str, glossary: str = "finance") -> list[str]:
        s = index.settings.model_copy(update={"query_glossary": glossary})
        return AnswerService(s, Index(s, backend=index.backend, embedder=index.embedder)).ask(question).notes

    added = [n for n in notes(QUESTION) if n.startswith("also searched")]
    assert added == [
        'also searched for the line items of "gross margin": gross profit, cost of sales, net sales, revenue'
    ]
    assert not any(n.startswith("also searched") for n in notes(QUESTION, "off"))
    assert not any(n.startswith("also searched") for n in notes("Who opened the Zorblat footbridge?"))


def test_the_document_prior_judges_the_question_by_its_own_words(index, monkeypatch):
    """The glossary's line items are in every filing: the prior that picks the document must not see them."""
    from rag.retrieval.sources import SearchSources

    seen = {}
    original = SearchSources.lexical_and_doc_scores

    def spy(self, query, *args, **kw):
        seen.update(query=query, about=kw.get("about"))
        return original(self, query, *args, **kw)

    monkeypatch.setattr(SearchSources, "lexical_and_doc_scores", spy)
    AnswerService(index.settings, index).retrieve(QUESTION, 3, method="hybrid")
    assert seen["about"] == QUESTION
    assert seen["query"].startswith(QUESTION + " ") and "cost of sales" in seen["query"]


def test_document_scores_come_from_the_about_text(index):
    sources = AnswerService(index.settings, index).sources
    bm25, _ = sources.bm25(fresh=True)
    _, scores = sources.lexical_and_doc_scores("gross profit cost of sales", 3, about="Zorblat footbridge")
    assert scores == bm25.doc_scores("Zorblat footbridge") != bm25.doc_scores("gross profit cost of sales")
