"""Every registered reranker passes the reranker contract. No cross-encoder weights ship on PyPI, so the
cross-encoder wrapper runs over a stand-in model that scores by shared words (the wrapper is under test)."""

import sys
import types

import pytest

from rag.rerankers import rerankers
from tests.contracts.reranker import RerankerContract


class WordOverlapCrossEncoder:
    def __init__(self, path: str, device: str = "cpu") -> None:
        self.path = path

    def predict(self, pairs):
        return [len(set(q.lower().split()) & set(t.lower().split())) / 10 for q, t in pairs]


def _cross_encoder(settings, monkeypatch, tmp_path):
    stand_in = types.SimpleNamespace(CrossEncoder=WordOverlapCrossEncoder)
    monkeypatch.setitem(sys.modules, "sentence_transformers", stand_in)
    return rerankers.create("cross-encoder", settings.model_copy(update={"reranker_path": tmp_path}))


BUILDERS = {
    "none": lambda settings, monkeypatch, tmp_path: rerankers.create("none", settings),
    "cross-encoder": _cross_encoder,
}


@pytest.fixture(params=rerankers.names())
def name(request) -> str:
    if request.param not in BUILDERS:
        pytest.fail(f"reranker {request.param!r} has no builder in {__file__}")
    return request.param


class TestEveryReranker(RerankerContract):
    @pytest.fixture
    def reranker(self, name, settings, monkeypatch, tmp_path):
        return BUILDERS[name](settings, monkeypatch, tmp_path)
