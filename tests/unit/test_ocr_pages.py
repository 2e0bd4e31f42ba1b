"""Which PDF pages get OCR'd and what happens when OCR fails, with a fake engine (the real one is in
tests/integration/test_ocr.py)."""

from __future__ import annotations

import pytest

from ingest import ocr
from ingest.loaders import ParseOptions, loader_for
from rag.errors import DocumentError
from rag.types import Chunk, Citation
from tests.fixtures_docs import scanned_pdf


def load(path, **opts):
    loader = loader_for(path)
    loader.options = ParseOptions(**{"ocr_dpi": 50, **opts})  # low dpi: these tests never read the pixels
    return loader.load(path, 100)


TEXT = "The lighthouse keeper logged forty ships in the winter of 1889."


def test_mixed_pdf_ocrs_only_its_scanned_pages_and_marks_them(tmp_path, engine):
    pdf = scanned_pdf(tmp_path / "mixed.pdf", [(TEXT, False), ("scanned words", True), (TEXT, False)], dpi=50)
    doc = load(pdf)
    assert engine.calls == 1
    assert doc.ocr_pages == {2}
    assert doc.pages[1] == "Text read from scanned image number 1."
    assert TEXT.split()[0] in doc.pages[0] and TEXT.split()[0] in doc.pages[2]


def test_one_page_timing_out_fails_alone_with_a_one_line_warning(tmp_path, engine):
    engine.fail_on = {1}
    pdf = scanned_pdf(tmp_path / "two.pdf", [("first", True), ("second", True)], dpi=50)
    doc = load(pdf, ocr_page_timeout_s=7)
    assert doc.ocr_pages == {2} and doc.pages[0] == ""
    assert doc.warnings == ["OCR failed on 1 page(s): page 1: OCR timed out after 7 s"]


def test_a_scan_whose_only_page_times_out_fails_with_the_reason(tmp_path, engine):
    engine.fail_on = {1}
    with pytest.raises(DocumentError) as e:
        load(scanned_pdf(tmp_path / "one.pdf", [("only", True)], dpi=50), ocr_page_timeout_s=7)
    assert (
        str(e.value)
        == "no extractable text (scanned pages: OCR failed on 1 page(s): page 1: OCR timed out after 7 s)"
    )
    assert "\n" not in str(e.value)


def test_page_cap_reads_the_first_pages_and_says_how_many_were_skipped(tmp_path, engine):
    pdf = scanned_pdf(tmp_path / "scan.pdf", [(f"page {i}", True) for i in range(4)], dpi=50)
    doc = load(pdf, ocr_max_pages=2)
    assert engine.calls == 2 and doc.ocr_pages == {1, 2}
    assert doc.warnings == [
        "2 scanned page(s) not read: over the OCR cap of 2 pages per document (RAG_OCR_MAX_PAGES)"
    ]


def test_ocr_off_reads_nothing_and_says_so(tmp_path, engine):
    with pytest.raises(DocumentError, match=r"OCR is off \(RAG_OCR=false\)"):
        load(scanned_pdf(tmp_path / "scan.pdf", [("words", True)], dpi=50), ocr=False)
    doc = load(scanned_pdf(tmp_path / "mixed.pdf", [(TEXT, False), ("words", True)], dpi=50), ocr=False)
    assert engine.calls == 0 and doc.ocr_pages == set() and doc.pages[1] == ""


def test_missing_engine_is_a_warning_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr, "available", lambda name="tesseract": False)
    doc = load(scanned_pdf(tmp_path / "mixed.pdf", [(TEXT, False), ("words", True)], dpi=50))
    assert doc.warnings == [
        "scanned pages not read: OCR unavailable (tesseract is not installed; run `make setup`)"
    ]


def test_ocr_chunks_say_so_in_citation_json_and_survive_the_store_round_trip():
    c = Chunk(id="d:1:0", doc_id="d", text="t", source="s.pdf", title="S", page=3, start=0, end=1, ocr=True)
    back = Chunk.from_metadata(c.id, c.text, c.metadata())
    assert back.ocr is True
    j = Citation(1, back, "t", 0.9).to_json()
    assert j["ocr"] is True and j["note"] == "text from OCR"
    plain = Citation(
        1, Chunk(id="x", doc_id="d", text="t", source="s", title="S", page=1, start=0, end=1), "t", 0.9
    )
    assert "note" not in plain.to_json()
