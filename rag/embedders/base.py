"""Embedder role: texts in, L2-normalized vectors out, with query/document asymmetry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, Sequence, runtime_checkable

import numpy as np

from ..registry import Registry


@dataclass(frozen=True)
class ModelSpec:
    """What the pipeline must know about an embedding model beyond its weights."""

    name: str
    path: Callable[[], str]  # resolves the packaged weights (offline)
    dimension: int
    max_tokens: int  # input window in the model's own tokens, special tokens included
    query_prefix: str = ""
    document_prefix: str = ""


@runtime_checkable
class Embedder(Protocol):
    spec: ModelSpec
    runtime: str

    @property
    def name(self) -> str: ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


def truncate(vecs: np.ndarray, dimension: int) -> np.ndarray:
    """Matryoshka models (EmbeddingGemma) are trained so that a prefix of the vector is itself an embedding:
    keep the first `dimension` values and re-normalize. A no-op for vectors already of that size."""
    if vecs.shape[-1] <= dimension:
        return vecs
    cut = vecs[..., :dimension]
    return (cut / np.maximum(np.linalg.norm(cut, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


embedders: Registry[Embedder] = Registry("embedder runtime")
MODELS: dict[str, ModelSpec] = {}


def model_spec(name: str) -> ModelSpec:
    from ..errors import ConfigError

    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"unknown embedding model {name!r}; packaged models: {sorted(MODELS)}") from None
