"""Documents page under AppTest: server-side upload checks, background ingest, duplicates, table;
removal is on the admin page."""

from __future__ import annotations

import pytest
from appkit import EIFFEL, app, texts, wait_for_job

DOCS = "views/documents.py"


def upload(at, *files):
    at.file_uploader[0].set_value(list(files))
    at.form_submit_button[0].click().run()
    return at


def test_bad_files_are_rejected_on_the_server_with_a_reason_each(app_env, monkeypatch):
    monkeypatch.setenv("RAG_UPLOAD_MAX_MB", "0.001")  # 1 kB; the widget's own limit is not relied on
    at = upload(
        app(DOCS),
        ("scan.pdf", b"GIF89a not a pdf", "application/pdf"),
        ("empty.md", b"", "text/markdown"),
        ("big.txt", b"word " * 400, "text/plain"),
    )
    assert not at.exception
    shown = texts(at)
    assert "0 of 3 files indexed, 3 failed" in at.status[0].label and at.status[0].state == "error"
    assert "not a real PDF file" in shown and "empty: 0 bytes" in shown and "too large" in shown
    assert at.session_state["ingest_job"] is None  # nothing reached the index
    assert not list((app_env / "data" / "uploads").glob("*"))
    assert "No documents yet" in shown


@pytest.mark.slow
def test_upload_indexes_reports_duplicates_and_lists(app_env):
    at = upload(
        app(DOCS),
        ("eiffel.md", EIFFEL.encode(), "text/markdown"),
        ("notes.txt", b"\x00\x01binary", "text/plain"),
    )
    job = wait_for_job(at.session_state["ingest_job"])
    assert job.state == "done"
    at.run()
    shown = texts(at)
    assert "1 of 2 files indexed, 1 failed" in at.status[0].label
    assert "indexed as “Eiffel Tower”" in shown and "binary content" in shown
    assert not (app_env / "data" / "uploads" / "notes.txt").exists()  # failed uploads are not kept
    rows = at.dataframe[0].value
    assert list(rows["Title"]) == ["Eiffel Tower"] and rows["Chunks"][0] >= 1

    # the same bytes again, under another name too: reported, not indexed twice
    at = upload(
        at, ("eiffel.md", EIFFEL.encode(), "text/markdown"), ("copy.md", EIFFEL.encode(), "text/markdown")
    )
    wait_for_job(at.session_state["ingest_job"])
    at.run()
    assert texts(at).count("already indexed as") == 2
    assert len(at.dataframe[0].value) == 1

    at.text_input[0].input("nothing like it").run()
    assert len(at.dataframe[0].value) == 0 and "0 of 1 document" in texts(at)
    at.text_input[0].input("eiffel").run()
    assert len(at.dataframe[0].value) == 1

    # removing is an admin action (issue 14 item 1): not offered here
    assert "Remove" not in {b.label for b in at.button} and not at.multiselect
    assert "admin action" in texts(at)
