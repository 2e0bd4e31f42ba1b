"""EmbeddingGemma's int8 ONNX runtime (`rag setup onnx --model embeddinggemma-300m`, opt-in) passes the
embedder contract and stays close to the torch reference."""

from __future__ import annotations

import numpy as np
import pytest

from rag import Settings
from rag.embedders import create_embedder, model_spec
from tests.contracts.embedder import EmbedderContract

pytestmark = pytest.mark.slow

TEXTS = [
    "The Eiffel Tower opened in 1889.",
    "Vitamin D supplementation and fracture risk in the elderly. " * 6,
    "x",
    "Quarterly revenue grew 4.2% to $1,577 million, driven by services. " * 30,
]


def _settings(runtime: str) -> Settings:
    return Settings(_env_file=None, embedder="embeddinggemma-300m", embedder_runtime=runtime)


@pytest.fixture(scope="module")
def gemma_onnx():
    from rag.embedders import onnx_runtime

    if not (onnx_runtime.model_dir(model_spec("embeddinggemma-300m")) / "model.onnx").is_file():
        pytest.skip(
            "Gemma ONNX not built: run `make gemma-onnx` (rag setup onnx --model embeddinggemma-300m)"
        )
    return create_embedder(_settings("onnx"))


@pytest.fixture(scope="module")
def gemma_torch():
    return create_embedder(_settings("torch"))


class TestGemmaOnnxEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, gemma_onnx):
        return gemma_onnx


def test_counts_tokens_exactly_like_torch_so_chunks_are_identical(gemma_onnx, gemma_torch):
    assert gemma_onnx.count_tokens(TEXTS) == gemma_torch.count_tokens(TEXTS)


def test_the_build_keeps_gemmas_outlier_matmuls_in_fp32(gemma_onnx):
    import json

    assert (
        "except mlp down_proj" in json.loads((gemma_onnx.folder / "build.json").read_text())["quantization"]
    )


def test_vectors_match_the_torch_reference(gemma_onnx, gemma_torch):
    # int8 weights and per-batch activation scales: close to the reference, not equal to it (measured
    # 0.99/0.98/0.99/0.94 here; with every MatMul int8 it was 0.94/0.91/0.96/0.78, which this rejects)
    cos = np.sum(gemma_onnx.embed_documents(TEXTS) * gemma_torch.embed_documents(TEXTS), axis=1)
    assert cos.min() > 0.9, cos
    q = "When did the Eiffel Tower open?"
    assert float(gemma_onnx.embed_query(q) @ gemma_torch.embed_query(q)) > 0.98
