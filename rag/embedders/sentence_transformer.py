"""Reference embedder runtime: sentence-transformers on CPU torch."""

from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

from .base import ModelSpec, embedders, truncate


class SentenceTransformerEmbedder:
    runtime = "torch"

    def __init__(self, spec: ModelSpec, batch_size: int = 64) -> None:
        self.spec = spec
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def model(self):
        with self._lock:  # several UI sessions may ask at once; load once
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(self.spec.path(), device="cpu")
                self._model.max_seq_length = self.spec.max_tokens
        return self._model

    @property
    def tokenizer(self):
        return self.model.tokenizer

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.spec.document_prefix + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self.spec.query_prefix + text])[0]

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.spec.dimension), dtype=np.float32)
        vecs = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return truncate(vecs.astype(np.float32), self.spec.dimension)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        enc = self.tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in enc]


@embedders.register("torch")
def _factory(spec: ModelSpec, batch_size: int = 64) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(spec, batch_size)
