"""Spreadsheets (XLSX with openpyxl, CSV) and slides (PPTX with python-pptx) as labelled table rows.

A sheet is a "page" (1-based, in workbook order) so a citation names it; every row line starts with its
spreadsheet row number ("Row 7: ..."). The first non-empty row is the header, the first column labels
the row. A slide is a page too: its title becomes a heading, its text frames paragraphs, its tables
labelled rows.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from rag.errors import DocumentError

from ..tables import clean_cell, labelled_rows, render_table
from .base import LoadedDocument, decode_text, register, require_text

MAX_ROWS = 100_000  # per sheet: a bigger export is a database dump, not a document


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return clean_cell(v)


def sheet_text(name: str, rows: list[tuple[int, list[str]]]) -> str:
    """(row number, cells) rows of one sheet as a table block; empty rows and columns dropped."""
    rows = [(n, cells) for n, cells in rows if any(cells)]
    if not rows:
        return ""
    header_n, header = rows[0]
    body = rows[1:] if len(rows) > 1 else rows
    lines = labelled_rows([header] if len(rows) > 1 else [], [cells for _, cells in body])
    numbered = [f"Row {n}: {ln}" for (n, _), ln in zip(body, lines)]
    return render_table(name, numbered)


@register("xlsx", (".xlsx", ".xlsm"))
class XlsxLoader:
    suffixes = (".xlsx", ".xlsm")
    doc_type = "xlsx"

    def load(self, path: Path, max_pages: int) -> LoadedDocument:
        import openpyxl

        try:
            wb = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
            raise DocumentError(f"corrupt XLSX ({type(e).__name__})") from None
        try:
            sheets = wb.worksheets
            if len(sheets) > max_pages:
                raise DocumentError(f"too many sheets ({len(sheets)} > limit {max_pages})")
            pages, warnings = [], []
            for ws in sheets:
                rows = []
                for n, r in enumerate(ws.iter_rows(values_only=True), start=1):
                    if n > MAX_ROWS:
                        warnings.append(f"sheet {ws.title!r}: rows after {MAX_ROWS} skipped")
                        break
                    rows.append((n, [_cell(v) for v in r]))
                pages.append(sheet_text(ws.title, rows))
            title = (wb.properties.title or "").strip() or path.stem
        finally:
            wb.close()
        return LoadedDocument(title=title, pages=require_text(pages), doc_type="xlsx", warnings=warnings)


@register("csv", (".csv", ".tsv"))
class CsvLoader:
    suffixes = (".csv", ".tsv")
    doc_type = "csv"

    def load(self, path: Path, max_pages: int) -> LoadedDocument:
        text = decode_text(path.read_bytes())
        try:
            dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
        rows = []
        for n, r in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
            if n > MAX_ROWS:
                break
            rows.append((n, [_cell(v) for v in r]))
        return LoadedDocument(
            title=path.stem, pages=require_text([sheet_text(path.stem, rows)]), doc_type="csv"
        )


@register("pptx", (".pptx",))
class PptxLoader:
    suffixes = (".pptx",)
    doc_type = "pptx"

    def load(self, path: Path, max_pages: int) -> LoadedDocument:
        from pptx import Presentation
        from pptx.exc import PackageNotFoundError

        try:
            deck = Presentation(str(path))
        except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as e:
            raise DocumentError(f"corrupt PPTX ({type(e).__name__})") from None
        slides = list(deck.slides)
        if len(slides) > max_pages:
            raise DocumentError(f"too many slides ({len(slides)} > limit {max_pages})")
        pages, first_title = [], ""
        for slide in slides:
            title_shape = slide.shapes.title
            title = (
                clean_cell(title_shape.text_frame.text)
                if title_shape is not None and title_shape.has_text_frame
                else ""
            )
            blocks = [f"## {title}"] if title else []
            first_title = first_title or title
            for shape in slide.shapes:
                if shape is title_shape:
                    continue
                if getattr(shape, "has_table", False) and shape.has_table:
                    grid = [[_cell(c.text) for c in r.cells] for r in shape.table.rows]
                    blocks.append(render_table(title, labelled_rows(grid[:1], grid[1:])))
                elif shape.has_text_frame:
                    paras = [
                        p
                        for p in (
                            " ".join(r.text for r in para.runs).strip()
                            for para in shape.text_frame.paragraphs
                        )
                        if p
                    ]
                    if paras:
                        blocks.append("\n".join(paras))
            if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
                notes = slide.notes_slide.notes_text_frame.text.strip()
                if notes:
                    blocks.append(notes)
            pages.append("\n\n".join(blocks))
        title = (deck.core_properties.title or "").strip() or first_title or path.stem
        return LoadedDocument(title=title, pages=require_text(pages), doc_type="pptx")
