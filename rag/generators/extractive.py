"""Extractive answerer: no LLM. Quotes the sentences that best match the question, each cited.

Always available and fast; also the fallback when an LLM refuses although the evidence is strong.
"""
from __future__ import annotations

from typing import Iterator

from ..prompt import REFUSAL, parse_user_message
from ..settings import Settings
from ..text import Idf, sentences, terms, weighted_overlap
from ..types import Message
from .base import generators

MIN_OVERLAP = 0.2  # below this share of the question's idf mass no sentence answers it


class ExtractiveGenerator:
    name = "extractive"
    context_window = 100_000

    def __init__(self, max_sentences: int = 2) -> None:
        self.max_sentences = max_sentences

    def pick(self, question: str, sources) -> list[tuple[int, str, float]]:
        """(source n, sentence, score) of the best sentences, in reading order within a source."""
        q = terms(question)
        cands = []
        for rank, src in enumerate(sources):
            for i, (a, b) in enumerate(sentences(src.text)):
                if not src.text.startswith("#", a):  # a Markdown heading names a topic, it answers nothing
                    cands.append((src.n, rank, i, src.text[a:b]))
        if not cands:
            return []
        toks = [terms(c[3]) for c in cands]
        idf = Idf(toks)
        scored = []
        for (n, rank, i, sent), t in zip(cands, toks):
            # retrieval rank breaks ties: the fused ranking already saw the whole chunk
            score = weighted_overlap(q, t, idf) + 0.03 / (rank + 1) - (0.1 if len(t) < 3 else 0.0)
            scored.append((score, n, rank, i, sent))
        scored.sort(key=lambda x: -x[0])
        best = scored[0]
        if best[0] < MIN_OVERLAP:
            return []
        picked = [best]
        # a second sentence only from the same source, next to the best: more context, same citation
        for s in scored[1:]:
            if len(picked) >= self.max_sentences:
                break
            if s[1] == best[1] and abs(s[3] - best[3]) == 1 and s[0] >= 0.5 * best[0]:
                picked.append(s)
        picked.sort(key=lambda x: (x[2], x[3]))
        return [(n, sent, score) for score, n, _, _, sent in picked]

    def generate(self, messages: list[Message], max_tokens: int = 256) -> Iterator[str]:
        question, sources = parse_user_message(messages[-1].content)
        picked = self.pick(question, sources)
        if not picked:
            yield REFUSAL
            return
        budget = max_tokens * 4  # characters: a rough token budget is enough for a cap
        out = []
        for n, sent, _ in picked:
            piece = sent if len(sent) <= budget else sent[:budget].rsplit(" ", 1)[0] + "…"
            budget -= len(piece)
            out.append(f"{piece} [{n}]")
            if budget <= 0:
                break
        for i, piece in enumerate(out):
            yield (" " if i else "") + piece


@generators.register("extractive")
def _factory(settings: Settings | None = None) -> ExtractiveGenerator:
    return ExtractiveGenerator(settings.extractive_sentences if settings else 2)
