"""Embedders: `create_embedder(settings)` picks the packaged model and runtime named in the settings."""

from __future__ import annotations

from ..settings import Settings
from . import fake, models, onnx_runtime, sentence_transformer  # noqa: F401  (register the built-ins)
from .base import MODELS, Embedder, ModelSpec, embedders, model_spec


def create_embedder(settings: Settings) -> Embedder:
    return embedders.create(
        settings.embedder_runtime, model_spec(settings.embedder), settings.embed_batch_size
    )


__all__ = ["Embedder", "ModelSpec", "MODELS", "create_embedder", "embedders", "model_spec"]
