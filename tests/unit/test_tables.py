"""Tables keep their labels: PDF pages, DOCX, HTML pipe tables, and the chunker's row packing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunker import chunk_text
from ingest.loaders import ParseOptions, loader_for
from ingest.tables import TABLE_MARK, labelled_rows, markdown_tables, render_table
from tests.fixtures_docs import table_pdf


def words(texts):  # a whitespace tokenizer: budgets in words keep these tests independent of the model
    return [len(t.split()) for t in texts]


def load_pdf(path: Path, **opts):
    loader = loader_for(path)
    loader.options = ParseOptions(**opts)
    return loader.load(path, 100)


def test_pdf_table_rows_carry_their_row_label_period_and_caption(tmp_path):
    doc = load_pdf(
        table_pdf(tmp_path / "statement.pdf", ["The harbour opened in 1889 and prose stays prose."])
    )
    assert "The harbour opened in 1889" in doc.pages[0] and TABLE_MARK not in doc.pages[0]
    page = doc.pages[1]
    caption = next(ln for ln in page.splitlines() if ln.startswith(TABLE_MARK))
    assert "Consolidated Statement of Income" in caption and "($ in millions)" in caption
    assert "Twelve Months Ended June 30," in caption  # a header over every column goes to the caption
    assert "Adjusted EBITDA | 2023: 2,018 | 2022: 2,117" in page.splitlines()
    assert "Cost of sales | 2023: (11,969) | 2022: (11,724)" in page.splitlines()


def test_pdf_tables_can_be_switched_off(tmp_path):
    doc = load_pdf(table_pdf(tmp_path / "statement.pdf"), tables=False)
    assert TABLE_MARK not in doc.pages[0]
    assert "Adjusted EBITDA 2,018 2,117" in doc.pages[0]


def test_prose_with_numbers_is_not_a_table(tmp_path):
    from tests.conftest import make_pdf

    text = (
        "Revenue rose in 2023 to 14,694 million. The board met 12 times.\n\n"
        "Sales grew by 4.5 percent while costs fell 2.1 percent over the year to June."
    )
    doc = load_pdf(make_pdf(tmp_path / "prose.pdf", [text]))
    assert TABLE_MARK not in doc.pages[0]


def test_long_table_is_chunked_by_whole_rows_with_the_caption_repeated():
    rows = [f"Item {i} | 2023: {i * 7} | 2022: {i * 5}" for i in range(40)]
    text = (
        "Intro paragraph about the year.\n\n"
        + render_table("Segment sales ($ million)", rows)
        + "\n\nAfter text."
    )
    pieces = chunk_text(text, words, 30, 5)
    table = [p for p in pieces if "Item" in text[p.start : p.end]]
    assert len(table) > 3
    assert all(p.tokens <= 30 for p in pieces)
    for p in table:
        body = p.prefix + text[p.start : p.end]
        assert body.startswith(TABLE_MARK + "Segment sales ($ million)")
        assert all(line.startswith(("Item", TABLE_MARK)) for line in body.splitlines())  # whole rows only
    assert table[0].prefix == "" and all(
        p.prefix for p in table[1:]
    )  # the slice itself holds the first caption
    assert not any("Intro" in text[p.start : p.end] or "After" in text[p.start : p.end] for p in table)
    seen = [ln for p in table for ln in text[p.start : p.end].splitlines() if ln.startswith("Item")]
    assert seen == rows  # every row once, in order


def test_labelled_rows_join_multi_row_headers_and_skip_empty_cells():
    header = [
        ["", "Twelve Months Ended June 30, 2023", "Twelve Months Ended June 30, 2023"],
        ["", "EBITDA", "EBIT"],
    ]
    body = [["Adjusted EBITDA", "2,018", "1,608"], ["Note", "", "see text"]]
    assert labelled_rows(header, body) == [
        "Adjusted EBITDA | Twelve Months Ended June 30, 2023 EBITDA: 2,018 | "
        "Twelve Months Ended June 30, 2023 EBIT: 1,608",
        "Note | Twelve Months Ended June 30, 2023 EBIT: see text",
    ]


def test_markdown_pipe_table_becomes_a_labelled_block_with_its_caption():
    md = (
        "Intro.\n\nQuarterly sales\n\n| Region | Q1 | Q2 |\n|---|---:|---:|\n"
        "| North | 10 | 12 |\n| South | 7 | 9 |\n\nEnd."
    )
    out = markdown_tables(md)
    assert "Table: Quarterly sales\nNorth | Q1: 10 | Q2: 12\nSouth | Q1: 7 | Q2: 9" in out
    assert out.startswith("Intro.") and out.rstrip().endswith("End.")


def test_docx_table_rows_are_labelled_by_header_and_first_column(tmp_path):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.add_paragraph("Fleet summary")
    t = d.add_table(rows=3, cols=3)
    for r, vals in enumerate(
        [["Vessel", "Length (m)", "Crew"], ["Aurora", "54", "12"], ["Boreas", "61", "15"]]
    ):
        for c, v in enumerate(vals):
            t.cell(r, c).text = v
    d.save(tmp_path / "fleet.docx")
    page = loader_for(tmp_path / "fleet.docx").load(tmp_path / "fleet.docx", 10).pages[0]
    assert (
        "Table: Fleet summary\nAurora | Length (m): 54 | Crew: 12\nBoreas | Length (m): 61 | Crew: 15" in page
    )


def test_html_table_rows_are_labelled(tmp_path):
    html = (
        "<html><head><title>Fleet</title></head><body><article><h1>Fleet</h1>"
        "<p>Our vessels and their crews, as of the last survey of the harbour fleet.</p>"
        "<table><tr><th>Vessel</th><th>Length (m)</th><th>Crew</th></tr>"
        "<tr><td>Aurora</td><td>54</td><td>12</td></tr><tr><td>Boreas</td><td>61</td><td>15</td></tr></table>"
        "</article></body></html>"
    )
    (tmp_path / "fleet.html").write_text(html)
    page = loader_for(tmp_path / "fleet.html").load(tmp_path / "fleet.html", 10).pages[0]
    assert "Boreas | Length (m): 61 | Crew: 15" in page
