"""Question cleaning before retrieval: drop the sentences that tell the answerer how to answer.

Analyst-style questions carry instructions ("If gross margin is not a useful metric for a company like
this, then state that and explain why.", "Answer in USD millions.", "Give a response to the question by
relying on the details shown in the cash flow statement."). Their words are about the answer's form, not
its subject, and they pull BM25 and the embedding toward pages that talk about "metrics", "company",
"explain". Only whole sentences that match an instruction pattern are dropped; a question is never
emptied, and a sentence that only names where to look keeps that place ("cash flow statement").
"""

from __future__ import annotations

import re

from ..text import sentences as sentence_spans

# a sentence (after the first) is an instruction when it matches one of these
_INSTRUCTION = [
    re.compile(p, re.I)
    for p in (
        # "If X is not useful ..., then state that ..."
        r"^if\b.*\b(state|say|answer|respond|return|write|put)\b.*$",
        r"^(please\s+)?(answer|respond|reply|round|express|report|provide|give|show)\b.*\b(in|to|as|with|by|"
        r"using)\b.*$",  # "Answer in USD millions." / "Round to two decimals." / "Give a response ... by ..."
        r"^(please\s+)?(use|using|assume|assuming)\b.*$",
        r"^(respond|answer|reply)\b.*$",
    )
]
# "Calculate X for FY2022; if X is not meaningful for the company then state that and explain why."
_IF_CLAUSE = re.compile(r"[;,]\s*if\b[^;]*\b(state|say|answer|respond)\b[^;]*$", re.I)
# "... relying on / using (only) the details shown (with)in the statement of cash flows and the P&L"
# -> keep the place
_PLACE = re.compile(
    r"\b(?:details|information|data|figures)\s+(?:shown|outlined|given|provided|reported)?\s*"
    r"(?:with)?in\s+(?:the\s+)?(?P<place>.+?)\.?$",
    re.I,
)


def clean_question(text: str) -> str:
    """The question without its answer-format instructions; the text itself when nothing matches."""
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    if len(sentences) < 2 and not _IF_CLAUSE.search(text):
        return text  # a one-sentence question is all subject
    sentences = [_IF_CLAUSE.sub(".", s) for s in sentences]
    kept = [sentences[0]]
    for s in sentences[1:]:
        if not any(p.match(s) for p in _INSTRUCTION):
            kept.append(s)
            continue
        place = _PLACE.search(s)
        if place and not s.lower().startswith("if "):
            kept.append(place.group("place"))
    return " ".join(kept)
