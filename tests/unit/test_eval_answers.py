from pathlib import Path

from app.eval import answers as ev
from rag.eval.numeric import gold_numbers, numbers, states_numbers
from rag.types import Answer, Chunk


def test_numbers_normalise_thousands_currency_units_signs_and_percent():
    assert numbers("$2,018 million") == {2018.0}
    assert numbers("2018.00") == {2018.0} == numbers("2,018")
    assert numbers("a loss of (1,234) and -1,234 and \u22121,234") == {1234.0}
    assert numbers("margin was 16.5% or 16.5 percent") == {16.5}
    assert numbers("In 2022 (FY2022, Q2) it rose") == set()  # years and codes are not answers
    assert numbers("$2022 million") == {2022.0}  # a year-like amount with a currency sign is an amount


def test_gold_numbers_are_those_printed_on_an_evidence_page():
    gold = gold_numbers(
        "The rate changed from 24.6% in FY2021 to 21.6% in FY2022, a 3 point drop.",
        ["Effective tax rate 21.6 % 24.6 %"],
    )
    assert gold == {24.6, 21.6}
    assert states_numbers("It was 21.6% (2022) against 24.6% (2021).", gold)
    assert not states_numbers("It was 21.6%.", gold)
    assert not states_numbers("anything", set())


def chunk(text: str, source: str = "A.pdf", page: int = 1) -> Chunk:
    return Chunk(
        id=text[:8], doc_id="d", text=text, source=source, title="t", page=page, start=0, end=len(text)
    )


def test_answer_mask_hides_evidence_pages_or_gold_answers():
    fb = ev.Question("1", "q", ["$5"], "A.pdf", {("A.pdf", 7)})
    m = ev.answer_mask(fb)
    assert m(chunk("x", "/data/A.pdf", 7)) and not m(chunk("x", "/data/A.pdf", 8))
    xq = ev.Question("2", "Who won?", ["Denver Broncos"], "SB.md")
    m = ev.answer_mask(xq)
    assert m(chunk("The Denver Broncos won.")) and not m(chunk("Denver is a city."))


def test_in_domain_negatives_keep_their_document_in_the_index():
    qs = [ev.Question(str(i), "q", ["a"], f"doc{i % 4}.md") for i in range(60)]
    picked = ev.in_domain(ev.QASet("x", [], qs, True), qs, {"doc2.md"})
    assert picked and all(q.doc != "doc2.md" for q in picked) and len(picked) < len(qs)
    fb = [ev.Question("1", "q", ["a"], "A.pdf", {("A.pdf", 1)}), ev.Question("2", "q", ["a"], "B.pdf")]
    assert [q.id for q in ev.in_domain(ev.QASet("f", [], fb, False), fb, set())] == ["1"]


def test_summary_reports_both_constructions_and_the_numeric_metric():
    q = ev.Question("1", "How much?", ["$2,018 million"], "A.pdf", {("A.pdf", 1)}, {2018.0})
    ok = ev.score(q, Answer("How much?", text="Revenue was $2,018 million [1]."), 0.1, True)
    refused = Answer("q", refused=True)
    recs = [
        ok,
        ev.score(q, refused, 0.1, False, "held_out"),
        ev.score(q, Answer("q", text="x"), 0.1, False, "in_domain"),
    ]
    s = ev.summarize("fb", recs)
    assert s["numeric"] == 1.0 and s["numeric_questions"] == 1
    assert s["refusal_rate"] == 1.0 and s["refusal_in_domain"] == 0.0 and s["false_refusal_rate"] == 0.0
    assert s["unanswerable"] == {"held_out": 1, "in_domain": 1}


def test_records_carry_the_answerability_features():
    q = ev.Question("1", "q", ["a"], "A.md")
    ans = Answer("q", text="a", timings={"answerability": 0.7, "answerability.cos": 0.5, "retrieve_s": 0.1})
    rec = ev.score(q, ans, 0.1, True)
    assert rec["answerability"] == 0.7 and rec["answerability.cos"] == 0.5 and "retrieve_s" not in rec
    assert Path(ev.__file__).name == "answers.py"
