"""Claims must match their source (issue 12 item 4): a figure keeps its label, key terms must be there."""

from rag import citations
from rag.claims import Claim, cited_sentences, figures_not_in_span, numbers, unsupported
from rag.text import Idf
from rag.types import Chunk, Hit

QUESTION = "What was Amcor's adjusted EBITDA for fiscal year 2023?"
FCF = (
    "Amcor delivered strong cash generation in the year. Adjusted Free Cash Flow for fiscal 2023 was "
    "$848 million, in line with expectations."
)
EBITDA = (
    "Reconciliation of non-GAAP measures\n"
    "Net income | Twelve Months Ended June 30, 2023 | $ million | 1,058\n"
    "Adjusted EBITDA | Twelve Months Ended June 30, 2023 | $ million | 2,018"
)
WRONG = "The adjusted EBITDA for fiscal year 2023 was $848 million. [1]"


def _hit(n: int, text: str, page: int) -> Hit:
    return Hit(
        Chunk(
            id=f"c{n}",
            doc_id="amcor",
            text=text,
            source="/docs/AMCOR_2023_10K.pdf",
            title="AMCOR_2023_10K",
            page=page,
            start=0,
            end=len(text),
            doc_type="pdf",
        ),
        1.0,
        dense=0.7,
    )


HITS = [_hit(1, FCF, 44), _hit(2, EBITDA, 61)]


def _idf(*texts: str) -> Idf:
    from rag.text import terms

    return Idf([terms(t) for t in texts])


def test_figures_are_normalised():
    assert [v for v, _, _ in numbers("$2,018 million, 4.50%, 007 and FY2023")] == ["2018", "4.5", "7", "2023"]


def test_a_figure_moved_to_another_label_is_not_supported():
    claim = Claim.of("The adjusted EBITDA for fiscal year 2023 was $848 million.", QUESTION)
    assert claim.key == {"adjust", "ebitda"}
    why = unsupported(
        claim,
        "Adjusted Free Cash Flow for fiscal 2023 was $848 million, in line with expectations.",
        None,
        _idf(FCF, EBITDA),
    )
    assert why and "ebitda" in why


def test_a_figure_in_the_wrong_clause_of_the_same_sentence_is_not_supported():
    span = "Adjusted Free Cash Flow was $848 million, and adjusted EBITDA was $2,018 million."
    claim = Claim.of("Adjusted EBITDA was $848 million.", "What was adjusted EBITDA?")
    assert "another label" in unsupported(claim, span, None, _idf(span))
    assert (
        unsupported(
            Claim.of("Adjusted EBITDA was $2,018 million.", "What was adjusted EBITDA?"),
            span,
            None,
            _idf(span),
        )
        is None
    )


def test_a_figure_absent_from_the_span_is_not_supported():
    claim = Claim.of("Net sales were $14,694 million.")
    assert "14694" in unsupported(claim, FCF, None, _idf(FCF))


def test_the_right_claim_stands_on_the_table_row():
    claim = Claim.of("Amcor's adjusted EBITDA for fiscal year 2023 was $2,018 million.", QUESTION)
    span = EBITDA.splitlines()[2]
    assert unsupported(claim, span, HITS[1].chunk, _idf(FCF, EBITDA)) is None  # "Amcor" is in the title


def test_figures_the_question_gives_need_not_be_in_the_span():
    claim = Claim.of(
        "In the 12 months, adjusted EBITDA was $2,018 million.", "What was adjusted EBITDA in the 12 months?"
    )
    assert [v for v, _ in claim.figures] == ["2018"]


def test_wrong_amcor_claim_is_never_shown_as_cited():
    text, cites, notes = citations.check(WRONG, HITS, QUESTION)
    assert "848" not in text and not cites
    assert any("removed a sentence" in n for n in notes)


def test_right_amcor_claim_is_cited_to_the_ebitda_row_even_when_the_model_cites_the_fcf_page():
    text, cites, _ = citations.check(
        "The adjusted EBITDA for fiscal year 2023 was $2,018 million. [1]", HITS, QUESTION
    )
    assert "2,018" in text and text.endswith("[1]")
    assert [(c.chunk.page, c.span) for c in cites] == [(61, EBITDA.splitlines()[2])]


def test_supported_sentences_stay_when_an_unsupported_one_goes():
    text, cites, _ = citations.check(
        "Adjusted Free Cash Flow for fiscal 2023 was $848 million [1]. Adjusted EBITDA was $848 million [1].",
        HITS,
        QUESTION,
    )
    assert text == "Adjusted Free Cash Flow for fiscal 2023 was $848 million. [1]" or text.startswith(
        "Adjusted Free Cash Flow"
    )
    assert text.count("848") == 1 and [c.chunk.page for c in cites] == [44]


def test_uncited_sentence_with_a_figure_no_source_states_is_dropped():
    text, cites, notes = citations.check("Amcor employs 41,000 people.", HITS, QUESTION)
    assert "41,000" not in text and not cites and notes


def test_every_cited_sentence_figure_is_in_its_span():
    answer = (
        "Adjusted Free Cash Flow for fiscal 2023 was $848 million [1]. Adjusted EBITDA for the twelve months "
        "ended June 30, 2023 was $2,018 million [2]. Net income was $1,058 million [2]. "
        "Sales were $9 million [2]."
    )
    text, cites, _ = citations.check(answer, HITS, QUESTION)
    assert len(cited_sentences(text)) == 3 and len(cites) == 2
    assert figures_not_in_span(text, cites, QUESTION) == []


def test_the_span_verifier_catches_a_figure_shown_as_cited_without_its_span():
    cite = citations.Citation(1, HITS[0].chunk, FCF, 1.0)
    assert figures_not_in_span("Adjusted EBITDA was $2,018 million. [1]", [cite]) == [
        ("Adjusted EBITDA was $2,018 million.", "2018", FCF)
    ]
