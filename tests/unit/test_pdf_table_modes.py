"""RAG_PDF_TABLES modes: "add" keeps the page's plain text and indexes the labelled rows as extra chunks of
the same page; "summary" adds a chunk of each table's title and row labels; true/false still work."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunker import chunk_text
from ingest.loaders import ParseOptions, loader_for
from ingest.parsing import parse_options
from ingest.tables import TABLE_MARK, render_table, table_summary
from rag import Settings
from rag.errors import ConfigError
from rag.settings import load_settings
from tests.fixtures_docs import table_pdf

PROSE = "The harbour opened in 1889 and prose stays prose."
ROW = "Adjusted EBITDA | 2023: 2,018 | 2022: 2,117"


def words(texts):
    return [len(t.split()) for t in texts]


def pages(path: Path, tables) -> list[str]:
    loader = loader_for(path)
    loader.options = ParseOptions(tables=tables, ocr=False)
    return loader.load(path, 100).pages


@pytest.fixture
def pdf(tmp_path):
    return table_pdf(tmp_path / "statement.pdf", [PROSE])


def test_add_keeps_the_plain_text_and_appends_the_labelled_rows(pdf):
    off, add = pages(pdf, "off"), pages(pdf, "add")
    assert add[0] == off[0]  # a page without a table is untouched
    assert add[1].startswith(off[1] + "\n\n" + TABLE_MARK)
    assert "Adjusted EBITDA 2,018 2,117" in add[1] and ROW in add[1].splitlines()
    assert "Adjusted EBITDA 2,018 2,117" not in pages(pdf, "replace")[1]


def test_add_chunks_the_plain_text_as_off_does_and_the_rows_apart(pdf):
    off, add = pages(pdf, "off")[1], pages(pdf, "add")[1]
    plain = [off[p.start : p.end] for p in chunk_text(off, words, 40, 8)]
    pieces = [p.prefix + add[p.start : p.end] for p in chunk_text(add, words, 40, 8)]
    assert pieces[: len(plain)] == plain
    rows = pieces[len(plain) :]
    assert rows and all(p.startswith(TABLE_MARK) for p in rows)
    assert any(ROW in p.splitlines() for p in rows)


def test_summary_adds_title_and_row_labels(pdf):
    text = pages(pdf, "summary")[1]
    assert text.startswith(pages(pdf, "add")[1])
    summary = text.split("\n\n")[-1].splitlines()
    assert summary[0].startswith(TABLE_MARK) and "Consolidated Statement of Income" in summary[0]
    assert summary[1].startswith("Rows: Net sales; Cost of sales; Gross profit;")
    assert "2,018" not in summary[1]


def test_table_summary_skips_totals_and_repeats():
    block = render_table("Balance sheet", ["Cash | 2023: 5", "(total) | 2023: 9", "Cash | 2022: 4", "7 | 8"])
    assert table_summary(block) == TABLE_MARK + "Balance sheet\nRows: Cash"
    assert table_summary(render_table("Empty", [])) == ""


@pytest.mark.parametrize(
    ("raw", "mode"),
    [("true", "replace"), ("false", "off"), ("add", "add"), ("summary", "summary"), (True, "replace")],
)
def test_setting_reads_modes_and_the_old_booleans(raw, mode):
    s = Settings(_env_file=None, pdf_tables=raw)
    assert s.pdf_tables == mode and parse_options(s).tables == mode


def test_setting_rejects_an_unknown_mode(monkeypatch):
    monkeypatch.setenv("RAG_PDF_TABLES", "sometimes")
    with pytest.raises(ConfigError, match="RAG_PDF_TABLES"):
        load_settings()


def test_bool_options_still_mean_replace_and_off(pdf):
    assert pages(pdf, True) == pages(pdf, "replace") and pages(pdf, False) == pages(pdf, "off")


def test_added_rows_are_indexed_on_their_page(tmp_path, pdf):
    from ingest import Ingestor
    from rag.embedders import create_embedder
    from rag.index import Index
    from rag.store.memory import MemoryBackend

    s = Settings(
        data_dir=tmp_path / "data", _env_file=None, embedder="fake", embedder_runtime="fake", pdf_tables="add"
    )
    index = Index(s, backend=MemoryBackend(), embedder=create_embedder(s))
    assert not Ingestor(index).ingest([pdf]).failed
    _, store = index.active_store()
    chunks = list(store.iter_chunks())
    row = [c for c in chunks if ROW in c.text.splitlines()]
    raw = [c for c in chunks if "Adjusted EBITDA 2,018 2,117" in c.text]
    assert row and raw and {c.page for c in row + raw} == {2}
    assert all(c.text.startswith(TABLE_MARK) for c in row)
