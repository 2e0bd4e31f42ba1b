"""The deterministic fake embedder passes the same contract as the real runtimes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag import Settings
from rag.embedders import create_embedder, embedders, model_spec
from rag.embedders.fake import FakeEmbedder
from tests.contracts.embedder import EmbedderContract

ROOT = Path(__file__).resolve().parents[2]


class TestFakeEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self):
        return create_embedder(Settings(_env_file=None, embedder="fake", embedder_runtime="fake"))


def test_is_registered_as_a_runtime_and_a_model():
    assert "fake" in embedders.names() and model_spec("fake").dimension == 64


def test_vectors_are_the_same_in_every_process_and_call():
    a, b = FakeEmbedder(model_spec("fake")), FakeEmbedder(model_spec("fake"))
    v = a.embed_query("The Eiffel Tower opened in 1889.")
    # words count, not case or punctuation
    assert np.array_equal(v, b.embed_query("the eiffel tower opened in 1889"))
    # another process with another hash seed: Python's own hash() would differ and break a stored index
    code = (
        "from rag.embedders.fake import FakeEmbedder; from rag.embedders import model_spec; "
        "e = FakeEmbedder(model_spec('fake')); "
        "print(e.embed_query('The Eiffel Tower opened in 1889.').tolist())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONHASHSEED": "123"},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert np.allclose(json.loads(out), v)


def test_a_text_without_words_still_gets_a_unit_vector():
    v = FakeEmbedder(model_spec("fake")).embed_documents(["", "!!!"])
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0)
