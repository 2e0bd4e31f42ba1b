"""The int8 ONNX runtime passes the embedder contract and stays interchangeable with the torch reference."""

from __future__ import annotations

import numpy as np
import pytest

from rag import Settings
from rag.embedders import create_embedder
from tests.contracts.embedder import EmbedderContract

TEXTS = [
    "The Eiffel Tower opened in 1889.",
    "Vitamin D supplementation and fracture risk in the elderly. " * 6,
    "x",
    "Quarterly revenue grew 4.2% to $1,577 million, driven by services. " * 30,
]


@pytest.fixture(scope="module")
def onnx():
    from rag.embedders import onnx_runtime

    settings = Settings(_env_file=None, embedder_runtime="onnx")
    if not (onnx_runtime.model_dir(onnx_runtime.model_spec(settings.embedder)) / "model.onnx").is_file():
        pytest.skip("ONNX embedder not built: run `python -m rag.embedders.onnx_runtime build` (make setup)")
    return create_embedder(settings)


class TestOnnxEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, onnx):
        return onnx


def test_counts_tokens_exactly_like_torch_so_chunks_are_identical(onnx, torch_embedder):
    assert onnx.count_tokens(TEXTS) == torch_embedder.count_tokens(TEXTS)


@pytest.mark.slow
def test_vectors_match_the_torch_reference(onnx, torch_embedder):
    # int8 weights and per-batch activation scales: close to the reference, not equal to it
    cos = np.sum(onnx.embed_documents(TEXTS) * torch_embedder.embed_documents(TEXTS), axis=1)
    assert cos.min() > 0.97, cos
    q = "When did the Eiffel Tower open?"
    assert float(onnx.embed_query(q) @ torch_embedder.embed_query(q)) > 0.98


def test_the_default_runtime_is_onnx_and_the_manifest_records_it(settings):
    from rag.index import Index

    assert Settings(_env_file=None).embedder_runtime == "onnx"
    assert Index(settings).config.runtime == "onnx"


def test_building_again_is_a_no_op(onnx):
    import time

    from rag.embedders import onnx_runtime

    t = time.perf_counter()
    onnx_runtime.build(onnx.spec)
    assert time.perf_counter() - t < 5  # recipe unchanged: nothing is exported again
