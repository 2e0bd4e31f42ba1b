"""Page-level ranking and question cleaning (rag/retrieval/pages.py, rag/retrieval/questions.py)."""

from __future__ import annotations

import pytest

from rag.retrieval.pages import rank_pages
from rag.retrieval.questions import clean_question
from rag.types import Chunk, Hit


def _hit(cid: str, score: float, page: int = 1, doc: str = "d", doc_type: str = "pdf") -> Hit:
    return Hit(
        Chunk(
            id=cid,
            doc_id=doc,
            text=f"text {cid}",
            source=f"{doc}.pdf",
            title="",
            page=page,
            start=0,
            end=1,
            doc_type=doc_type,
        ),
        score,
    )


def test_top_k_are_distinct_pages_each_led_by_its_best_chunk():
    hits = [_hit("a", 0.9, 1), _hit("b", 0.85, 1), _hit("c", 0.8, 2), _hit("d", 0.7, 3)]
    ranked = rank_pages(hits, 0.0)
    assert [h.chunk.id for h in ranked] == ["a", "c", "d", "b"]


def test_a_page_with_several_matching_chunks_beats_one_lucky_chunk():
    hits = [_hit("lucky", 0.9, 7), _hit("p2a", 0.8, 2), _hit("p2b", 0.75, 2), _hit("p2c", 0.7, 2)]
    assert rank_pages([Hit(h.chunk, h.score) for h in hits], 0.0)[0].chunk.id == "lucky"
    ranked = rank_pages(hits, 0.3)
    assert ranked[0].chunk.id == "p2a"
    assert ranked[0].score == pytest.approx(0.8 + 0.3 * (0.75 + 0.7))


def test_same_page_number_in_two_documents_is_two_pages():
    hits = [_hit("a", 0.9, 4, doc="x"), _hit("b", 0.8, 4, doc="y")]
    assert [h.chunk.id for h in rank_pages(hits, 0.5)] == ["a", "b"]


def test_non_paged_documents_rank_exactly_as_before():
    hits = [
        _hit("a", 0.9, doc_type="markdown"),
        _hit("b", 0.8, doc_type="markdown"),
        _hit("c", 0.7, doc_type="text"),
    ]
    ranked = rank_pages(hits, 0.5)
    assert [(h.chunk.id, h.score) for h in ranked] == [("a", 0.9), ("b", 0.8), ("c", 0.7)]


def test_answer_format_instructions_are_dropped():
    q = (
        "Does AMCOR have an improving gross margin profile as of FY2023? If gross margin is not a useful "
        "metric for a company like this, then state that and explain why."
    )
    assert clean_question(q) == "Does AMCOR have an improving gross margin profile as of FY2023?"
    q = "What is the FY2022 capex for PepsiCo? Answer in USD millions."
    assert clean_question(q) == "What is the FY2022 capex for PepsiCo?"
    q = "Calculate inventory turnover for FY2022; if it is not meaningful for the company then state that."
    assert clean_question(q) == "Calculate inventory turnover for FY2022."


def test_where_to_look_keeps_the_place_but_not_the_instruction():
    q = (
        "What is the FY2022 EBITDA margin for PepsiCo? Give a response to the question by relying on the "
        "details shown in the statement of cash flows and the P&L statement."
    )
    assert clean_question(q) == (
        "What is the FY2022 EBITDA margin for PepsiCo? statement of cash flows and the P&L statement"
    )


@pytest.mark.parametrize(
    "q",
    [
        "0-dimensional biomaterials show inductive properties.",
        "The Normans conquered England in 1066. Who led them?",
        "If the treaty was signed in 1648, who signed it?",
        "Respond",
    ],
)
def test_questions_without_instructions_are_left_alone(q):
    assert clean_question(q) == q
