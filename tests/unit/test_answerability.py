import math

import numpy as np
import pytest

from rag import answerability as A
from rag import answerability_profile as P
from rag.types import Chunk, Hit


class FakeBM25:
    """Library document frequencies without building an index: df per stemmed term over `n` chunks."""

    def __init__(self, df: dict[str, int], n: int = 100) -> None:
        self.ids = [f"c{i}" for i in range(n)]
        self.doc_ids = [f"d{i % 4}" for i in range(n)]
        self.df = df

    def idf(self, term: str) -> float:
        n, df = len(self.ids), self.df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))


def hit(text: str, dense: float = 0.6, title: str = "Report", doc: str = "d0") -> Hit:
    return Hit(
        Chunk(
            id=text[:12],
            doc_id=doc,
            text=text,
            source=f"{doc}.pdf",
            title=title,
            page=1,
            start=0,
            end=len(text),
        ),
        score=1.0,
        dense=dense,
    )


def test_clean_question_drops_appended_instructions():
    q = (
        "What drove operating margin change as of FY2022 for 3M? If operating margin is not a useful metric "
        "for a company like this, then please state that and explain why."
    )
    assert A.clean_question(q) == "What drove operating margin change as of FY2022 for 3M?"
    assert A.clean_question("Who won? Why?") == "Who won? Why?"


@pytest.mark.parametrize(
    "q,kind",
    [
        ("How much did revenue grow in 2022?", "number"),
        ("What was the effective tax rate of Boeing in FY2022?", "number"),
        ("When did the Apollo program start?", "date"),
        ("Who designed the Victoria and Albert Museum?", "name"),
        ("What drove the reduction in SG&A expense?", "reason"),
        ("Why did the empire fall?", "reason"),
        ("Is 3M a capital-intensive business?", None),
    ],
)
def test_answer_kind(q, kind):
    assert A.answer_kind(q) == kind


def test_has_kind_needs_more_than_a_year_for_an_amount():
    assert not A.has_kind("number", "In 2022 the company grew.", "how much")
    assert A.has_kind("number", "Revenue was $8,220 million in 2022.", "how much")
    assert A.has_kind("number", "Margins fell 1.7% in 2022.", "how much")
    assert A.has_kind("date", "It opened in March 1969.", "when")
    assert A.has_kind("reason", "Sales fell due to lower demand.", "why")
    assert not A.has_kind("reason", "Sales were flat.", "why")


def test_rare_terms_weigh_by_library_frequency():
    # "revenu" is in every chunk of this library, "amcor" in few: a sentence with the rare term but not the
    # common one covers more of the question than the reverse
    bm25 = FakeBM25({"revenu": 100, "amcor": 3, "2023": 90})
    a = A.Answerability(bm25)
    rare = a.features("What was Amcor's revenue in 2023?", [hit("Amcor is a packaging company.")]).features
    common = a.features(
        "What was Amcor's revenue in 2023?", [hit("Revenue in 2023 was $14,694 million.")]
    ).features
    assert rare["sent"] > common["sent"]
    assert common["kind_miss"] == 0.0 and rare["kind_miss"] == 1.0


def test_terms_the_library_never_uses_are_absent():
    bm25 = FakeBM25({"tax": 40, "rate": 50, "effect": 30})
    f = (
        A.Answerability(bm25)
        .features("What is Boeing's effective tax rate?", [hit("The effective tax rate was 18%.")])
        .features
    )
    assert f["absent"] > 0.3  # "boeing" has df 0
    assert f["gap"] == pytest.approx(1.0)  # and it is the most specific term, missing from the best sentence


def test_note_says_what_is_mentioned_and_what_is_not_stated():
    bm25 = FakeBM25({"tax": 40, "rate": 50, "effect": 30, "boe": 0})
    s = A.Answerability(bm25).assess(
        "What is Boeing's effective tax rate?", [hit("The effective tax rate was 18%.")]
    )
    note = s.note()
    assert note.startswith("the documents mention") and '"Boeing"' in note and "do not state" in note
    assert s.sentence == "The effective tax rate was 18%."


def test_score_rises_with_sentence_support_and_is_a_probability():
    a = A.Answerability(FakeBM25({"tax": 40, "rate": 50, "effect": 30, "boe": 2}))
    q = "What is Boeing's effective tax rate?"
    good = a.assess(q, [hit("Boeing's effective tax rate was 18% in 2022.", dense=0.7)])
    weak = a.assess(q, [hit("Boeing builds airplanes and rates them.", dense=0.7)])
    assert 0.0 <= weak.score < good.score <= 1.0
    assert good.timings()["answerability"] == round(good.score, 4)
    assert set(A.FEATURES) <= {k.split(".", 1)[1] for k in good.timings() if "." in k}


def test_no_hits_scores_low_and_lists_the_question_words_as_missing():
    s = A.Answerability(FakeBM25({})).assess("Who founded Amcor?", [])
    assert s.score < 0.5 and s.features["kind_miss"] == 1.0


def test_sentence_cosine_uses_the_embedder():
    class Emb:
        def embed_documents(self, texts):
            return np.array([[1.0, 0.0] if "18%" in t else [0.0, 1.0] for t in texts])

        def embed_query(self, text):
            return np.array([1.0, 0.0])

    f = (
        A.Answerability(FakeBM25({}), Emb())
        .features("What is the tax rate?", [hit("Taxes are paid.\nThe tax rate was 18%.")])
        .features
    )
    assert f["sent_cos"] == pytest.approx(1.0)


def test_profile_centres_retrieval_features_on_control_questions():
    chunks = [
        Chunk(
            id=f"c{i}",
            doc_id=f"d{i % 3}",
            text=f"Revenue for segment {i} grew strongly in the period "
            "because of higher volumes and pricing.",
            source="x",
            title="t",
            page=1,
            start=0,
            end=10,
        )
        for i in range(9)
    ]
    controls = P.control_questions(chunks, n=6)
    assert len(controls) == 6 and len({d for d, _ in controls}) == 3
    asked = []

    def retrieve(text, docs):
        asked.append(docs)
        return [hit("Revenue grew because of volumes.", dense=0.5, doc="d9")]

    a = A.Answerability(FakeBM25({"revenu": 50}))
    prof = P.profile(a, controls, retrieve, ["d0", "d1", "d2"])
    assert prof.means["cos"] == pytest.approx(0.5) and prof.n == 6
    assert all(len(d) == 2 for d in asked)  # each control is asked against the other documents only
    a.profile = prof
    assert a.centred({"cos": 0.7, "absent": 0.2})["cos"] == pytest.approx(0.2)
    assert a.centred({"cos": 0.7, "absent": 0.2})["absent"] == 0.2


def test_note_names_the_missing_kind_of_answer():
    s = A.Answerability(FakeBM25({"repaint": 2, "bridg": 5})).assess(
        "Who repainted the bridge?", [hit("The bridge was repainted green in 1987.")]
    )
    assert s.note() == 'the documents mention "repainted" and "bridge" but do not state who'
