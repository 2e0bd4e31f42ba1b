"""The library pieces behind the app pages: upload checks, jobs, page previews, escaping, admin helpers."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest

from rag import ConfigError, DocumentError
from rag.errors import IndexBusyError, UnsupportedTypeError
from tests.conftest import make_pdf


# uploads ------------------------------------------------------------------------------------------
def test_safe_name_strips_folders_and_odd_characters():
    from app.services.library import safe_name

    assert safe_name("../../etc/passwd.md") == "passwd.md"
    assert safe_name("C:\\Users\\me\\Report <final>.PDF") == "Report _final.pdf"
    assert safe_name(".hidden.txt") == "hidden.txt"
    assert safe_name("....md") == "document.md"


@pytest.mark.parametrize(
    "name, data, error, message",
    [
        ("tool.exe", b"MZ...", UnsupportedTypeError, "unsupported type '.exe'"),
        ("notes", b"text", UnsupportedTypeError, "(no extension)"),
        ("empty.md", b"", DocumentError, "empty"),
        ("fake.pdf", b"<html>not a pdf</html>", DocumentError, "not a real PDF"),
        ("fake.docx", b"plain text", DocumentError, "not a real DOCX"),
        ("big.txt", b"x" * 1_100_000, DocumentError, "too large (1.1 MB > limit 1 MB)"),
    ],
)
def test_uploads_are_checked_on_the_server(name, data, error, message):
    from app.services.library import check_upload

    with pytest.raises(error) as e:
        check_upload(name, data, max_mb=1)
    assert message in str(e.value)


def test_save_upload_reuses_identical_bytes_and_numbers_other_ones(settings):
    from app.services.library import Library
    from rag.index import Index

    lib = Library(Index(settings))
    a = lib.save_upload("notes.md", b"# A\n\none")
    assert a.parent == settings.uploads_dir.resolve() and a.read_bytes() == b"# A\n\none"
    assert lib.save_upload("notes.md", b"# A\n\none") == a
    b = lib.save_upload("notes.md", b"# B\n\ntwo")
    assert b.name == "notes (2).md" and a.read_bytes() == b"# A\n\none"
    assert not list(settings.uploads_dir.glob(".upload-*"))  # no temp files left behind
    with pytest.raises(DocumentError):
        lib.save_upload("x.pdf", b"nope")
    assert not (settings.uploads_dir / "x.pdf").exists()


def test_describe_says_what_happened_to_each_file():
    from app.services.library import describe
    from ingest.pipeline import FileResult

    indexed = FileResult("a.pdf", "indexed", "", "d", "Guide", 3, 12)
    assert describe(indexed) == "indexed as “Guide”: 3 pages, 12 chunks"
    unchanged = FileResult("a.pdf", "unchanged", doc_id="d", title="Guide")
    assert describe(unchanged) == "already indexed as “Guide”"
    dup = FileResult("b.pdf", "duplicate", "same content already indexed as 'Guide'")
    assert "already indexed as 'Guide'" in describe(dup)
    assert describe(FileResult("c.pdf", "failed", "empty: 0 bytes")) == "empty: 0 bytes"


# jobs ---------------------------------------------------------------------------------------------
def test_jobs_report_progress_results_and_errors_and_keep_one_per_lane():
    from app.services.jobs import Jobs

    jobs = Jobs()
    gate = threading.Event()

    def work(job):
        job.progress(1, 2, "/x/a.pdf")
        gate.wait(5)
        return "ok"

    job = jobs.start("reindex", work)
    with pytest.raises(IndexBusyError, match="reindex already in progress"):
        jobs.start("ingest", lambda j: None)
    other = jobs.start("eval", lambda j: 42, lane="eval")  # another lane is free
    assert jobs.wait(other, 5) and other.result == 42
    assert job.running and job.fraction == 0.5
    gate.set()
    assert jobs.wait(job, 5) and job.state == "done" and job.result == "ok"
    assert jobs.latest("reindex") is job

    def boom(job):
        raise ConfigError("the model is missing")

    failed = jobs.start("ingest", boom)
    assert jobs.wait(failed, 5) and failed.state == "failed" and failed.error == "the model is missing"
    crashed = jobs.start("ingest", lambda j: 1 / 0)
    assert jobs.wait(crashed, 5) and crashed.state == "failed" and "ZeroDivisionError" in crashed.error


# page previews ------------------------------------------------------------------------------------
def test_find_span_tolerates_line_breaks_and_spacing():
    from app.services.pages import find_span

    page = "Intro.\r\nThe turbine was installed in 2011 at the\r\nnorthern harbour. It produces power."
    start, count = find_span(page, "The turbine was installed in 2011 at the northern harbour.")
    found = page[start : start + count]
    assert found.startswith("The turbine") and found.endswith("harbour.")
    assert find_span(page, "nothing like this is on the page at all") is None


def test_render_page_draws_the_cited_span(tmp_path):
    from PIL import Image

    from app.services.pages import HIGHLIGHT, render_page

    span = "The Zephyr turbine was installed in 2011."
    pdf = make_pdf(tmp_path / "t.pdf", ["Cover page.", f"{span} It produces 4.2 MW."])
    plain = Image.open(io.BytesIO(render_page(pdf, 2, width=600)))
    marked = Image.open(io.BytesIO(render_page(pdf, 2, span, width=600)))
    assert plain.size == marked.size and plain.width == 600
    px = np.asarray(marked.convert("RGB")).reshape(-1, 3).astype(int)
    amber = (px[:, 2] < 200) & (px[:, 0] > 240) & (px[:, 1] > 200)
    assert amber.sum() > 500 and HIGHLIGHT[3] < 255
    part = Image.open(io.BytesIO(render_page(pdf, 2, span, 600, excerpt=True)))
    assert part.width == 600 and plain.height * 0.2 < part.height < plain.height * 0.5
    with pytest.raises(DocumentError, match="no page 9"):
        render_page(pdf, 9)
    with pytest.raises(DocumentError, match="no longer available"):
        render_page(tmp_path / "gone.pdf", 1)


# rendering helpers --------------------------------------------------------------------------------
def test_document_text_cannot_inject_markdown_links_images_or_html():
    from markdown_it import MarkdownIt

    from app.components import answer_markdown, escape_md, highlighted

    md = MarkdownIt("commonmark", {"html": True, "linkify": True})  # as permissive as a renderer gets
    evil = (
        "![x](http://evil.example/p.png) [click](javascript:alert(1)) <img src=x onerror=alert(1)>\n"
        "# Heading\n- item\n<https://evil.example> $x$ :red[hi] **bold**"
    )
    html = md.render(escape_md(evil))
    for tag in ("<img", "<a ", "<h1", "<li", "<strong"):
        assert tag not in html
    assert md.render(escape_md("a.b_c*d")).strip() == "<p>a.b_c*d</p>"
    marked = highlighted(f"Before. {evil} After.", evil)
    assert marked.count(":orange-background[") == 1 and "<img" not in md.render(marked)
    linked = answer_markdown("It opened in 1889. [1] See [7].", turn=3, numbers={1})
    assert "[\\[1\\]](#cite-3-1)" in linked and "\\[7\\]" in linked and "#cite-3-7" not in linked


# admin helpers -----------------------------------------------------------------------------------
def test_password_check_refuses_without_a_configured_password(monkeypatch):
    from app.services import admin

    monkeypatch.setattr(admin, "FAILED_LOGIN_DELAY_S", 0)
    assert admin.check_password("s3cret", "s3cret")
    assert not admin.check_password("guess", "s3cret")
    assert not admin.check_password("", None) and not admin.check_password("", "")


def test_allowed_generators_are_installed_ones_and_include_the_default(settings):
    from app.services.admin import allowed_generators

    s = settings.model_copy(
        update={
            "allowed_generators": "openai, nonsense",
            "generator": "extractive",
            "openai_base_url": "http://127.0.0.1:8080/v1",
        }
    )
    assert allowed_generators(s) == ["extractive", "openai"]


def test_evaluation_panel_reports_a_folder_it_cannot_use(settings, tmp_path):
    from app.services.admin import retrieval_eval

    with pytest.raises(ConfigError, match="is not a folder"):
        retrieval_eval(tmp_path / "missing", settings)
    with pytest.raises(ConfigError, match="not a BEIR-layout folder"):
        retrieval_eval(tmp_path, settings)
