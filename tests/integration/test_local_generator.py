from __future__ import annotations

import pytest

from rag.errors import GeneratorError
from rag.generators.base import generators
from rag.generators.local import LocalGenerator
from rag.settings import Settings
from rag.types import user
from tests.contracts.generator import GeneratorContract

pytestmark = [pytest.mark.llm, pytest.mark.slow]

MODEL_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m"
MODEL = Settings().models_dir / f"{MODEL_NAME}.gguf"


@pytest.fixture(scope="module")
def local_generator() -> LocalGenerator:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python not installed (make setup)")
    if not MODEL.is_file():
        pytest.skip(f"{MODEL} missing: run `python -m rag.local_models {MODEL_NAME}`")
    return LocalGenerator(MODEL, context_window=2048, threads=2)


class TestLocalGenerator(GeneratorContract):
    @pytest.fixture
    def generator(self, local_generator):
        return local_generator


def test_model_is_loaded_once(local_generator):
    "".join(local_generator.chat([user("Hi")], max_tokens=2))
    llm = local_generator._llm
    "".join(local_generator.chat([user("Hi")], max_tokens=2))
    assert llm is not None and local_generator._llm is llm


def test_count_tokens_uses_the_model_tokenizer(local_generator):
    assert local_generator.count_tokens("") == 0
    assert local_generator.count_tokens("hello world") == 2
    assert local_generator.count_tokens("<|im_start|>") == 1  # special tokens count as one


def test_prompt_longer_than_the_context_is_a_generator_error(local_generator):
    with pytest.raises(GeneratorError, match="RAG_MAX_CONTEXT_TOKENS"):
        "".join(local_generator.chat([user("word " * 3000)], max_tokens=8))


def test_missing_model_says_how_to_fix_it(tmp_path):
    with pytest.raises(GeneratorError, match="make setup"):
        LocalGenerator(tmp_path / "absent.gguf")


def test_factory_takes_model_and_limits_from_settings():
    if not MODEL.is_file():
        pytest.skip(f"{MODEL} missing")
    gen = generators.create("local", Settings(_env_file=None, local_model=MODEL_NAME, local_context=1024))
    assert gen.model_path == MODEL and gen.context_window == 1024 and gen._llm is None
