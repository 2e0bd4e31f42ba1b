"""Small documents generated for the loader, table and OCR tests (never copies of real filings),
and `load`."""

from __future__ import annotations

from pathlib import Path


def load(path: Path, max_pages: int = 100):
    """`path` through its loader, in this process (no parse worker)."""
    from ingest.loaders import loader_for

    return loader_for(path).load(path, max_pages)


TABLE_ROWS = [  # label, 2023, 2022
    ("Net sales", "14,694", "14,544"),
    ("Cost of sales", "(11,969)", "(11,724)"),
    ("Gross profit", "2,725", "2,820"),
    ("Research and development expenses", "(101)", "(96)"),
    ("Adjusted EBITDA", "2,018", "2,117"),
    ("Operating income", "1,508", "1,239"),
    ("Net income", "1,058", "815"),
]


def table_page(pdf, title: str = "Consolidated Statement of Income", rows=TABLE_ROWS) -> None:
    """A financial-statement page: title, units, a period header over two year columns, labelled rows."""
    pdf.add_page()
    pdf.set_font("Helvetica", size=13)
    pdf.cell(0, 8, "Harbour Lights Packaging plc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 6, "($ in millions)", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.cell(100, 6, "")
    pdf.cell(60, 6, "Twelve Months Ended June 30,", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(100, 6, "")
    pdf.cell(30, 6, "2023", align="R")
    pdf.cell(30, 6, "2022", align="R", new_x="LMARGIN", new_y="NEXT")
    for label, a, b in rows:
        pdf.cell(100, 6, label)
        pdf.cell(30, 6, a, align="R")
        pdf.cell(30, 6, b, align="R", new_x="LMARGIN", new_y="NEXT")


def prose_page(pdf, text: str) -> None:
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, text)


def table_pdf(path: Path, prose: list[str] = ()) -> Path:
    """Prose pages first (if any), then the table page."""
    from fpdf import FPDF

    pdf = FPDF()
    for text in prose:
        prose_page(pdf, text)
    table_page(pdf)
    path.write_bytes(bytes(pdf.output()))
    return path


def scanned_pdf(path: Path, pages: list[tuple[str, bool]], dpi: int = 200) -> Path:
    """One page per (text, scanned): a scanned page is the text typeset, rasterised and embedded as an
    image only (no text layer), like a scanner's output; the others keep their text layer."""
    import pypdfium2 as pdfium
    from fpdf import FPDF

    out = FPDF()
    for text, scanned in pages:
        if not scanned:
            prose_page(out, text)
            continue
        src = FPDF()
        prose_page(src, text)
        img = pdfium.PdfDocument(bytes(src.output()))[0].render(scale=dpi / 72, grayscale=True).to_pil()
        out.add_page()
        out.image(img, x=0, y=0, w=out.w, h=out.h)
    path.write_bytes(bytes(out.output()))
    return path
