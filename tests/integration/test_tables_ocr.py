"""Tables and scanned pages end to end: real parse worker, real tesseract, real MiniLM, real Chroma/BM25."""

from __future__ import annotations

import shutil

import pytest

from rag import Settings
from rag.index import Index
from rag.service import AnswerService
from tests.fixtures_docs import scanned_pdf, table_pdf

pytestmark = pytest.mark.slow
needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract not installed (make setup)"
)

PROSE = [
    "Harbour Lights Packaging makes recyclable containers for food and drink in nine countries.",
    "The company opened two plants this year and closed one warehouse near the river.",
]
SHIP = "The lighthouse keeper counted 47 cargo ships passing Skerry Point during the storm week."


@pytest.fixture(scope="module")
def service(tmp_path_factory, embedder):
    from ingest import Ingestor

    root = tmp_path_factory.mktemp("tables-ocr")
    docs = root / "docs"
    docs.mkdir()
    table_pdf(docs / "statement.pdf", PROSE)  # the figures are only in the table on page 3
    if shutil.which("tesseract"):
        scanned_pdf(
            docs / "logbook.pdf", [("The logbook of Skerry Point, kept since 1901.", False), (SHIP, True)]
        )
    settings = Settings(data_dir=root / "data", _env_file=None)
    index = Index(settings, embedder=embedder)
    report = Ingestor(index).ingest([docs])
    assert not report.failed, report.failed
    return AnswerService(settings, index)


def test_figure_only_in_a_table_is_found_on_its_row_and_page(service):
    hits = service.retrieve("What was the adjusted EBITDA in fiscal 2023?")
    top = hits[0].chunk
    assert (top.title, top.page) == ("statement", 3)
    assert "Adjusted EBITDA | 2023: 2,018 | 2022: 2,117" in top.text
    assert "Consolidated Statement of Income" in top.text  # the caption travels with the rows
    answer = service.ask("What was the adjusted EBITDA in fiscal 2023?")
    if (
        not answer.refused
    ):  # (the extractive answer may refuse a bare table row: answering's call, not ingest's)
        assert "2,018" in answer.text
        assert {(c.chunk.title, c.chunk.page) for c in answer.citations} == {("statement", 3)}


@needs_tesseract
def test_scanned_page_is_searchable_and_cited_as_ocr_with_its_page(service):
    hits = service.retrieve("How many cargo ships passed Skerry Point during the storm?")
    top = hits[0].chunk
    assert (top.title, top.page, top.ocr) == ("logbook", 2, True)
    assert "47 cargo ships" in top.text
    answer = service.ask("How many cargo ships passed Skerry Point during the storm week?")
    cited = [c.to_json() for c in answer.citations if c.chunk.page == 2]
    assert cited and cited[0]["note"] == "text from OCR"
    text_page = next(
        h.chunk
        for h in service.retrieve("When was the logbook of Skerry Point started?")
        if h.chunk.title == "logbook"
    )
    assert (text_page.page, text_page.ocr) == (1, False)  # the mixed PDF OCR'd only its scanned page
    ocr_pages = {d.title: d.ocr_pages for d in service.index.manifest.documents(service.index.active().name)}
    assert ocr_pages == {"logbook": 1, "statement": 0}  # what the Documents page and the API show


@needs_tesseract
def test_ocr_timeout_fails_that_file_alone_with_one_line(tmp_path, embedder):
    from ingest import Ingestor

    docs = tmp_path / "docs"
    docs.mkdir()
    scanned_pdf(docs / "scan.pdf", [(SHIP, True)])
    table_pdf(docs / "statement.pdf")
    settings = Settings(data_dir=tmp_path / "data", _env_file=None, ocr_page_timeout_s=0.001)
    report = Ingestor(Index(settings, embedder=embedder)).ingest([docs])
    assert [r.path.rsplit("/", 1)[-1] for r in report.failed] == ["scan.pdf"]
    reason = report.failed[0].reason
    assert (
        reason
        == "no extractable text (scanned pages: OCR failed on 1 page(s): page 1: OCR timed out after 0.001 s)"
    )
    assert report.count("indexed") == 1
