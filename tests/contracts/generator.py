"""The behaviour every generator must have. A test module subclasses GeneratorContract and provides
a `generator` fixture; build the generator once per module so the model is loaded once.

Generators take the question and the retrieved hits (source n = hits[n - 1]), not a rendered prompt."""

from __future__ import annotations

import re

import pytest

from rag.generators.base import Generator
from rag.types import Chunk, Hit


def hit(text: str, n: int = 1, title: str = "Doc") -> Hit:
    return Hit(
        Chunk(
            id=f"c{n}",
            doc_id=f"d{n}",
            text=text,
            source=f"/docs/{n}.md",
            title=title,
            page=1,
            start=0,
            end=len(text),
            doc_type="md",
        ),
        1.0,
        dense=0.7,
    )


# A made-up fact, so a right answer proves the hits reached the generator.
QUESTION = (
    "When did the Zorblat footbridge open?",
    [
        hit("The Zorblat footbridge opened in 1923. It spans the river Quell.", 1, "Zorblat Bridge"),
        hit("Bananas are yellow and grow in bunches.", 2, "Fruit"),
    ],
)
ESSAY = (
    "Write a long, detailed essay about the history of bridges.",
    [hit("Bridges have been built since antiquity, first from wood and stone, later from iron and steel.")],
)


class GeneratorContract:
    @pytest.fixture
    def generator(self) -> Generator:
        raise NotImplementedError("the subclass provides a generator")

    def test_declares_name_and_context_window(self, generator):
        assert isinstance(generator, Generator)
        assert isinstance(generator.name, str) and generator.name
        assert isinstance(generator.context_window, int) and generator.context_window >= 512

    def test_streams_non_empty_text_pieces(self, generator):
        pieces = list(generator.generate(*QUESTION, max_tokens=32))
        assert pieces and all(isinstance(p, str) and p for p in pieces)
        assert "".join(pieces).strip()

    def test_answers_from_the_hits(self, generator):
        assert "1923" in "".join(generator.generate(*QUESTION, max_tokens=32))

    def test_citation_markers_point_at_given_hits(self, generator):
        text = "".join(generator.generate(*QUESTION, max_tokens=48))
        assert all(1 <= int(n) <= len(QUESTION[1]) for n in re.findall(r"\[(\d+)\]", text)), text

    def test_tiny_max_tokens_gives_short_output(self, generator):
        text = "".join(generator.generate(*ESSAY, max_tokens=4))
        assert text and len(text) <= 4 * 16, text  # a token is rarely more than a word

    def test_second_call_on_the_same_generator_works(self, generator):
        first = "".join(generator.generate(*QUESTION, max_tokens=16))
        second = "".join(generator.generate(*QUESTION, max_tokens=16))
        assert first.strip() and second.strip()

    def test_abandoned_stream_does_not_block_the_next_one(self, generator):
        stream = generator.generate(*ESSAY, max_tokens=64)
        assert next(stream)
        stream.close()
        assert "".join(generator.generate(*QUESTION, max_tokens=16)).strip()
