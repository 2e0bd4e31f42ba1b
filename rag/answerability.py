"""Answerability: does some retrieved sentence carry what the question asks for?

Retrieval scores say a passage is on the question's topic; in a single-topic library (one company's 10-Ks,
one team's papers) every passage is. This asks the narrower question, sentence by sentence (a table row is a
line, so a sentence too):
  - do the question's specific terms occur together in one retrieved sentence? Terms weigh by their rarity in
    *this* library (the BM25 index's document frequencies): in a 10-K library "revenue" weighs little and
    "Amcor" much, and a term the library never uses at all is a strong sign the question is about something
    else;
  - does that sentence hold an answer of the asked kind (an amount for "how much", a date for "when", a name
    for "who", a reason for "why")?
Those and the retrieval scores are combined by a logistic regression into one score, P(answerable); the
coefficients are fitted by `benchmarks/answerability_fit.py` (COEF below). Retrieval-level features are
centred on a per-library profile (`LibraryProfile`, computed in rag/answerability_profile.py: the same
features measured on control questions the library cannot answer, made from its own sentences and asked
against its other documents), so one threshold holds on libraries whose vocabulary and score levels differ.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .text import STOPWORDS, sentences, terms
from .types import Hit

# Fitted by `.venv/bin/python benchmarks/answerability_fit.py
# --records /tmp/ans/xquad_en.jsonl,/tmp/ans/financebench.jsonl --all` (logistic regression, L2 1.0, both
# sets weighted equally; records from `benchmarks/refusal_calibration.py`, XQuAD-en --limit 250,
# FinanceBench --limit 14; validated first by fitting half A and scoring half B). The data is small and the
# FinanceBench part tiny: docs/benchmarks.md "Refusal" has the figures and why this score is not the
# default (RAG_REFUSAL_SCORE=evidence). Feature meanings: FEATURES below.
COEF: dict[str, float] = {
    "bias": 0.331,
    "cos": 3.981,
    "cover": -0.332,
    "sent": 1.003,
    "gap": -1.086,
    "absent": 0.439,
    "kind_miss": 0.051,
    "sent_cos": -0.087,
}
FEATURES = {
    "cos": "top raw cosine of the retrieved chunks (centred on the library profile)",
    "cover": "share of the question's library-idf mass found in the top 3 chunks (centred)",
    "sent": "the same share in the best single sentence or table row, with its chunk's title (centred)",
    "gap": "library idf of the most specific question term missing from that sentence / the largest idf",
    "absent": "share of the question's idf mass on terms this library never uses",
    "kind_miss": "1 if the question asks for a kind of answer (amount, date, name, reason) "
    "no top sentence has",
    "sent_cos": "best cosine of the top sentences to the question (centred)",
}
CENTRED = ("cos", "cover", "sent", "sent_cos")
TOP_SENTENCES = 6  # sentences re-scored by embedding, and looked at for the answer kind (3)

# instruction sentences a benchmark appends to questions say where or how to answer, not what is asked
_INSTRUCTION = re.compile(
    r"^\s*(if |please |calculate |define |use |using |answer |round |give |provide |assume |"
    r"base your |respond |note |compute |show )",
    re.I,
)
_KIND = (
    (
        "reason",
        re.compile(
            r"\b(why|what (drove|drives|caused|causes|led to|explains?)|reasons?|how come|due to what)\b"
        ),
    ),
    (
        "date",
        re.compile(
            r"\b(when|what (year|date|century|decade|month)|which (year|date|century|decade|month)|"
            r"in what year)\b"
        ),
    ),
    (
        "number",
        re.compile(
            r"\b(how (many|much|long|old|far|large|big|tall|high|often)|by how much|what (percentage|"
            r"percent|share|number|amount|quantity|ratio|proportion|fraction|value|size|total)|"
            r"calculate|compute|roughly how|(what|which) (is|was|were|are)\b.*\b(amount|revenues?|sales|"
            r"income|margins?|ratio|rate|costs?|expenses?|price|eps|dividends?|cash|capex|capital "
            r"expenditures?|debt|assets|liabilities|ebitda|growth|population|percentage|size|height|"
            r"length|area|temperature|salary|profit|earnings|spend|budget|capacity|turnover))\b"
        ),
    ),
    (
        "name",
        re.compile(
            r"\b(who|whom|whose|what (company|person|team|organization|organisation|country|city|"
            r"group|firm|name)|which (company|person|team|organization|organisation|country|city|"
            r"group|firm))\b"
        ),
    ),
)
_AMOUNT = re.compile(
    r"(?<![\w.])(?!(?:19|20)\d\d\b)\d[\d,]*(\.\d+)?\b|\d\s*%|[$€£¥]\s*\d|\b(one|two|three|four|five|"
    r"six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|"
    r"billion|dozen|half|quarter|percent)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(1\d{3}|20\d{2})s?\b|\b\d{1,2}(st|nd|rd|th)[ -]century\b|\b(January|February|March|April|"
    r"May|June|July|August|September|October|November|December)\b"
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")
_REASON = re.compile(
    r"\b(because|due to|driven by|drove|result of|as a result|resulted|attributable|primarily|"
    r"reflect(s|ed|ing)?|owing to|led to|caused|since|in order to|reasons?|so that|thanks to|"
    r"impact of|offset by|increase in|decrease in|decline in|lower|higher)\b",
    re.I,
)
_WORD = re.compile(r"\w+")


def clean_question(question: str) -> str:
    """The question without appended instruction sentences ("If X is not a useful metric, state that")."""
    parts = re.split(r"(?<=[.?!])\s+", question.strip())
    kept = [p for i, p in enumerate(parts) if i == 0 or not _INSTRUCTION.match(p)]
    return " ".join(kept)


def answer_kind(question: str) -> str | None:
    q = question.lower()
    for kind, pat in _KIND:
        if pat.search(q):
            return kind
    return None


def has_kind(kind: str | None, sentence: str, question: str) -> bool:
    if kind is None:
        return True
    if kind == "number":
        return bool(_AMOUNT.search(sentence))
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "name":  # a capitalised word the question does not already use
        asked = set(_WORD.findall(question))
        return any(w not in asked for w in _NAME.findall(sentence))
    return bool(_REASON.search(sentence))


def _bm25_stopwords() -> frozenset[str]:
    try:
        from bm25s.stopwords import STOPWORDS_EN

        return frozenset(STOPWORDS_EN)
    except ImportError:  # pragma: no cover - bm25s is a dependency; a fake index may be used without it
        return frozenset()


_STOP = STOPWORDS | _bm25_stopwords()


def question_terms(question: str) -> dict[str, str]:
    """stemmed term -> the first surface word it came from, for the question's content words (2+ characters,
    neither stop list, so every term is one the BM25 index could hold)."""
    out: dict[str, str] = {}
    for w in _WORD.findall(question):
        lw = w.lower()
        if len(lw) < 2 or lw in _STOP:
            continue
        t = terms(lw)
        if t:
            out.setdefault(t[0], w)
    return out


class LibraryWeights:
    """Term weights from the library's own document frequencies (a BM25Index, or anything with `idf(term)` and
    `ids`); without one, from the retrieved chunks only."""

    def __init__(self, bm25=None, texts: Sequence[str] = ()) -> None:
        self.bm25 = bm25 if bm25 is not None and getattr(bm25, "ids", None) else None
        if self.bm25 is not None:
            n = len(self.bm25.ids)
        else:
            docs = [set(terms(t)) for t in texts]
            n = max(len(docs), 1)
            self._df = {}
            for d in docs:
                for t in d:
                    self._df[t] = self._df.get(t, 0) + 1
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)
        self._n = n

    def idf(self, term: str) -> float:
        if self.bm25 is not None:
            return float(self.bm25.idf(term))
        df = self._df.get(term, 0)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def absent(self, term: str) -> bool:
        return self.idf(term) >= self.max_idf - 1e-9


@dataclass
class Support:
    score: float  # P(answerable) from the fitted combination
    features: dict[str, float]  # raw (uncentred) feature values
    kind: str | None = None
    sentence: str = ""  # the retrieved sentence that best carries the question's terms
    source: int = -1  # its hit's index
    found: list[str] = field(default_factory=list)  # question words it holds, most specific first
    missing: list[str] = field(default_factory=list)  # question words it lacks, most specific first
    null: dict[str, float] = field(default_factory=dict)  # the library profile the centred features subtract
    kind_found: bool = True  # the best sentence holds an answer of the asked kind

    def note(self) -> str:
        """What to tell a user when the support is weak: what the documents mention, and what they
        don't state."""
        if not self.found:
            return "the documents do not mention " + _join(self.missing[:3]) if self.missing else ""
        asked = [] if self.kind_found or self.kind is None else [_ASKED[self.kind]]
        lack = [f'"{w}"' for w in self.missing[: 3 - len(asked)]]
        if not asked and not lack:
            return ""
        return f"the documents mention {_join(self.found[:3], 'and')} but do not state {_list(asked + lack)}"

    def timings(self, prefix: str = "answerability") -> dict[str, float]:
        """Score and features as `Answer.timings` entries (what `--json` and the eval records show)."""
        out = {prefix: round(self.score, 4)}
        out.update({f"{prefix}.{k}": round(v, 4) for k, v in self.features.items()})
        out.update({f"{prefix}.null.{k}": round(v, 4) for k, v in self.null.items()})
        return out


_ASKED = {"number": "the amount", "date": "when", "name": "who", "reason": "why"}


def _join(words: Sequence[str], conj: str = "or") -> str:
    return _list([f'"{w}"' for w in words], conj)


def _list(items: Sequence[str], conj: str = "or") -> str:
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


@dataclass
class LibraryProfile:
    """Mean of the centred features over control questions the library cannot answer (see `profile`)."""

    means: dict[str, float]
    n: int = 0


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


class Answerability:
    def __init__(
        self,
        bm25=None,
        embedder=None,
        coef: dict[str, float] | None = None,
        profile: LibraryProfile | None = None,
    ) -> None:
        self.bm25 = bm25
        self.embedder = embedder
        self.coef = dict(COEF if coef is None else coef)
        self.profile = profile

    # features ------------------------------------------------------------------------------------------
    def features(self, question: str, hits: Sequence[Hit]) -> Support:
        q = clean_question(question)
        qterms = question_terms(q)
        kind = answer_kind(q)
        lib = LibraryWeights(self.bm25, [h.chunk.text for h in hits] if self.bm25 is None else ())
        w = {t: lib.idf(t) for t in qterms}
        total = sum(w.values()) or 1.0
        f = {k: 0.0 for k in FEATURES}
        f["absent"] = sum(v for t, v in w.items() if lib.absent(t)) / total
        f["cos"] = max((h.dense for h in hits if h.dense is not None), default=0.0)
        if not hits or not qterms:
            f["kind_miss"] = float(kind is not None)
            f["gap"] = 1.0 if qterms else 0.0
            return Support(
                0.0, f, kind, missing=sorted(qterms.values(), key=lambda s: -w[terms(s.lower())[0]])
            )
        top = set()
        for h in hits[:3]:
            top |= set(terms(f"{h.chunk.title}\n{h.chunk.heading}\n{h.chunk.text}"))
        f["cover"] = sum(v for t, v in w.items() if t in top) / total
        cands = []  # (share, hit index, sentence, its terms)
        for i, h in enumerate(hits):
            context = set(terms(f"{h.chunk.title} {h.chunk.heading}"))
            text = h.chunk.text
            for a, b in sentences(text):
                s = text[a:b]
                if text.startswith("#", a):  # a Markdown heading names a topic, it states nothing
                    continue
                st = set(terms(s)) | context
                cands.append((sum(v for t, v in w.items() if t in st) / total, i, s, st))
        if not cands:
            f["kind_miss"] = float(kind is not None)
            return Support(0.0, f, kind)
        # best first; a sentence from a better-ranked chunk wins ties
        cands.sort(key=lambda c: (-c[0], c[1]))
        best = cands[:TOP_SENTENCES]
        f["sent"] = best[0][0]
        f["kind_miss"] = float(kind is not None and not any(has_kind(kind, c[2], q) for c in best[:3]))
        pick = best[0]
        if self.embedder is not None:
            sims = self.embedder.embed_documents([c[2] for c in best]) @ self.embedder.embed_query(q)
            j = int(np.argmax(sims))
            f["sent_cos"] = float(sims[j])
            if best[j][0] >= 0.8 * best[0][0]:  # the closest in meaning, unless it drops many of the terms
                pick = best[j]
        order = sorted(qterms, key=lambda t: -w[t])
        missing = [t for t in order if t not in pick[3]]
        f["gap"] = (w[missing[0]] / lib.max_idf) if missing else 0.0
        return Support(
            0.0,
            f,
            kind,
            sentence=pick[2],
            source=pick[1],
            found=[qterms[t] for t in order if t in pick[3]],
            missing=[qterms[t] for t in missing],
            kind_found=has_kind(kind, pick[2], q),
        )

    # score -----------------------------------------------------------------------------------------------
    def centred(self, features: dict[str, float]) -> dict[str, float]:
        means = self.profile.means if self.profile else {}
        return {k: v - means.get(k, 0.0) if k in CENTRED else v for k, v in features.items()}

    def score(self, features: dict[str, float]) -> float:
        x = self.centred(features)
        return sigmoid(self.coef.get("bias", 0.0) + sum(self.coef.get(k, 0.0) * v for k, v in x.items()))

    def assess(self, question: str, hits: Sequence[Hit]) -> Support:
        s = self.features(question, hits)
        s.score = self.score(s.features)
        s.null = dict(self.profile.means) if self.profile else {}
        return s
