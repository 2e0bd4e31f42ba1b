"""A deterministic generator for hermetic tests (as simonw/llm's MockModel): no model, no network.

Scripted: `FakeGenerator(["The answer is 42. [1]"])` replies with those texts in turn (the last one
repeats), whatever the hits say: a test can make it claim anything, wrong citations included.
Canned (no script): the hits' sentence sharing the most words with the question (the first one on a
tie; Markdown headings skipped), cited with its source's number; with no hits, the refusal. Either
way the reply is streamed a word at a time and cut at `max_tokens` words, like a real model.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from ..policy import REFUSAL
from ..settings import Settings
from ..text import sentences, words
from ..types import Hit
from .base import generators


class FakeGenerator:
    name = "fake"
    context_window = 4096

    def __init__(self, replies: Sequence[str] = ()) -> None:
        self.replies = list(replies)
        self.calls: list[tuple[str, list[Hit]]] = []  # what each generate() got, for assertions

    def reply(self, question: str, hits: Sequence[Hit]) -> str:
        if self.replies:
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        asked = set(words(question))
        best, reply = 0, REFUSAL
        for n, h in enumerate(hits, 1):
            text = h.chunk.text
            for a, b in sentences(text):
                shared = len(asked & set(words(text[a:b])))
                if not text.startswith("#", a) and (shared > best or reply == REFUSAL):
                    best, reply = shared, f"{text[a:b]} [{n}]"
        return reply

    def generate(self, question: str, hits: Sequence[Hit], max_tokens: int = 256) -> Iterator[str]:
        self.calls.append((question, list(hits)))
        pieces = self.reply(question, hits).split(" ")[:max_tokens]
        for i, w in enumerate(pieces):
            yield (" " if i else "") + w


@generators.register("fake")
def _factory(settings: Settings | None = None, *, embedder=None) -> FakeGenerator:
    return FakeGenerator()
