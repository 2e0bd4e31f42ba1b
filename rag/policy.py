"""When to answer, quote or refuse: every threshold of the answering path, in one place.

The service asks the policy three things: how strong the evidence is (`evidence`), whether to refuse
before generating (`refuse`), and what to do with what the generator wrote (`decide`). The generators
and the citation checker read their own thresholds from here too. Calibration: docs/benchmarks.md.

Seam for an answerability model: `evidence()` returns named features and a score; a learned scorer
replaces `score()` (or adds a feature) without touching the service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol, Sequence

from .text import weighted_overlap
from .types import Chunk, Hit

REFUSAL = "The documents do not contain the answer."
_REFUSAL_PATTERNS = re.compile(
    r"(do(es)? not contain|don't contain|not (mentioned|provided|stated|specified) in|no information|"
    r"cannot (be )?(answer|determin|found)|can't answer|unable to (answer|find|determine)|"
    r"not enough information)",
    re.I,
)


def is_refusal(text: str) -> bool:
    """Whether a generator's text declines to answer (ours, or a model's own wording)."""
    return bool(_REFUSAL_PATTERNS.search(text[:300]))


class Corpus(Protocol):
    """What the evidence needs from the lexical index: its analyzer and its collection-wide idf."""

    def terms(self, text: str) -> list[str]: ...

    def idf(self, term: str) -> float: ...

    def chunk_terms(self, chunks: Sequence[Chunk]) -> list[str]: ...


@dataclass(frozen=True)
class Evidence:
    """How well the retrieved hits support the question: named features and the score refusal uses."""

    score: float
    features: dict[str, float] = field(default_factory=dict)


class Action(str, Enum):
    ANSWER = "answer"  # show the generated text (citations checked)
    QUOTE = "quote"  # replace it with the extractive quote of the sources
    REFUSE = "refuse"  # the refusal, with the closest sources


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str = ""


@dataclass(frozen=True)
class AnswerPolicy:
    # refusing before generation: evidence = top raw cosine + coverage_weight x rare-term coverage
    refusal_threshold: float = 0.57  # calibrated on XQuAD answerable vs held-out-article questions
    coverage_weight: float = 0.45  # chosen on the same split (docs/benchmarks.md)
    coverage_hits: int = 3  # coverage is measured over the top hits only
    # after an LLM generated
    strong_evidence: float = 0.8  # above this an LLM refusal falls back to quoting the sources
    # the learned score (rag/answerability.py) in evidence.features["answerability"], when the service adds it
    refusal_score: str = "answerability"
    answerability_threshold: float = 0.4  # fitted with the coefficients (benchmarks/answerability_fit.py)
    weak_support: float = 0.75  # an answer above the threshold but below this says what the sources lack
    grounding_overlap: float = 0.2  # some cited span must share this much of the question's idf mass
    # the extractive generator declines when even its best sentence is this far from the question
    quote_min_overlap: float = 0.2
    quote_min_similarity: float = 0.3
    # citation checking: support (idf-weighted overlap) to add a citation / below which one is weak
    cite_attach: float = 0.6
    cite_weak: float = 0.4

    @classmethod
    def from_settings(cls, settings) -> "AnswerPolicy":
        return cls(
            refusal_threshold=settings.refusal_threshold,
            strong_evidence=settings.strong_evidence,
            refusal_score=getattr(settings, "refusal_score", "answerability"),
            answerability_threshold=getattr(settings, "answerability_threshold", 0.4),
        )

    # evidence -------------------------------------------------------------------------------------
    def evidence(self, question: str, hits: Sequence[Hit], corpus: Corpus | None = None) -> Evidence:
        """The top raw cosine (the best single separator of answerable questions measured here) plus a
        share of the question's rare-term coverage by the top hits, which catches questions about
        things the corpus never mentions even when the cosine is middling."""
        if not hits:
            return Evidence(0.0, {"cosine": 0.0, "coverage": 0.0})
        features = {
            "cosine": max((h.dense for h in hits if h.dense is not None), default=0.0),
            "coverage": self.coverage(question, hits, corpus),
        }
        return Evidence(self.score(features), features)

    def coverage(self, question: str, hits: Sequence[Hit], corpus: Corpus | None) -> float:
        """Share of the question's idf mass (collection-wide idf) found in the top hits."""
        if corpus is None:
            return 0.0
        return weighted_overlap(
            corpus.terms(question),
            corpus.chunk_terms([h.chunk for h in hits[: self.coverage_hits]]),
            corpus.idf,
        )

    def score(self, features: dict[str, float]) -> float:
        return features.get("cosine", 0.0) + self.coverage_weight * features.get("coverage", 0.0)

    # decisions --------------------------------------------------------------------------------------
    def refuse(self, evidence: Evidence, hits: Sequence[Hit]) -> bool:
        """Refuse before generating: nothing retrieved, or too weak a match to risk a guess."""
        if not hits:
            return True
        if self.refusal_score == "answerability" and "answerability" in evidence.features:
            return evidence.features["answerability"] < self.answerability_threshold
        return evidence.score < self.refusal_threshold

    def decide(
        self, evidence: Evidence, text: str, *, llm: bool, grounded: bool = True, supported: bool = True
    ) -> Decision:
        """What to show for a generated `text`: `grounded` = some cited span is about the question,
        `supported` = some sentence survived the claim check (its numbers and key terms are in its
        cited span). An extractive answer is a quote already, so it is shown or refused as it is."""
        if is_refusal(text):
            if llm and evidence.score >= self.strong_evidence:  # small models refuse answerable questions
                return Decision(
                    Action.QUOTE,
                    "the model declined although the sources match well; showing quoted sentences",
                )
            return Decision(Action.REFUSE)
        if llm and not supported:
            return Decision(
                Action.QUOTE,
                "no sentence of the model's answer matched its cited source; showing quoted sentences",
            )
        if llm and not grounded:
            # nothing the model said rests on text about the question: an off-topic answer, or an
            # instruction planted in a document that it obeyed
            return Decision(
                Action.QUOTE,
                "the model's answer did not rest on sources about the question; showing quoted sentences",
            )
        return Decision(Action.ANSWER)


DEFAULT = AnswerPolicy()
