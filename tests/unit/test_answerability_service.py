"""The answerability score inside AnswerService: features in timings, refusal with a note,
per-library profile."""

from __future__ import annotations

import json

import pytest
from fakelib import fake_library

from rag import Settings
from rag.embedders import create_embedder
from rag.index import Index
from rag.service import AnswerService
from rag.store.memory import MemoryBackend

DOCS = {
    "bridges.md": "# Zorblat Bridge\n\nThe Zorblat footbridge was opened in 1923 by mayor Ilse Varnhagen. "
    "It spans the river Quell.\n\nThe bridge was repainted green in 1987.",
    "tower.md": "# Eiffel Tower\n\nThe Eiffel Tower opened in 1889 for the World's Fair in Paris. "
    "It is 330 metres tall and was designed by the engineering firm of Gustave Eiffel.",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    index = fake_library(
        tmp_path_factory.mktemp("answerability"),
        DOCS,
        generator="extractive",
        refusal_score="answerability",
        answerability_threshold=0.0,
    )
    return index.settings, index


def test_features_and_score_are_in_the_answer_timings(built):
    settings, index = built
    a = AnswerService(settings, index).ask("When was the Zorblat footbridge opened?")
    assert 0.0 <= a.timings["answerability"] <= 1.0
    assert {"answerability.sent", "answerability.cos", "answerability.kind_miss"} <= set(a.timings)
    assert not a.refused  # threshold 0: the score is shown, never used to refuse


def test_below_the_threshold_refuses_and_says_what_is_missing(built):
    settings, index = built
    strict = settings.model_copy(update={"answerability_threshold": 1.0})
    a = AnswerService(strict, index).ask("Who repainted the Zorblat footbridge in 1987?")
    assert a.refused and a.sources  # the closest passages are still listed
    assert any(n.startswith("the documents mention") for n in a.notes)


def test_evidence_score_ignores_answerability(built):
    settings, index = built
    old = settings.model_copy(update={"refusal_score": "evidence", "refusal_threshold": 0.0})
    a = AnswerService(old, index).ask("When was the Zorblat footbridge opened?")
    assert "answerability" not in a.timings and not a.refused


def test_a_big_enough_library_gets_its_own_profile_saved_once(tmp_path):
    from ingest import Ingestor
    from rag import answerability_profile

    docs = tmp_path / "docs"
    docs.mkdir()
    for d in range(3):
        paras = [
            f"Section {i} of report {d}: revenue in region {i} grew because volumes in market {i} rose "
            f"and prices for product line {i} held."
            for i in range(12)
        ]
        (docs / f"r{d}.md").write_text(f"# Report {d}\n\n" + "\n\n".join(paras))
    settings = Settings(
        data_dir=tmp_path / "data",
        _env_file=None,
        embedder="fake",
        embedder_runtime="fake",
        chunk_tokens=40,
        chunk_overlap=0,
        refusal_score="answerability",
    )
    index = Index(settings, backend=MemoryBackend(), embedder=create_embedder(settings))
    assert not Ingestor(index).ingest([docs]).failed
    service = AnswerService(settings, index)
    a = service.ask("How much did revenue grow in region 3?")
    saved = list((settings.data_dir / "answerability").glob("*.json"))
    assert len(saved) == 1 and json.loads(saved[0].read_text())["n"] > 0
    prof = json.loads(saved[0].read_text())["means"]
    assert a.timings["answerability.null.cos"] == pytest.approx(prof["cos"], abs=1e-4)
    assert prof != answerability_profile.DEFAULT_NULL


def test_a_refusal_by_the_evidence_score_also_says_what_is_missing(built):
    settings, index = built
    old = settings.model_copy(update={"refusal_score": "evidence", "refusal_threshold": 2.0})
    a = AnswerService(old, index).ask("Who repainted the Zorblat footbridge in 1987?")
    assert a.refused and a.sources and "answerability" not in a.timings
    assert any(n.startswith("the documents mention") for n in a.notes)
