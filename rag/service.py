"""The answering service the CLI and the UI both call: question (+ history) -> streamed, cited Answer."""

from __future__ import annotations

import re
import threading
import time
from typing import Iterator, Sequence

from . import answerability, answerability_profile, citations, safety
from .generators import Generator, generators
from .index import Index
from .policy import REFUSAL, Action, AnswerPolicy, Evidence, is_refusal
from .prompt import fit
from .rerankers import Reranker, rerankers
from .retrieval import Retriever, SearchSources, glossary_note, retrievers
from .settings import Settings
from .tokens import prompt_token_counter
from .types import Answer, Hit, Message

_FOLLOW_UP = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|there|then|also)\b", re.I
)


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
        self.policy = AnswerPolicy.from_settings(settings)
        self._generators: dict[str, Generator] = {}
        self._retrievers: dict[str, Retriever] = {}
        self._reranker: Reranker | None = None
        self._answerability: tuple[object, answerability.Answerability] | None = None
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
    def retrieve(
        self,
        query: str,
        k: int | None = None,
        doc_ids: Sequence[str] | None = None,
        method: str | None = None,
    ) -> list[Hit]:
        k = k or self.settings.top_k
        hits = self.retriever(method).retrieve(
            query, max(k, self.settings.candidates if self.settings.reranker != "none" else k), doc_ids
        )
        return self.reranker().rerank(query, hits)[:k]

    def evidence(self, question: str, hits: list[Hit]) -> Evidence:
        found = self.sources.bm25() if hits else None
        return self.policy.evidence(question, hits, found[0] if found else None)

    def support(self, question: str, hits: list[Hit]) -> answerability.Support | None:
        """Sentence-level answerability of the hits (rag/answerability.py) against the live library's profile,
        which is computed once per library revision (a few seconds) and kept in the data dir."""
        if self.policy.refusal_score != "answerability" or not hits:
            return None
        live = self.sources.live()
        key = live[:2] if live else None
        cached = self._answerability
        if cached is None or cached[0] != key:
            path = (self.settings.data_dir / "answerability" / f"{key[0]}-r{key[1]}.json") if key else None
            cached = (key, answerability_profile.for_service(self, path=path))
            self._answerability = cached
        return cached[1].assess(question, hits)

    def answer(
        self,
        question: str,
        history: Sequence[Message] = (),
        generator: str | None = None,
        top_k: int | None = None,
        doc_ids: Sequence[str] | None = None,
    ) -> AnswerStream:
        t0 = time.perf_counter()
        s, policy = self.settings, self.policy
        ans = Answer(question=question)
        query = standalone_query(question, history)
        hits = self.retrieve(query, top_k, doc_ids)
        ans.timings["retrieve_s"] = time.perf_counter() - t0
        ans.sources = hits
        if added := glossary_note(query, s):  # say what was searched beyond the question's own words
            ans.notes.append(added)
        evidence = self.evidence(query, hits)
        ans.timings["evidence"] = evidence.score
        support = self.support(query, hits)
        if (
            support is not None
        ):  # the features and score go into timings: --json and the eval records show them
            ans.timings.update(support.timings())
            evidence = Evidence(evidence.score, {**evidence.features, "answerability": support.score})
        if policy.refuse(evidence, hits):
            ans.refused, ans.text = True, REFUSAL
            # what the closest passages (listed with the refusal: ans.sources) mention and what they lack;
            # without the learned score this needs no profile and no embedding, only the library's term
            # frequencies
            found = self.sources.bm25() if support is None and hits else None
            why = support or answerability.Answerability(found[0] if found else None).features(query, hits)
            if why.note():
                ans.notes.append(why.note())
            return AnswerStream(ans, iter([REFUSAL]), lambda text: None)
        gen = self.generator(generator)
        count = prompt_token_counter(gen)
        budget = min(s.max_context_tokens, gen.context_window - s.max_answer_tokens)
        used = fit(question, hits, budget, count)
        llm = gen.name != "extractive"

        def pieces() -> Iterator[str]:
            first = True
            for p in gen.generate(question, used, s.max_answer_tokens):
                if first:
                    ans.timings["first_token_s"] = time.perf_counter() - t0
                    first = False
                yield p

        def checked(text: str) -> tuple[str, list, list[str]]:
            return citations.check(text, used, question, policy) if not is_refusal(text) else (text, [], [])

        def finish(text: str) -> None:
            ans.timings["total_s"] = time.perf_counter() - t0
            shown, cites, notes = checked(text)
            decision = policy.decide(
                evidence,
                shown or text,
                llm=llm,
                supported=bool(shown),
                grounded=citations.grounded(question, cites, policy.grounding_overlap),
            )
            if decision.action is Action.QUOTE:
                ans.notes += notes
                ans.notes.append(decision.reason)
                quote = "".join(self.generator("extractive").generate(question, used, s.max_answer_tokens))
                shown, cites, notes = checked(quote)
                decision = policy.decide(evidence, shown or quote, llm=False, supported=bool(shown))
            if decision.action is Action.REFUSE or not shown:
                ans.refused, ans.text, ans.citations = True, REFUSAL, []
                return
            # a URL/e-mail not quoted from a cited span is how a planted instruction exfiltrates
            # (rag/safety.py)
            ans.text, ans.citations = safety.drop_unsourced_links(shown, [c.span for c in cites]), cites
            ans.notes += notes
            if support is not None and support.score < policy.weak_support and support.note():
                ans.notes.append("weak support: " + support.note())
            if not cites:
                ans.notes.append("no sentence of the answer could be matched to a source")

        return AnswerStream(ans, pieces(), finish)

    def ask(self, question: str, **kwargs) -> Answer:
        return self.answer(question, **kwargs).collect()
