"""A deterministic stand-in embedder for hermetic tests: no model, no download, microseconds per text.

Each word (lower-cased) is hashed to one of `dimension` axes with a sign; a text's vector is the normalized
sum, so texts that share words are near each other and the contract tests hold. Select it with
RAG_EMBEDDER=fake RAG_EMBEDDER_RUNTIME=fake. Not for real use: it knows nothing of meaning.
"""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np

from .base import MODELS, ModelSpec, embedders

_TOKEN = re.compile(r"\w+|[^\w\s]")


def _no_weights() -> str:
    return ""  # nothing to load


MODELS["fake"] = ModelSpec(name="fake", path=_no_weights, dimension=64, max_tokens=256)


class FakeEmbedder:
    runtime = "fake"

    def __init__(self, spec: ModelSpec, batch_size: int = 64) -> None:
        self.spec = spec
        self.batch_size = batch_size

    @property
    def name(self) -> str:
        return self.spec.name

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.spec.dimension, np.float32)
        for word in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            v[h % self.spec.dimension] += 1.0 if (h >> 32) & 1 else -1.0
        norm = float(np.linalg.norm(v))
        if norm == 0.0:  # no words at all: a fixed unit vector, still normalized
            v[0], norm = 1.0, 1.0
        return v / norm

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.spec.dimension), np.float32)
        return np.stack([self._vector(self.spec.document_prefix + t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(self.spec.query_prefix + text)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_TOKEN.findall(t)) for t in texts]


@embedders.register("fake")
def _factory(spec: ModelSpec, batch_size: int = 64) -> FakeEmbedder:
    return FakeEmbedder(spec, batch_size)
