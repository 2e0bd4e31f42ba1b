"""The answer policy: evidence, refusal before generation, and what to do with a generated answer."""

import pytest

from rag.policy import REFUSAL, Action, AnswerPolicy, Evidence
from rag.types import Chunk, Hit


def _hit(text: str, dense: float | None = 0.6) -> Hit:
    return Hit(
        Chunk(
            id=text[:8], doc_id="d", text=text, source="/d.md", title="Doc", page=1, start=0, end=len(text)
        ),
        1.0,
        dense=dense,
    )


class WordCorpus:
    """A stand-in for the BM25 index: lower-cased words, and an idf that makes 'kenya' rare."""

    def terms(self, text):
        return text.lower().replace("?", "").split()

    def chunk_terms(self, chunks):
        return [t for c in chunks for t in self.terms(c.text)]

    def idf(self, term):
        return 3.0 if term == "kenya" else 1.0


POLICY = AnswerPolicy()


def test_evidence_is_top_cosine_plus_weighted_rare_term_coverage():
    hits = [_hit("the population of france", 0.5), _hit("population counts", 0.62), _hit("no dense", None)]
    ev = POLICY.evidence("population of kenya", hits, WordCorpus())
    assert ev.features == {"cosine": 0.62, "coverage": pytest.approx(2 / 5)}
    assert ev.score == pytest.approx(0.62 + POLICY.coverage_weight * 2 / 5)


def test_coverage_looks_at_the_top_hits_only_and_needs_a_corpus():
    hits = [_hit("a"), _hit("b"), _hit("c"), _hit("kenya")]
    assert POLICY.evidence("kenya", hits, WordCorpus()).features["coverage"] == 0.0
    assert POLICY.evidence("kenya", hits, None).features["coverage"] == 0.0


def test_no_hits_means_no_evidence_and_a_refusal():
    ev = POLICY.evidence("anything", [], WordCorpus())
    assert ev.score == 0.0 and POLICY.refuse(ev, [])


def test_refuses_below_the_threshold_only():
    hits = [_hit("x")]
    assert POLICY.refuse(Evidence(POLICY.refusal_threshold - 0.01), hits)
    assert not POLICY.refuse(Evidence(POLICY.refusal_threshold), hits)


def test_thresholds_come_from_the_settings(settings):
    p = AnswerPolicy.from_settings(
        settings.model_copy(update={"refusal_threshold": 0.3, "strong_evidence": 0.9})
    )
    assert (p.refusal_threshold, p.strong_evidence) == (0.3, 0.9)


STRONG, WEAK = Evidence(0.95), Evidence(0.6)


@pytest.mark.parametrize(
    "evidence, text, llm, grounded, supported, action",
    [
        (STRONG, REFUSAL, True, True, True, Action.QUOTE),  # small models refuse answerable questions
        (WEAK, "I cannot answer that from the sources.", True, True, True, Action.REFUSE),
        (STRONG, REFUSAL, False, True, True, Action.REFUSE),  # an extractive refusal stands
        (STRONG, "Paris is big. [1]", True, False, True, Action.QUOTE),  # off-topic or planted instruction
        (
            STRONG,
            "EBITDA was 848. [1]",
            True,
            True,
            False,
            Action.QUOTE,
        ),  # no sentence survived the claim check
        (STRONG, "Paris is big. [1]", False, False, True, Action.ANSWER),  # a quote is shown as it is
        (WEAK, "The tower opened in 1889. [1]", True, True, True, Action.ANSWER),
    ],
)
def test_decide(evidence, text, llm, grounded, supported, action):
    d = POLICY.decide(evidence, text, llm=llm, grounded=grounded, supported=supported)
    assert d.action is action
    assert bool(d.reason) == (action is Action.QUOTE)


def test_the_bm25_index_is_a_corpus_whose_idf_favours_rare_terms():
    from rag.lexical import BM25Index

    chunks = [
        Chunk(id=str(i), doc_id="d", text=t, source="", title="", page=1, start=0, end=0)
        for i, t in enumerate(
            ["Warsaw is the capital of Poland.", "Poland borders Germany.", "Poland joined the EU."]
        )
    ]
    bm25 = BM25Index().build(chunks)
    hits = [Hit(c, 1.0, dense=0.5) for c in chunks[:1]]
    assert bm25.idf("kenya") > bm25.idf(bm25.terms("Poland")[0])
    full = POLICY.evidence("capital of Poland", hits, bm25).features["coverage"]
    part = POLICY.evidence("capital of Kenya", hits, bm25).features["coverage"]
    assert full == pytest.approx(1.0) and 0.0 < part < 0.5
