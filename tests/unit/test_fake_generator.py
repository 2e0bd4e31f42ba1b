import pytest

from rag.generators import generators
from rag.generators.fake import FakeGenerator
from rag.policy import REFUSAL
from tests.contracts.generator import QUESTION, GeneratorContract, hit


class TestFakeGenerator(GeneratorContract):
    @pytest.fixture
    def generator(self, settings):
        return generators.create("fake", settings)


def test_canned_reply_quotes_the_first_hit_with_its_marker():
    assert "".join(FakeGenerator().generate(*QUESTION)) == "The Zorblat footbridge opened in 1923. [1]"


def test_no_hits_gives_the_refusal():
    assert "".join(FakeGenerator().generate("Anything?", [])) == REFUSAL


def test_scripted_replies_come_in_turn_and_the_last_repeats():
    gen = FakeGenerator(["First. [1]", "Wrong claim. [2]"])
    hits = [hit("Alpha.")]
    assert [("".join(gen.generate("q?", hits))) for _ in range(3)] == [
        "First. [1]",
        "Wrong claim. [2]",
        "Wrong claim. [2]",
    ]
    assert gen.calls[0] == ("q?", hits)
