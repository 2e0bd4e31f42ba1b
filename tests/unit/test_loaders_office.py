"""Spreadsheets and slides: XLSX sheets and PPTX slides are pages, CSV one table; rows keep their labels."""

from __future__ import annotations

import pytest

from rag.errors import DocumentError
from tests.fixtures_docs import load


def test_xlsx_sheets_are_pages_and_rows_keep_their_number_and_headers(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Fleet"
    for row in [
        ["Vessel", "Length (m)", "Crew"],
        ["Aurora", 54, 12],
        [None, None, None],
        ["Boreas", 61.0, 15],
    ]:
        ws.append(row)
    wb.create_sheet("Ports").append(["Port", "Berths"])
    wb["Ports"].append(["Tromsø", 7])
    wb.save(tmp_path / "fleet.xlsx")
    doc = load(tmp_path / "fleet.xlsx")
    assert doc.doc_type == "xlsx" and doc.paged and len(doc.pages) == 2
    assert doc.pages[0].splitlines() == [
        "Table: Fleet",
        "Row 2: Aurora | Length (m): 54 | Crew: 12",
        "Row 4: Boreas | Length (m): 61 | Crew: 15",
    ]
    assert "Row 2: Tromsø | Berths: 7" in doc.pages[1]


def test_csv_is_one_labelled_table_with_row_numbers(tmp_path):
    (tmp_path / "tides.csv").write_text(
        "Harbour;High water;Low water\nBergen;06:12;12:30\nOslo;07:01;13:15\n"
    )
    doc = load(tmp_path / "tides.csv")
    assert doc.doc_type == "csv" and doc.title == "tides"
    assert "Row 3: Oslo | High water: 07:01 | Low water: 13:15" in doc.pages[0]


def test_empty_csv_fails_alone(tmp_path):
    (tmp_path / "empty.csv").write_text(",,\n,,\n")
    with pytest.raises(DocumentError, match="empty"):
        load(tmp_path / "empty.csv")


def test_pptx_slides_are_pages_with_title_headings_text_and_tables(tmp_path):
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    s1 = deck.slides.add_slide(deck.slide_layouts[1])
    s1.shapes.title.text = "Harbour plan"
    s1.placeholders[1].text_frame.text = "Dredging starts in spring."
    s2 = deck.slides.add_slide(deck.slide_layouts[5])
    s2.shapes.title.text = "Budget"
    table = s2.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    for (r, c), v in {(0, 0): "Item", (0, 1): "Cost ($k)", (1, 0): "Dredging", (1, 1): "420"}.items():
        table.cell(r, c).text = v
    deck.save(tmp_path / "plan.pptx")
    doc = load(tmp_path / "plan.pptx")
    assert doc.doc_type == "pptx" and doc.paged and doc.title == "Harbour plan"
    assert doc.pages[0].startswith("## Harbour plan") and "Dredging starts in spring." in doc.pages[0]
    assert "Table: Budget\nDredging | Cost ($k): 420" in doc.pages[1]


@pytest.mark.parametrize("suffix", [".xlsx", ".pptx"])
def test_corrupt_office_files_fail_alone(tmp_path, suffix):
    (tmp_path / f"bad{suffix}").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DocumentError, match="corrupt"):
        load(tmp_path / f"bad{suffix}")
