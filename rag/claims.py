"""Claims must match their source: a number keeps its label, and what the question asks about is there.

Word overlap alone let "The adjusted EBITDA for fiscal year 2023 was $848 million" stand on "Adjusted Free
Cash Flow for fiscal 2023 was $848 million". A sentence is backed by a span only when:
- every number in it (except those the question itself gives) appears in the span, inside a segment
  (a table row, or the clause around it in prose) that carries the sentence's label for that number:
  all of its key terms and most of the other words of its clause;
- its key terms - the question's terms that the sentence repeats, less generic ones like "fiscal year" -
  appear in the span or in the cited chunk's title and heading (a company's name is often only there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from .text import terms
from .types import Chunk

_NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?|(?<=[a-zA-Z])\d+(?:\.\d+)?")
# clause boundaries in prose: a label stays inside its clause; a table row ("a | b | c") is one segment
_CLAUSE = re.compile(
    r"[;:]|,\s|\s(?:and|but|while|whereas|compared with|compared to|versus|vs\.?)\s|\(|\)", re.I
)
# words that frame any figure rather than say which figure it is
GENERIC = frozenset(
    terms(
        "fiscal year years yearly annual annually quarter quarterly month months "
        "period periods ended ending end "
        "total amount value figure number company report reported fy approximately about around roughly "
        "million millions billion billions thousand thousands percent percentage usd dollar dollars amounted "
        "give response question relying details shown statement based provide answer according"
    )
)
TABLE_CAPTION = "Table: "  # ingest.tables.TABLE_MARK (rag cannot import ingest)
LABEL_SHARE = 0.5  # share of a number's clause words (idf-weighted) its source segment must also have


def number_value(raw: str) -> str:
    """Normalised figure: '2,018' = '2018', '4.50' = '4.5', '007' = '7'."""
    v = raw.replace(",", "")
    if "." in v:
        v = v.rstrip("0").rstrip(".")
    return v.lstrip("0") or "0"


def numbers(text: str) -> list[tuple[str, int, int]]:
    """(normalised value, start, end) of every figure in the text."""
    return [(number_value(m.group()), m.start(), m.end()) for m in _NUMBER.finditer(text)]


def _segments(text: str) -> list[tuple[int, int]]:
    """Lines holding a '|' are table rows, one segment each; prose lines split into clauses."""
    out, pos = [], 0
    for line in text.split("\n"):
        if "|" in line or "\t" in line:
            out.append((pos, pos + len(line)))
        else:
            a = 0
            for m in _CLAUSE.finditer(line):
                out.append((pos + a, pos + m.start()))
                a = m.end()
            out.append((pos + a, pos + len(line)))
        pos += len(line) + 1
    return out


def _terms(text: str) -> set[str]:
    """Content words, figures and one-letter bits ("Amcor's" -> amcor, s) left out; '_' splits words."""
    return {t for t in terms(_NUMBER.sub(" ", text.replace("_", " "))) if len(t) > 1}


def _label(text: str, a: int, b: int) -> set[str]:
    """The words that say which figure a segment's figures are."""
    return _terms(text[a:b]) - GENERIC


def _share(want: set[str], have: set[str], idf: Callable[[str], float]) -> float:
    total = sum(idf(t) for t in want)
    return sum(idf(t) for t in want if t in have) / total if total else 1.0


@dataclass(frozen=True)
class Claim:
    """What an answer sentence asserts: its figures with their labels, and its key terms."""

    text: str
    figures: list[tuple[str, set[str]]]  # (value, content words of its clause)
    key: set[str]

    @classmethod
    def of(cls, sentence: str, question: str = "") -> "Claim":
        given = {v for v, _, _ in numbers(question)}
        asked = _terms(question) - GENERIC
        figures = []
        for a, b in _segments(sentence):
            label = _label(sentence, a, b)
            figures += [(v, label) for v, _, _ in numbers(sentence[a:b]) if v not in given]
        key = _terms(sentence) & asked
        return cls(sentence, figures, key)


def _context(span: str, chunk: Chunk) -> str:
    """Words that label the whole span: the document title, the heading and, for a table row, its table's
    caption line (units and headers common to every column, see ingest/tables.py)."""
    out = f"{chunk.title}\n{chunk.heading}"
    at = chunk.text.find(span)
    if "|" in span and at > 0:
        cap = chunk.text.rfind("\n" + TABLE_CAPTION, 0, at)
        if cap >= 0 or chunk.text.startswith(TABLE_CAPTION):
            cap += 1
            out += "\n" + chunk.text[cap : chunk.text.find("\n", cap)]
    return out


def unsupported(claim: Claim, span: str, chunk: Chunk | None, idf: Callable[[str], float]) -> str | None:
    """Why the span does not back the claim, or None when it does."""
    around = _terms(_context(span, chunk)) if chunk is not None else set()
    missing = claim.key - _terms(span) - around
    if missing:
        return f"its key terms ({', '.join(sorted(missing))}) are not in the cited text"
    segs = [(set(v for v, _, _ in numbers(span[a:b])), _label(span, a, b)) for a, b in _segments(span)]
    for value, label in claim.figures:
        places = [lab | around for vals, lab in segs if value in vals]
        if not places:
            return f"its figure {value} is not in the cited text"
        key = label & claim.key
        if not any(key <= lab and _share(label, lab, idf) >= LABEL_SHARE for lab in places):
            return f"its figure {value} belongs to another label in the cited text"
    return None


def find_support(
    claim: Claim, candidates: Iterable[str], chunk: Chunk | None, idf: Callable[[str], float]
) -> tuple[str | None, str | None]:
    """The first candidate span that backs the claim, else (None, why the first candidate does not)."""
    first = None
    for span in candidates:
        why = unsupported(claim, span, chunk, idf)
        if why is None:
            return span, None
        first = first or why
    return None, first


def has_claims(claim: Claim) -> bool:
    """Whether there is anything to verify beyond word overlap."""
    return bool(claim.figures or claim.key)


def cited_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """(sentence, its citation numbers) for every cited sentence of a checked answer ("Sentence. [1][2]")."""
    from .text import sentences

    out = []
    for m in re.finditer(r"([^\[\]]*?)\s*((?:\[\d+\])+)", answer):
        spans = sentences(m.group(1))
        if spans:
            a, b = spans[-1]
            out.append((m.group(1)[a:b], [int(n) for n in re.findall(r"\d+", m.group(2))]))
    return out


def figures_not_in_span(answer: str, citations, question: str = "") -> list[tuple[str, str, str]]:
    """(sentence, figure, cited span) for every figure of a cited sentence that its cited span lacks
    (figures the question gives excepted): empty for a well-checked answer."""
    spans = {c.n: c.span for c in citations}
    given = {v for v, _, _ in numbers(question)}
    bad = []
    for sent, ns in cited_sentences(answer):
        for n in ns:
            have = {v for v, _, _ in numbers(spans.get(n, ""))}
            bad += [(sent, v, spans.get(n, "")) for v, _, _ in numbers(sent) if v not in have | given]
    return bad
