"""OCR progress through the real parse worker pipe and tesseract: the Progress callback hears each scanned
page of a file, in order and with the right total, with one parse worker and with a pool of two."""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from ingest import Ingestor
from rag import Settings
from rag.index import Index
from tests.fixtures_docs import scanned_pdf

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed (make setup)"),
]


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_hears_each_ocr_page_in_order_with_its_total(tmp_path, workers):
    docs = tmp_path / "docs"
    docs.mkdir()
    scanned_pdf(
        docs / "logbook.pdf",
        [
            ("The keeper counted 47 cargo ships in the storm week.", True),
            ("The lamp was relit at nine in the evening.", True),
            ("A gull nested on the gallery rail in May.", True),
        ],
    )
    scanned_pdf(docs / "mixed.pdf", [("Harbour dues rose in 1902.", False), ("Ferry times changed.", True)])
    (docs / "notes.md").write_text("# Notes\n\nThe depot opens at seven.\n")
    settings = Settings(
        data_dir=tmp_path / "data",
        _env_file=None,
        embedder="fake",
        embedder_runtime="fake",
        parse_workers=workers,
    )
    calls: list[tuple[int, int, str]] = []
    report = Ingestor(Index(settings), lambda done, total, cur: calls.append((done, total, cur))).ingest(
        [docs]
    )
    assert report.count("indexed") == 3, report.failed
    notes = defaultdict(list)
    for _, _, current in calls:
        name, _, note = Path(current).name.partition(" — ")
        if note:
            notes[name].append(note)
    assert dict(notes) == {
        "logbook.pdf": ["OCR page 1 of 3", "OCR page 2 of 3", "OCR page 3 of 3"],
        "mixed.pdf": ["OCR page 1 of 1"],  # only its scanned page
    }
    assert {total for _, total, _ in calls} == {3}
    assert calls[-1][:2] == (3, 3) and " — " not in calls[-1][2]  # each file's own line comes after
