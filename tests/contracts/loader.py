"""The behaviour every loader must have. `SAMPLES` holds a small file of each registered format with the
same fact in it; tests/unit/test_loader_contract.py runs the contract against every registered loader
and fails for a loader that has no sample here."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from ingest.loaders import LoadedDocument, Loader, loader_for
from rag.errors import DocumentError
from tests.conftest import make_pdf

FACT = "The Zorblat footbridge opened in 1923."
NEEDLES = ("Zorblat", "1923")


def _text(path: Path) -> None:
    path.write_text(f"Zorblat\n\n{FACT}\n", encoding="utf-8")


def _markdown(path: Path) -> None:
    path.write_text(f"# Zorblat\n\n{FACT}\n", encoding="utf-8")


def _html(path: Path) -> None:
    path.write_text(
        f"<html><head><title>Zorblat</title></head><body><h1>Zorblat</h1><p>{FACT}</p></body></html>",
        encoding="utf-8",
    )


def _docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("Zorblat", 1)
    d.add_paragraph(FACT)
    d.save(str(path))


def _pdf(path: Path) -> None:
    make_pdf(path, ["Zorblat", FACT])


def _csv(path: Path) -> None:
    path.write_text("Bridge,Opened\nZorblat footbridge,1923\n", encoding="utf-8")


def _xlsx(path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["Bridge", "Opened"])
    wb.active.append(["Zorblat footbridge", 1923])
    wb.save(str(path))


def _pptx(path: Path) -> None:
    import pptx

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Zorblat"
    slide.placeholders[1].text = FACT
    deck.save(str(path))


# loader name -> (a suffix it is registered for, a writer of a sample holding NEEDLES)
SAMPLES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "text": (".txt", _text),
    "markdown": (".md", _markdown),
    "html": (".html", _html),
    "docx": (".docx", _docx),
    "pdf": (".pdf", _pdf),
    "csv": (".csv", _csv),
    "xlsx": (".xlsx", _xlsx),
    "pptx": (".pptx", _pptx),
}


class LoaderContract:
    @pytest.fixture
    def loader(self) -> Loader:
        raise NotImplementedError("the subclass provides a loader")

    @pytest.fixture
    def suffix(self) -> str:
        raise NotImplementedError("the subclass provides a suffix the loader is registered for")

    @pytest.fixture
    def sample(self) -> Path:
        raise NotImplementedError("the subclass provides a sample file holding NEEDLES")

    def test_reads_title_and_text(self, loader, sample):
        doc = loader.load(sample, 100)
        assert isinstance(loader, Loader) and isinstance(doc, LoadedDocument)
        assert doc.pages and all(isinstance(p, str) for p in doc.pages)
        text = " ".join(" ".join(doc.pages).split())
        assert all(n in text for n in NEEDLES), text[:300]
        assert isinstance(doc.title, str) and doc.title.strip()
        assert doc.doc_type == loader.doc_type

    def test_its_suffix_routes_to_it(self, loader, sample):
        assert type(loader_for(sample)) is type(loader)

    def test_an_empty_file_fails_alone_with_a_reason(self, loader, suffix, tmp_path):
        empty = tmp_path / f"empty{suffix}"
        empty.write_bytes(b"")
        with pytest.raises(DocumentError) as e:
            loader.load(empty, 100)
        assert str(e.value).strip()

    def test_binary_garbage_fails_alone_with_a_reason(self, loader, suffix, tmp_path):
        junk = tmp_path / f"junk{suffix}"
        junk.write_bytes(bytes(range(256)) * 16)
        with pytest.raises(DocumentError) as e:
            loader.load(junk, 100)
        assert str(e.value).strip()

    def test_respects_the_page_limit(self, loader, sample):
        try:
            doc = loader.load(sample, 1)
        except DocumentError as e:
            assert "limit" in str(e)
        else:
            assert len(doc.pages) == 1
