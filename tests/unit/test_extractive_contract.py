import pytest

from rag.generators import generators
from tests.contracts.generator import GeneratorContract


class TestExtractiveGenerator(GeneratorContract):
    @pytest.fixture
    def generator(self, settings):
        return generators.create("extractive", settings)
