"""The text toolkit: sentence spans, content terms, the Snowball stemmer and idf-weighted overlap.

Shared by the extractive answerer, citation and claim checking, the answer policy's evidence and BM25
(which keeps its own analyzer, bm25s's, so that its vocabulary and idf stay what the index was built
with, but uses the same stemmer object and the same overlap).
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from functools import lru_cache
from typing import Callable, Iterable

# a sentence ends at . ! ? (closing quotes/brackets stay with it) followed by white space, or at a line
# end: a point inside a token (4.2, 1.5.3, Node.js, example.com) is not an end, so every span boundary
# falls on white space and the chunker's token counts add up
_SENT = re.compile(r"(?:[^.!?\n]|[.!?]+[\"')\]]*(?=[^\s.!?\"')\]]))+(?:[.!?]+[\"')\]]*|(?=\n)|$)")
_WORD = re.compile(r"\w+", re.UNICODE)
# "Nicholas E. Golovin", "Mr. Smith", "U.S. Army": a point after these does not end a sentence
_NOT_END = re.compile(
    r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|Gen|Col|Lt|Sgt|Capt|Rev|Inc|Ltd|Co|Corp|No|vs|"
    r"etc|e\.g|i\.e|approx|est|Fig|Vol|pp|ca|Mt|Ft))\.$"
)
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most my
myself no nor not now of off on once only or other our ours ourselves out over own same she should so
some such than that the their theirs them themselves then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you your yours
yourself yourselves also did does many much whose""".split()
)


# a newline after a long line that ends mid-sentence, or before a lower-case word (a sentence goes on)
_SOFT_BREAK = re.compile(r"(?<=[^\n.!?:;]{50})\n(?=[ \t]*[^\s\-*\u2022\d])|(?<=[^\n.!?:;])\n(?=[a-z])")


def _join_wrapped_lines(text: str) -> str:
    """PDF text wraps prose at the page width: a newline after a long line that ends mid-sentence, or
    before a word in lower case, is a space. Short lines (headings, table rows), Markdown headings and
    table rows written as "a | b | c" keep theirs. Same length, so offsets stay valid."""

    def join(m: re.Match) -> str:
        before = text.rfind("\n", 0, m.start()) + 1
        after = text.find("\n", m.end())
        line, following = text[before : m.start()], text[m.end() : after if after >= 0 else len(text)]
        keep = "|" in line or "|" in following or line.lstrip().startswith("#")
        return "\n" if keep else " "

    return _SOFT_BREAK.sub(join, text)


def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of sentences (or lines, for list/table text)."""
    out = []
    for m in _SENT.finditer(_join_wrapped_lines(text)):
        a, b = m.start(), m.end()
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b - a <= 1:
            continue
        if out and _NOT_END.search(text[out[-1][0] : out[-1][1]]) and "\n\n" not in text[out[-1][1] : a]:
            out[-1] = (out[-1][0], b)  # glue back what an abbreviation split off
        else:
            out.append((a, b))
    return out


class _Stemmer(threading.local):
    """English Snowball (PyStemmer), one instance per thread: PyStemmer must not be called concurrently."""

    def __init__(self) -> None:
        from Stemmer import Stemmer

        self._s = Stemmer("english")

    def stemWord(self, word: str) -> str:  # noqa: N802 - PyStemmer's (and bm25s's) spelling
        return self._s.stemWord(word)

    def stemWords(self, words: list[str]) -> list[str]:  # noqa: N802
        return self._s.stemWords(words)


@lru_cache(maxsize=1)
def stemmer() -> _Stemmer:
    """The one stemmer of the process (text terms and the BM25 analyzer alike)."""
    return _Stemmer()


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    return stemmer().stemWord(word)


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed content words."""
    return [_stem(w) for w in (t.lower() for t in _WORD.findall(text)) if w not in STOPWORDS]


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


class Idf:
    """Inverse document frequency over a small set of texts (the retrieved chunks)."""

    def __init__(self, docs: Iterable[list[str]]) -> None:
        docs = list(docs)
        self.n = max(len(docs), 1)
        self.df = Counter(t for d in docs for t in set(d))

    def __call__(self, term: str) -> float:
        return math.log(1 + (self.n + 1) / (self.df.get(term, 0) + 0.5))


def weighted_overlap(query: Iterable[str], target: Iterable[str], idf: Callable[[str], float]) -> float:
    """Share of the query's idf mass found in the target (any term weight: `Idf` over a few texts, or
    BM25's collection-wide idf)."""
    q = set(query)
    if not q:
        return 0.0
    have = set(target)
    total = sum(idf(t) for t in q)
    return sum(idf(t) for t in q if t in have) / total if total else 0.0
