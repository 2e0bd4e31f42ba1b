"""OCR progress, hermetic: the PDF loader says "OCR page k of n" before each page it reads, and an ingest
job shows it while that page is read (real worker and tesseract:
tests/integration/test_ocr_progress_worker.py)."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import pytest

import ingest.pipeline as pipeline
from app.api.models import JobOut
from app.services.jobs import Jobs
from ingest import Ingestor
from ingest.loaders import ParseOptions, loader_for
from ingest.parsing import parse_file
from rag import Settings
from rag.errors import DocumentError
from rag.index import Index
from tests.fixtures_docs import scanned_pdf

TEXT = "The lighthouse keeper logged forty ships in the winter of 1889."


def test_loader_notes_each_page_it_ocrs_in_order_with_the_capped_total(tmp_path, engine):
    pages = [(TEXT, False), ("one", True), (TEXT, False), ("two", True), ("three", True), ("four", True)]
    pdf = scanned_pdf(tmp_path / "scan.pdf", pages, dpi=50)
    notes: list[str] = []
    loader = loader_for(pdf)
    loader.options = ParseOptions(ocr_dpi=50, ocr_max_pages=3)
    loader.progress = notes.append
    doc = loader.load(pdf, 100)
    assert notes == ["OCR page 1 of 3", "OCR page 2 of 3", "OCR page 3 of 3"]  # text pages: no note
    assert engine.calls == 3 and doc.ocr_pages == {2, 4, 5}


def test_a_pdf_with_a_text_layer_sends_no_notes(tmp_path, engine):
    notes: list[str] = []
    parse_file(str(scanned_pdf(tmp_path / "text.pdf", [(TEXT, False)])), 10, ParseOptions(), notes.append)
    assert notes == [] and engine.calls == 0


class InProcessParser:
    """The pipeline's Parser without the worker process, so the fake engine is the one used."""

    def __init__(self, timeout_s, max_pages, options=None, workers=1) -> None:
        self.options = ParseOptions(**{**vars(options), "ocr_dpi": 50})

    def submit(self, path: Path, on_note=None) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(parse_file(str(path), 100, self.options, on_note))
        except DocumentError as e:
            fut.set_exception(e)
        return fut

    def result(self, fut: Future):
        return fut.result()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def test_ingest_job_shows_the_page_being_ocrd(tmp_path, engine, monkeypatch):
    monkeypatch.setattr(pipeline, "Parser", InProcessParser)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Notes\n\nThe depot opens at seven.\n")
    scanned_pdf(docs / "scan.pdf", [("first", True), ("second", True)], dpi=50)
    settings = Settings(data_dir=tmp_path / "data", _env_file=None, embedder="fake", embedder_runtime="fake")
    index = Index(settings)
    jobs = Jobs()
    job = jobs.start("ingest", lambda job: Ingestor(index, job.progress).ingest([docs]))
    engine.watch = lambda: (job.done, job.total, JobOut.of(job).current)
    assert jobs.wait(job, 60) and job.state == "done", job.error
    assert engine.seen == [
        (0, 2, "scan.pdf — OCR page 1 of 2"),  # both files are still being parsed or embedded
        (0, 2, "scan.pdf — OCR page 2 of 2"),
    ]
    assert job.current.endswith("scan.pdf") and (job.done, job.total) == (2, 2)  # the file's own line last
    assert job.result.count("indexed") == 2


CHATTY = """
import pickle, struct, sys, time
out = sys.stdout.buffer
sys.stdin.buffer.read(4)  # the request's length: enough to know one came
for k in range(1, 10**6):  # notes forever, never an answer
    data = pickle.dumps(("note", f"OCR page {k} of 1000000"))
    out.write(struct.pack("!I", len(data)) + data)
    out.flush()
    time.sleep(0.05)
"""


def test_notes_do_not_reset_the_files_time_limit(monkeypatch):
    import subprocess
    import sys

    from ingest import parsing

    monkeypatch.setattr(parsing, "WALL_FACTOR", 2)  # the chatty worker uses no CPU: the wall cap ends it
    worker = parsing._Worker.__new__(parsing._Worker)
    worker.proc = subprocess.Popen(
        [sys.executable, "-c", CHATTY], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    worker.out = worker.proc.stdout.raw
    notes: list[str] = []
    with pytest.raises(DocumentError, match=r"^timed out after 1 s while parsing$"):
        worker.call("x.pdf", 10, 1.0, None, notes.append)
    assert not worker.alive()
    assert len(notes) > 3 and notes[:2] == ["OCR page 1 of 1000000", "OCR page 2 of 1000000"]
