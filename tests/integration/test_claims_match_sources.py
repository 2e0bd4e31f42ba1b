"""Issue 12: no answer sentence shown as cited states a figure its cited span lacks, over every XQuAD-en and
FinanceBench question (the index is the evaluation cache `rag eval answers` builds and reuses)."""

from __future__ import annotations

import pytest

from app.eval import DEFAULT_CACHE
from app.eval.answers import load
from app.eval.cache import cached_index, fingerprint
from rag import Settings
from rag.claims import figures_not_in_span
from rag.service import AnswerService

pytestmark = pytest.mark.slow
LOCAL_SAMPLE = 12


def _service(folder, generator: str = "extractive", **settings) -> tuple[AnswerService, list]:
    qa = load(folder)
    names = {f.name: f for f in qa.files}
    files = qa.files if qa.index_all else [names[d] for d in sorted({q.doc for q in qa.questions})]
    s = Settings(_env_file=None, generator=generator, **settings)
    index, _ = cached_index(
        s, DEFAULT_CACHE, f"qa/{qa.name}", fingerprint(files, [f.name for f in files]), files
    )
    return AnswerService(index.settings, index), qa.questions


def _violations(service: AnswerService, questions) -> tuple[list, int]:
    bad, cited = [], 0
    for q in questions:
        a = service.ask(q.text)
        cited += bool(a.citations)
        bad += [(q.id, *v) for v in figures_not_in_span(a.text, a.citations, q.text)]
    return bad, cited


@pytest.mark.parametrize("dataset", ["xquad_en", "financebench"])
def test_no_cited_sentence_states_a_figure_its_span_lacks(shared_eval, dataset):
    service, questions = _service(shared_eval / dataset)
    bad, cited = _violations(service, questions)
    assert cited >= len(questions) // 3, "too few cited answers for the check to mean anything"
    assert bad == [], f"{len(bad)} cited sentences state figures their span lacks, e.g. {bad[:3]}"


@pytest.mark.llm
def test_local_model_answers_on_financebench_never_cite_a_figure_their_span_lacks(shared_eval):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python not installed (make setup)")
    model = "qwen2.5-coder-0.5b-instruct-q4_k_m"
    if not (Settings(_env_file=None).models_dir / f"{model}.gguf").is_file():
        pytest.skip("local GGUF missing: run `rag setup models`")
    service, questions = _service(
        shared_eval / "financebench", "local", local_model=model, local_context=2048, max_context_tokens=1200
    )
    # the 0.5B model takes ~20 s an answer on 2 cores: a bounded sample keeps CI well inside its limit
    bad, _ = _violations(service, questions[:LOCAL_SAMPLE])
    assert bad == [], f"{len(bad)} cited sentences state figures their span lacks, e.g. {bad[:3]}"
