"""The answering service the CLI and the UI both call: question (+ history) -> streamed, cited Answer."""
from __future__ import annotations

import re
import threading
import time
from typing import Iterator, Sequence

from . import citations
from .errors import GeneratorError
from .generators import Generator, generators
from .index import Index
from .prompt import REFUSAL, fit, is_refusal
from .rerankers import Reranker, rerankers
from .retrieval import Retriever, SearchSources, retrievers
from .settings import Settings
from .tokens import prompt_token_counter
from .types import Answer, Hit, Message

COVERAGE_WEIGHT = 0.45  # chosen on XQuAD answerable vs held-out-article questions (docs/benchmarks.md)
_FOLLOW_UP = re.compile(r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|there|then|also)\b", re.I)


def standalone_query(question: str, history: Sequence[Message]) -> str:
    """Condense a follow-up into a retrieval query without an LLM call (which would cost seconds here):
    a short question or one leaning on pronouns borrows the previous user question's words."""
    prev = [m.content for m in history if m.role == "user"]
    if not prev:
        return question
    if len(question.split()) <= 6 or _FOLLOW_UP.search(question):
        return f"{question} {prev[-1]}"
    return question


class AnswerStream:
    """Iterate `stream()` for text pieces as they come; `answer` is final (checked) once it ends."""

    def __init__(self, answer: Answer, pieces: Iterator[str], finish) -> None:
        self.answer = answer
        self._pieces = pieces
        self._finish = finish

    def stream(self) -> Iterator[str]:
        buf = []
        for p in self._pieces:
            buf.append(p)
            yield p
        self._finish("".join(buf))

    def collect(self) -> Answer:
        for _ in self.stream():
            pass
        return self.answer


class AnswerService:
    def __init__(self, settings: Settings, index: Index | None = None) -> None:
        self.settings = settings
        self.index = index or Index(settings)
        self.sources = SearchSources(self.index)
        self._generators: dict[str, Generator] = {}
        self._retrievers: dict[str, Retriever] = {}
        self._reranker: Reranker | None = None
        self._lock = threading.Lock()

    # parts, created once --------------------------------------------------------------------------
    def retriever(self, name: str | None = None) -> Retriever:
        name = name or self.settings.retriever
        with self._lock:
            if name not in self._retrievers:
                self._retrievers[name] = retrievers.create(name, self.sources, self.settings)
            return self._retrievers[name]

    def generator(self, name: str | None = None) -> Generator:
        name = name or self.settings.generator
        with self._lock:
            if name not in self._generators:
                # the extractive generator re-scores sentences with the index's (already loaded) model
                self._generators[name] = generators.create(name, self.settings, embedder=self.index.embedder)
            return self._generators[name]

    def reranker(self) -> Reranker:
        if self._reranker is None:
            self._reranker = rerankers.create(self.settings.reranker, self.settings)
        return self._reranker

    # answering ---------------------------------------------------------------------------------------
    def retrieve(self, query: str, k: int | None = None, doc_ids: Sequence[str] | None = None,
                 method: str | None = None) -> list[Hit]:
        k = k or self.settings.top_k
        hits = self.retriever(method).retrieve(query, max(k, self.settings.candidates if self.settings.reranker != "none" else k), doc_ids)
        return self.reranker().rerank(query, hits)[:k]

    def evidence(self, question: str, hits: list[Hit]) -> float:
        """How well the retrieved chunks support the question: the top raw cosine (the best single
        separator of answerable questions measured here) plus a share of the question's rare-term
        coverage by the top chunks, which catches questions about things the corpus never mentions."""
        if not hits:
            return 0.0
        cosine = max((h.dense for h in hits if h.dense is not None), default=0.0)
        found = self.sources.bm25()
        coverage = found[0].coverage(question, [h.chunk for h in hits[:3]]) if found else 0.0
        return cosine + COVERAGE_WEIGHT * coverage

    def answer(self, question: str, history: Sequence[Message] = (), generator: str | None = None,
               top_k: int | None = None, doc_ids: Sequence[str] | None = None) -> AnswerStream:
        t0 = time.perf_counter()
        s = self.settings
        ans = Answer(question=question)
        query = standalone_query(question, history)
        hits = self.retrieve(query, top_k, doc_ids)
        ans.timings["retrieve_s"] = time.perf_counter() - t0
        ans.sources = hits
        evidence = self.evidence(query, hits)
        ans.timings["evidence"] = evidence
        if not hits or evidence < s.refusal_threshold:
            ans.refused, ans.text = True, REFUSAL
            return AnswerStream(ans, iter([REFUSAL]), lambda text: None)
        gen = self.generator(generator)
        count = prompt_token_counter(gen)
        budget = min(s.max_context_tokens, gen.context_window - s.max_answer_tokens)
        used = fit(question, hits, budget, count)

        def pieces() -> Iterator[str]:
            first = True
            for p in gen.generate(question, used, s.max_answer_tokens):
                if first:
                    ans.timings["first_token_s"] = time.perf_counter() - t0
                    first = False
                yield p

        def quote(reason: str) -> str:
            ans.notes.append(reason)
            return "".join(self.generator("extractive").generate(question, used, s.max_answer_tokens))

        def finish(text: str) -> None:
            ans.timings["total_s"] = time.perf_counter() - t0
            llm = gen.name != "extractive"
            if llm and is_refusal(text) and evidence >= s.strong_evidence:
                # small models refuse answerable questions; strong evidence -> quote it instead
                text = quote("the model declined although the sources match well; showing quoted sentences")
            if not is_refusal(text):
                ans.text, ans.citations, notes = citations.check(text, used)
                ans.notes += notes
                if llm and not citations.grounded(question, ans.citations):
                    # nothing the model said rests on text about the question: an off-topic answer,
                    # or an instruction planted in a document that it obeyed
                    text = quote("the model's answer did not rest on sources about the question; showing quoted sentences")
                    if not is_refusal(text):
                        ans.text, ans.citations, _ = citations.check(text, used)
            if is_refusal(text):
                ans.refused, ans.text, ans.citations = True, REFUSAL, []
            elif not ans.citations:
                ans.notes.append("no sentence of the answer could be matched to a source")

        return AnswerStream(ans, pieces(), finish)

    def ask(self, question: str, **kwargs) -> Answer:
        try:
            return self.answer(question, **kwargs).collect()
        except GeneratorError:
            raise
