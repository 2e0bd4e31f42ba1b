"""Admin page under AppTest: no default password, lock/unlock, reindex, prune, evaluation panel."""

from __future__ import annotations

import json

import pytest
from appkit import EIFFEL, app, index_files, texts, wait_for_job, write

ADMIN = "views/admin.py"


@pytest.fixture(autouse=True)
def no_login_delay(monkeypatch):
    from app.services import admin

    monkeypatch.setattr(admin, "FAILED_LOGIN_DELAY_S", 0)


def login(at, password: str):
    at.text_input[0].input(password)
    at.form_submit_button[0].click().run()
    return at


def test_without_a_password_the_page_explains_and_offers_no_actions(app_env):
    at = app(ADMIN)
    assert not at.exception
    assert "no admin password is set" in at.warning[0].value
    assert "RAG_ADMIN_PASSWORD" in at.code[0].value and "admin_password" in at.code[1].value
    assert not at.button and not at.text_input and not at.form_submit_button


def test_wrong_password_stays_locked_right_one_unlocks_and_lock_locks(app_env, monkeypatch):
    monkeypatch.setenv("RAG_ADMIN_PASSWORD", "correct horse")
    at = login(app(ADMIN), "guess")
    assert at.error[0].value == "Wrong password." and not at.metric
    at = login(at, "correct horse")
    assert not at.exception
    assert [m.label for m in at.metric] == ["Documents", "Chunks", "Missing files"]
    assert {"Reindex everything", "Prune missing files", "Lock"} <= {b.label for b in at.button}
    [b for b in at.button if b.label == "Lock"][0].click().run()
    assert not at.metric and at.text_input[0].label == "Admin password"


def test_password_from_streamlit_secrets(app_env):
    at = login(app(ADMIN, admin_password="from-secrets"), "from-secrets")
    assert [m.label for m in at.metric][:1] == ["Documents"]


@pytest.mark.slow
def test_reindex_runs_in_the_background_and_switches_to_a_new_collection(app_env, monkeypatch):
    monkeypatch.setenv("RAG_ADMIN_PASSWORD", "pw")
    index_files(write(app_env, "eiffel.md", EIFFEL))
    at = login(app(ADMIN), "pw")
    from app import resources

    before = resources.library().status()["collection"]
    [b for b in at.button if b.label == "Reindex everything"][0].click().run()
    assert not at.exception
    job = wait_for_job(resources.jobs().latest("reindex").id)
    assert job.state == "done", job.error
    at.run()
    assert "the new index is live" in texts(at)
    after = resources.library().status()
    assert after["collection"] != before and after["documents"] == 1
    # chat answers from the new collection
    assert resources.answer_service().ask("When did the Eiffel Tower open?").citations


@pytest.mark.slow
def test_prune_forgets_files_deleted_from_disk(app_env, monkeypatch):
    monkeypatch.setenv("RAG_ADMIN_PASSWORD", "pw")
    keep = write(app_env, "eiffel.md", EIFFEL)
    gone = write(app_env, "other.md", "# Other\n\nSomething else entirely.\n")
    index_files(keep, gone)
    gone.unlink()
    at = login(app(ADMIN), "pw")
    assert at.metric[2].value == "1"
    [b for b in at.button if b.label == "Prune missing files"][0].click().run()
    assert "Pruned 1 missing file" in texts(at)
    assert [m.value for m in at.metric] == ["1", "1", "0"]


@pytest.mark.slow
def test_evaluation_panel_shows_the_metrics_table(app_env, monkeypatch):
    monkeypatch.setenv("RAG_ADMIN_PASSWORD", "pw")
    beir = app_env / "data" / "eval" / "tiny"  # where the panel looks for BEIR folders
    (beir / "qrels").mkdir(parents=True)
    docs = [
        ("d1", "Eiffel Tower", "The Eiffel Tower opened in 1889 in Paris."),
        ("d2", "Photosynthesis", "Plants turn light, water and carbon dioxide into sugar."),
        ("d3", "Volcanoes", "Magma rises through the crust and erupts as lava."),
    ]
    queries = [("q1", "when did the eiffel tower open"), ("q2", "how do plants make sugar")]
    corpus = [json.dumps({"_id": i, "title": t, "text": x}) for i, t, x in docs]
    (beir / "corpus.jsonl").write_text("\n".join(corpus))
    (beir / "queries.jsonl").write_text("\n".join(json.dumps({"_id": i, "text": q}) for i, q in queries))
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")
    at = login(app(ADMIN), "pw")
    at.selectbox[0].set_value(str(beir))
    [b for b in at.form_submit_button if b.label == "Run retrieval evaluation"][0].click().run()
    from app import resources

    job = wait_for_job(resources.jobs().latest("eval").id, timeout=300)
    if job.state == "failed" and "evaluation module unavailable" in job.error:
        pytest.skip(job.error)
    assert job.state == "done", job.error
    at.run()
    table = at.dataframe[-1].value
    assert "method" in table.columns and len(table) >= 1
