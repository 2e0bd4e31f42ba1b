"""The behaviour every generator must have. A test module subclasses GeneratorContract and provides
a `generator` fixture; build the generator once per module so the model is loaded once."""
from __future__ import annotations

import pytest

from rag.generators.base import Generator
from rag.types import system, user

# A made-up fact, so a right answer proves the messages reached the model.
QUESTION = [
    system("Answer in one short sentence using only the context."),
    user("Context: [1] The Zorblat footbridge opened in 1923.\n\n"
         "Question: When did the Zorblat footbridge open?"),
]
ESSAY = [user("Write a long, detailed essay about the history of bridges.")]


class GeneratorContract:
    @pytest.fixture
    def generator(self) -> Generator:
        raise NotImplementedError("the subclass provides a generator")

    def test_declares_name_and_context_window(self, generator):
        assert isinstance(generator, Generator)
        assert isinstance(generator.name, str) and generator.name
        assert isinstance(generator.context_window, int) and generator.context_window >= 512

    def test_streams_non_empty_text_pieces(self, generator):
        pieces = list(generator.generate(QUESTION, max_tokens=32))
        assert pieces and all(isinstance(p, str) and p for p in pieces)
        assert "".join(pieces).strip()

    def test_answers_from_the_messages(self, generator):
        assert "1923" in "".join(generator.generate(QUESTION, max_tokens=32))

    def test_tiny_max_tokens_gives_short_output(self, generator):
        text = "".join(generator.generate(ESSAY, max_tokens=4))
        assert len(text) <= 4 * 16, text  # a token is rarely more than a word

    def test_second_call_on_the_same_generator_works(self, generator):
        first = "".join(generator.generate(QUESTION, max_tokens=16))
        second = "".join(generator.generate(QUESTION, max_tokens=16))
        assert first.strip() and second.strip()

    def test_abandoned_stream_does_not_block_the_next_one(self, generator):
        stream = generator.generate(ESSAY, max_tokens=64)
        assert next(stream)
        stream.close()
        assert "".join(generator.generate(QUESTION, max_tokens=16)).strip()
