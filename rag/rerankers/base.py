"""Reranker role: reorder retrieved hits. Plug a cross-encoder in here where one is available.

No cross-encoder weights ship on PyPI (checked: flashrank and small-hybrid-reranker download at run
time), so the default is "none": the fused hybrid order is the final order.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..errors import ConfigError
from ..registry import Registry
from ..settings import Settings
from ..types import Hit


@runtime_checkable
class Reranker(Protocol):
    name: str

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]: ...


rerankers: Registry[Reranker] = Registry("reranker")


@rerankers.register("none")
class NoReranker:
    name = "none"

    def __init__(self, settings: Settings | None = None) -> None:
        pass

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        return hits


@rerankers.register("cross-encoder")
class CrossEncoderReranker:
    """sentence-transformers CrossEncoder from a local path (RAG_RERANKER_PATH); none is packaged here."""

    name = "cross-encoder"

    def __init__(self, settings: Settings) -> None:
        if not settings.reranker_path:
            raise ConfigError(
                "reranker 'cross-encoder' needs RAG_RERANKER_PATH: a local cross-encoder model folder"
            )
        self.path = str(settings.reranker_path)
        self._model = None

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        if not hits:
            return hits
        if self._model is None:
            from sentence_transformers import CrossEncoder

            self._model = CrossEncoder(self.path, device="cpu")
        scores = self._model.predict([(query, h.chunk.text) for h in hits])
        for h, s in zip(hits, scores):
            h.score = float(s)
        return sorted(hits, key=lambda h: -h.score)
