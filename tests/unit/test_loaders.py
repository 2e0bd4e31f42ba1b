"""Every loader, and every way a file can be refused, on fixtures built in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import supported_suffixes
from ingest.parsing import check_file, parse_file
from rag.errors import DocumentError, UnsupportedTypeError
from tests.conftest import make_pdf
from tests.fixtures_docs import load


def encrypt_pdf(src: Path, dst: Path, user_password: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(src))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-256")
    with open(dst, "wb") as f:
        writer.write(f)
    return dst


PAGES = [
    "The zebra count on page one is 11.",
    "Page two says the harbour opens at dawn.",
    "The third page lists the winter timetable.",
]


# --- Markdown and text ------------------------------------------------------------------------


def test_markdown_title_comes_from_first_heading_and_text_is_kept_whole(tmp_path):
    body = "# Field Guide\n\nIntro paragraph.\n\n## Birds\n\nHerons wade in shallow water.\n"
    (tmp_path / "guide_v2.md").write_text(body)
    doc = load(tmp_path / "guide_v2.md")
    assert doc.title == "Field Guide"
    assert doc.pages == [body]
    assert doc.doc_type == "markdown"


def test_markdown_without_heading_is_titled_by_its_file_name(tmp_path):
    (tmp_path / "release_notes.md").write_text("Just a paragraph, no heading.\n")
    assert load(tmp_path / "release_notes.md").title == "release notes"


def test_text_utf8_with_bom_is_decoded_without_the_bom(tmp_path):
    (tmp_path / "a.txt").write_bytes("\ufeffNaïve café".encode("utf-8"))
    assert load(tmp_path / "a.txt").pages == ["Naïve café"]


def test_text_in_latin1_is_decoded_correctly(tmp_path):
    text = "Le café de la gare sert une crème brûlée délicieuse à côté du théâtre, où les élèves ont joué.\n"
    (tmp_path / "menu.txt").write_bytes(text.encode("latin-1"))
    doc = load(tmp_path / "menu.txt")
    assert doc.pages == [text]
    assert doc.title == "menu"


def test_text_in_a_cyrillic_code_page_is_left_to_the_detector(tmp_path):
    text = "Привет, как дела? Это тестовый текст на русском языке для проверки кодировки файла."
    (tmp_path / "ru.txt").write_bytes(text.encode("cp1251"))
    assert load(tmp_path / "ru.txt").pages == [text]


def test_binary_junk_named_txt_is_refused_as_binary(tmp_path):
    (tmp_path / "junk.txt").write_bytes(bytes(range(256)) * 40)
    with pytest.raises(DocumentError, match="binary"):
        load(tmp_path / "junk.txt")


def test_whitespace_only_text_is_refused_as_empty(tmp_path):
    (tmp_path / "blank.md").write_text("\n\n   \n")
    with pytest.raises(DocumentError, match="empty"):
        load(tmp_path / "blank.md")


# --- HTML ---------------------------------------------------------------------------------------

HTML = """<!doctype html><html><head><title>Tide tables of Brest</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li>
<li><a href="/shop">Shop gift cards</a></li></ul></nav>
<header><div class="menu">Menu: Products | Pricing | Login</div></header>
<main><article><h1>Tide tables of Brest</h1>
<p>The harbour of Brest sees a mean tidal range of about six metres, which makes spring tides dramatic.</p>
<h2>Reading the table</h2>
<p>Each row lists the time of high water and low water for a day, with the coefficient the navy publishes.</p>
<p>Sailors leaving the roadstead should pass the Goulet narrows with the ebb; \
the current exceeds four knots.</p>
</article></main>
<footer><p>Copyright 2024 Example Corp. All rights reserved. Privacy policy | Cookie settings</p></footer>
</body></html>"""


def test_html_strips_navigation_and_footer_and_keeps_the_article(tmp_path):
    (tmp_path / "tides.html").write_text(HTML)
    doc = load(tmp_path / "tides.html")
    text = doc.pages[0]
    assert doc.title == "Tide tables of Brest"
    assert "mean tidal range of about six metres" in text
    assert "Goulet narrows" in text
    assert "## Reading the table" in text  # headings survive as Markdown for the chunker
    for boilerplate in ("Shop gift cards", "About us", "Pricing", "All rights reserved", "Cookie settings"):
        assert boilerplate not in text


def test_tiny_html_page_still_yields_its_text(tmp_path):
    (tmp_path / "tiny.htm").write_text("<html><body><p>Door code is 4471.</p></body></html>")
    assert "Door code is 4471." in load(tmp_path / "tiny.htm").pages[0]


# --- DOCX ---------------------------------------------------------------------------------------


def test_docx_headings_become_markdown_and_tables_become_rows(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("Maintenance manual", level=1)
    d.add_paragraph("Check the oil level of the turbine every week.")
    d.add_heading("Filters", level=2)
    d.add_paragraph("Replace the filter cartridge after 400 hours.")
    table = d.add_table(rows=2, cols=2)
    for (r, c), value in {(0, 0): "Part", (0, 1): "Interval", (1, 0): "Filter", (1, 1): "400 h"}.items():
        table.cell(r, c).text = value
    d.save(str(tmp_path / "manual.docx"))

    doc = load(tmp_path / "manual.docx")
    assert doc.title == "Maintenance manual"
    assert doc.pages == [
        "# Maintenance manual\n\nCheck the oil level of the turbine every week.\n\n"
        "## Filters\n\nReplace the filter cartridge after 400 hours.\n\n"
        "Table: Filters\nFilter | Interval: 400 h"
    ]


def test_corrupt_docx_fails_with_a_reason(tmp_path):
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(DocumentError, match="corrupt DOCX"):
        load(tmp_path / "broken.docx")


# --- PDF ----------------------------------------------------------------------------------------


def test_pdf_text_is_extracted_per_page(tmp_path):
    doc = load(make_pdf(tmp_path / "three.pdf", PAGES))
    assert doc.doc_type == "pdf" and doc.paged
    assert [p.strip() for p in doc.pages] == PAGES


def test_pdf_encrypted_with_empty_user_password_opens(tmp_path):
    enc = encrypt_pdf(make_pdf(tmp_path / "plain.pdf", PAGES), tmp_path / "enc.pdf", user_password="")
    from pypdf import PdfReader

    assert PdfReader(enc).is_encrypted
    assert [p.strip() for p in load(enc).pages] == PAGES


def test_pdf_with_a_real_password_fails_as_encrypted(tmp_path):
    enc = encrypt_pdf(
        make_pdf(tmp_path / "plain.pdf", PAGES), tmp_path / "locked.pdf", user_password="s3cret"
    )
    with pytest.raises(DocumentError, match="^encrypted"):
        load(enc)


def test_truncated_pdf_fails_as_corrupt(tmp_path):
    data = make_pdf(tmp_path / "whole.pdf", PAGES).read_bytes()
    (tmp_path / "half.pdf").write_bytes(data[: len(data) // 2])
    with pytest.raises(DocumentError, match="corrupt PDF"):
        load(tmp_path / "half.pdf")


def test_pdf_without_text_is_reported_as_likely_scanned(tmp_path):
    with pytest.raises(DocumentError, match="no extractable text.*scanned"):
        load(make_pdf(tmp_path / "blank.pdf", ["", ""]))  # blank pages show no image: nothing to OCR


def test_pdf_over_the_page_limit_fails_with_both_numbers(tmp_path):
    pdf = make_pdf(tmp_path / "long.pdf", [f"page {i}" for i in range(5)])
    assert len(load(pdf, max_pages=5).pages) == 5
    with pytest.raises(DocumentError, match=r"too many pages \(5 > limit 4\)"):
        load(pdf, max_pages=4)


def test_pdf_text_has_plain_line_ends_and_keeps_a_hyphen_that_ends_a_line(tmp_path):
    # pdfium gives CR LF, and U+FFFE in place of a hyphen that ends a line
    page = load(make_pdf(tmp_path / "hyphen.pdf", ["Sells ready-\nto-drink tea.\nSecond line."])).pages[0]
    assert "\r" not in page and "\ufffe" not in page
    assert "ready-to-drink" in page.replace("\n", "") and page.rstrip().endswith("\nSecond line.")


def test_pdf_paragraphs_are_separated_by_a_blank_line_and_lines_are_not(tmp_path):
    # pdfium gives no blank lines; the chunker prefers to cut at them, so they come from the layout
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 6, "The harbour opens at dawn.\nBoats leave at six.")
    pdf.ln(8)
    pdf.multi_cell(0, 6, "Winter timetable\nFerries run hourly.")
    (tmp_path / "paragraphs.pdf").write_bytes(bytes(pdf.output()))
    page = load(tmp_path / "paragraphs.pdf").pages[0]
    assert "dawn.\nBoats leave at six.\n\nWinter timetable\nFerries run hourly." in page


def test_pdf_pages_pdfium_fails_on_or_loses_text_on_are_read_with_pypdf(tmp_path, monkeypatch):
    from ingest.loaders import pdf

    real = pdf._pdfium_pages

    def flaky(path, n, *rest):
        pages = real(path, n, *rest)
        pages[1] = (None, 0)  # the page raised in pdfium
        pages[2] = ("The", 40)  # 40 objects drawn, 3 characters read: text lost
        return pages

    monkeypatch.setattr(pdf, "_pdfium_pages", flaky)
    assert [p.strip() for p in load(make_pdf(tmp_path / "three.pdf", PAGES)).pages] == PAGES


def test_pdf_pdfium_cannot_open_is_read_whole_with_pypdf(tmp_path, monkeypatch):
    from ingest.loaders import pdf

    monkeypatch.setattr(
        pdf, "_pdfium_pages", lambda path, n, *rest: None
    )  # also: another page count than pypdf's
    assert [p.strip() for p in load(make_pdf(tmp_path / "three.pdf", PAGES)).pages] == PAGES


def test_pdf_page_neither_parser_can_read_is_empty_with_a_warning(tmp_path, monkeypatch):
    from pypdf import PageObject

    from ingest.loaders import pdf

    real = pdf._pdfium_pages

    def broken_page(self, *a, **kw):
        raise ValueError("bad content stream")

    def first_fails(path, n, *rest):
        return [(None, 0)] + real(path, n, *rest)[1:]

    monkeypatch.setattr(pdf, "_pdfium_pages", first_fails)
    monkeypatch.setattr(PageObject, "extract_text", broken_page)
    doc = load(make_pdf(tmp_path / "three.pdf", PAGES))
    assert [p.strip() for p in doc.pages] == [""] + PAGES[1:]
    assert doc.warnings == ["1 page(s) could not be read"]


def test_parse_file_turns_any_loader_exception_into_a_document_error(tmp_path, monkeypatch):
    from ingest.loaders.text import TextLoader

    def boom(self, path, max_pages):
        raise RuntimeError("weird internal failure\nsecond line")

    monkeypatch.setattr(TextLoader, "load", boom)
    (tmp_path / "a.txt").write_text("hello")
    with pytest.raises(DocumentError, match=r"could not parse \(RuntimeError: weird internal failure"):
        parse_file(str(tmp_path / "a.txt"), 10)


# --- cheap checks before parsing ----------------------------------------------------------------


def test_unknown_suffix_is_an_unsupported_type_listing_the_supported_ones(tmp_path):
    (tmp_path / "slides.key").write_bytes(b"whatever")
    with pytest.raises(UnsupportedTypeError, match=r"unsupported type '\.key'.*\.pdf"):
        check_file(tmp_path / "slides.key", 10**6)


def test_supported_suffixes_cover_every_format():
    assert {".pdf", ".md", ".txt", ".html", ".htm", ".docx", ".xlsx", ".csv", ".pptx"} <= set(
        supported_suffixes()
    )


def test_empty_file_is_refused_before_parsing(tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(DocumentError, match="empty: 0 bytes"):
        check_file(tmp_path / "empty.pdf", 10**6)


def test_file_over_the_size_limit_is_refused_as_too_large(tmp_path):
    (tmp_path / "big.txt").write_text("x" * 3000)
    check_file(tmp_path / "big.txt", 3000)
    with pytest.raises(DocumentError, match="too large"):
        check_file(tmp_path / "big.txt", 2999)


def test_missing_path_is_reported_as_not_found_whatever_its_name(tmp_path):
    for name in ("gone.pdf", "gone_folder"):
        with pytest.raises(DocumentError, match="not found"):
            check_file(tmp_path / name, 10**6)


def test_pdf_title_comes_from_metadata_unless_it_is_an_id(tmp_path):
    from pypdf import PdfReader, PdfWriter

    src = make_pdf(tmp_path / "src.pdf", PAGES)
    for title, expected in [
        ("Harbour Operations Manual", "Harbour Operations Manual"),
        ("0000004962-23-000006", "AMEX_2022_10K"),
    ]:
        writer = PdfWriter(clone_from=PdfReader(src))
        writer.add_metadata({"/Title": title})
        with open(tmp_path / "AMEX_2022_10K.pdf", "wb") as f:
            writer.write(f)
        assert load(tmp_path / "AMEX_2022_10K.pdf").title == expected
