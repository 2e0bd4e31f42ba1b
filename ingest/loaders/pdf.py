"""PDF loader: text per page, encrypted files opened with the empty password when allowed.

pypdf opens the file: it decides encryption, corruption, the page count (the page order and indexes
that citations and the evaluation use) and the title. The page text comes from pdfium (pypdfium2),
about 15x less CPU than pypdf's extraction (benchmarks/pdf_parse.py), which matters because parsing
shares 2 cores with the embedder. pypdf extracts a page's text instead when pdfium cannot give it:
the document does not open in pdfium or has a different page count (then every page), the page fails
in pdfium, or the page looks like pdfium lost text (`_lost_text`); then the longer text wins.
Pages that look tabular have their tables rebuilt as labelled rows (`pdf_tables`), in place of the
table's raw lines or (`ParseOptions.tables` "add", "summary") after the page's unchanged text. A page
without a usable text layer that shows an image is rendered and OCR'd (`ingest.ocr`, tesseract), up to
`ParseOptions.ocr_max_pages` per document, each page under its own time limit; those pages are listed
in `LoadedDocument.ocr_pages` so their chunks say "text from OCR".
pdfium is not thread-safe: loaders run in the parse worker, one file at a time.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from rag.errors import DocumentError

from ..tables import table_summary
from .base import LoadedDocument, ParseOptions, register
from .pdf_tables import Line, Table, find_tables, looks_tabular, split_lines

logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns loudly on merely odd files
log = logging.getLogger(__name__)

# pdfium drops glyphs it cannot map to Unicode, where pypdf may still find characters: a Japanese
# gazette in the robustness corpus (kampo.pdf) draws 2,628 objects and pdfium reads 19 characters
# from them. Text pages draw at most 2.2 objects per visible character (FinanceBench, 1,839 pages),
# so a page drawing 4 or more per character pdfium gave (or any object and no text) is read with
# pypdf too. On ../shared/eval that is 23 of 2,123 pages: kampo's, and image-only or vector-drawing
# pages where pypdf finds no more text either (FinanceBench: 2 image pages).
_SUSPECT_OBJECTS_PER_CHAR = 4
# pdfium's text: U+FFFE for a hyphen that ended a line (the line break is dropped, "ready\ufffeto-drink");
# control characters for some unmapped glyphs
_PDFIUM_FIXES = str.maketrans(
    {**{c: None for c in range(32) if chr(c) not in "\t\n\r\f"}, "\r": "\n", "\ufffe": "-"}
)
# pdfium never emits a blank line, and the chunker cuts at blank lines (paragraphs) by preference; without
# them FinanceBench page_hit@5 fell from pypdf's 0.381 to 0.310, with them it is 0.381. A blank line goes
# where the page leaves at least this much space between two lines, in heights of the lower line:
# FinanceBench's gaps are ~0 inside a paragraph, 0.1-0.3 between table rows, 0.8-1.1 between
# paragraphs, and rarest at 0.4-0.6.
_PARAGRAPH_GAP = 0.5
# fewer visible characters than this (a page number, a stamp) and the page counts as scanned: OCR'd if
# it shows an image
_MIN_PAGE_CHARS = 16


@register("pdf", (".pdf",))
class PdfLoader:
    suffixes = (".pdf",)
    doc_type = "pdf"
    options = ParseOptions()  # the parse worker sets the user's
    progress: Callable[[str], None] | None = None  # the parse worker's: "OCR page 3 of 40" to the user

    def load(self, path: Path, max_pages: int) -> LoadedDocument:
        from pypdf import PdfReader
        from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

        try:
            reader = PdfReader(path)
            if reader.is_encrypted:
                try:
                    ok = reader.decrypt("")
                except (DependencyError, NotImplementedError) as e:
                    raise DocumentError(f"encrypted with an unsupported scheme ({e})") from None
                if not ok:
                    raise DocumentError("encrypted: needs a password")
            n = len(reader.pages)
            if n == 0:
                raise DocumentError("empty: the PDF has no pages")
            if n > max_pages:
                raise DocumentError(f"too many pages ({n} > limit {max_pages})")
            fast = _pdfium_pages(path, n, self.options.tables)
            pages, bad, slow = [], 0, 0
            for i, page in enumerate(reader.pages):
                text, objects = fast[i] if fast else (None, 0)
                if text is not None and not _lost_text(text, objects):
                    pages.append(text)
                    continue
                slow += 1
                try:
                    other = _clean(page.extract_text() or "")
                except Exception:  # one broken page must not lose the rest
                    other = None
                if other is None and text is None:
                    pages.append("")
                    bad += 1
                else:
                    pages.append(max((t for t in (text, other) if t is not None), key=_visible))
            title = _title(reader) or path.stem
        except DocumentError:
            raise
        except FileNotDecryptedError:
            raise DocumentError("encrypted: needs a password") from None
        except (
            PdfReadError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            IndexError,
            RecursionError,
            AssertionError,
            OSError,
            ZeroDivisionError,
        ) as e:
            raise DocumentError(f"corrupt PDF ({type(e).__name__}: {_short(e)})") from None
        if slow:
            log.debug("%s: %d of %d page(s) read with pypdf", path.name, slow, n)
        warnings = [f"{bad} page(s) could not be read"] if bad else []
        scanned = [i for i, p in enumerate(pages) if not _usable(p)]
        ocr_pages: set[int] = set()
        if scanned and self.options.ocr:
            ocr_pages, notes = _ocr_pages(path, pages, scanned, self.options, self.progress)
            warnings += notes
        if not any(p.strip() for p in pages):
            why = (
                "OCR is off (RAG_OCR=false)"
                if not self.options.ocr
                else "; ".join(warnings) or "OCR found no text"
            )
            raise DocumentError(f"no extractable text (scanned pages: {why})")
        return LoadedDocument(
            title=title, pages=pages, doc_type="pdf", warnings=warnings, ocr_pages=ocr_pages
        )


def _usable(text: str) -> bool:
    """A text layer worth keeping: a few words at least, mostly letters and digits (not glyph garbage)."""
    visible = [c for c in text if not c.isspace()]
    return len(visible) >= _MIN_PAGE_CHARS and sum(c.isalnum() for c in visible) >= 0.3 * len(visible)


def _ocr_pages(
    path: Path,
    pages: list[str],
    scanned: list[int],
    opt: ParseOptions,
    progress: Callable[[str], None] | None = None,
) -> tuple[set[int], list[str]]:
    """OCR the scanned pages that show an image, in place, up to the per-document cap. Returns the 1-based
    pages now holding OCR text and one-line notes (skipped pages, a page that timed out or failed).
    `progress` hears "OCR page k of n" before each page is read (n: the pages to read, after the cap)."""
    import pypdfium2 as pdfium

    from .. import ocr

    if not ocr.available():
        return set(), [
            "scanned pages not read: OCR unavailable (tesseract is not installed; run `make setup`)"
        ]
    try:
        doc = pdfium.PdfDocument(str(path))
    except Exception:
        return set(), ["scanned pages not read: the file does not render"]
    done: set[int] = set()
    notes, failed, engine = [], [], None
    try:
        # blank or vector-only pages show nothing a camera saw; the rest are counted first so the
        # progress has its total
        targets = [i for i in scanned if _shows_image(doc, i)]
        over = max(0, len(targets) - opt.ocr_max_pages)
        targets = targets[: opt.ocr_max_pages]
        for k, i in enumerate(targets, start=1):
            if progress is not None:
                progress(f"OCR page {k} of {len(targets)}")
            page = doc[i]
            try:
                engine = engine or ocr.create()
                text = _clean(engine.read(ocr.render(page, opt.ocr_dpi), opt.ocr_page_timeout_s))
            except DocumentError as e:
                failed.append(f"page {i + 1}: {e}")
                continue
            finally:
                page.close()
            if _visible(text) > _visible(pages[i]):
                pages[i] = text
                done.add(i + 1)
    finally:
        doc.close()
    if over:
        notes.append(
            f"{over} scanned page(s) not read: over the OCR cap of {opt.ocr_max_pages} "
            "pages per document (RAG_OCR_MAX_PAGES)"
        )
    if failed:
        notes.append(f"OCR failed on {len(failed)} page(s): " + "; ".join(failed[:3]))
    return done, notes


def _shows_image(doc, i: int) -> bool:
    import pypdfium2.raw as pdfium_c

    page = doc[i]
    try:
        return any(
            pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(page, k)) == pdfium_c.FPDF_PAGEOBJ_IMAGE
            for k in range(pdfium_c.FPDFPage_CountObjects(page))
        )
    finally:
        page.close()


def _table_mode(tables: str | bool) -> str:
    return ("replace" if tables else "off") if isinstance(tables, bool) else tables  # bool: the old option


def _pdfium_pages(path: Path, n: int, tables: str | bool = "replace") -> list[tuple[str | None, int]] | None:
    """(text, objects drawn) per page from pdfium; text None where the page failed. None for the whole
    document when pdfium cannot open it or counts other than `n` pages (pypdf's numbering wins)."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
    except Exception:  # includes a password pypdf's empty one satisfied but pdfium's did not
        return None
    try:
        if len(doc) != n:
            return None
        out: list[tuple[str | None, int]] = []
        for i in range(n):
            try:
                out.append(_pdfium_page(doc, i, tables))
            except Exception:  # one broken page must not lose the rest
                out.append((None, 0))
        return out
    except Exception:
        return None
    finally:
        doc.close()


def _pdfium_page(doc, i: int, tables: str | bool = "replace") -> tuple[str, int]:
    import pypdfium2.raw as pdfium_c

    page = doc[i]
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()  # the whole page: get_text_bounded clips to the crop box
            lines = split_lines(text)
            mode = _table_mode(tables)
            found = find_tables(lines, _boxes(textpage)) if mode != "off" and looks_tabular(lines) else []
            if mode == "replace":
                text = _paragraphs(textpage, lines, found)
            else:
                # the page's text as with tables off, then each table block (and its summary) as paragraphs
                # of their own after it: the chunker packs those into chunks of their own on the same page
                blocks = [t.text for t in found]
                if mode == "summary":
                    blocks += [s for s in map(table_summary, blocks) if s]
                text = "\n\n".join([_paragraphs(textpage, lines)] + blocks)
        finally:
            textpage.close()
        return _clean(text.translate(_PDFIUM_FIXES)), pdfium_c.FPDFPage_CountObjects(page)
    finally:
        page.close()


def _boxes(textpage):
    """Text index -> loose box (left, right, bottom, top) of that character, None where pdfium has none."""
    import pypdfium2.raw as pdfium_c

    rect = pdfium_c.FS_RECTF()

    def box(k: int):
        c = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, k)
        if c < 0 or not pdfium_c.FPDFText_GetLooseCharBox(textpage, c, rect):
            return None
        return rect.left, rect.right, rect.bottom, rect.top

    return box


def _paragraphs(textpage, lines: list[Line], tables: list[Table] = ()) -> str:
    """pdfium's CR LF separated lines joined by LF, with a blank line before a line that sits
    `_PARAGRAPH_GAP` below the one before or anywhere above it (a new column or block). Lines that
    overlap vertically (a superscript, a table row split in two) count as one line. The page's last
    line is not set apart: mostly a page number or footer, alone it would make a chunk of its own
    (on FinanceBench that was 473 chunks, most of the 4.5 % more chunks than with pypdf's text).
    Each table's lines are replaced by its labelled block (`pdf_tables`), a paragraph of its own."""
    import pypdfium2.raw as pdfium_c

    rect = pdfium_c.FS_RECTF()
    out: list[str] = []
    band, last_break = None, -1  # band: (bottom, top) of the last visual line
    starts = {t.first: t for t in tables}
    skip_to = 0
    for n, ln in enumerate(lines):
        if n < skip_to:
            continue
        if n in starts:
            t = starts[n]
            out += ["", t.text, ""]  # a footer after it stays out of the table's paragraph
            last_break, band, skip_to = -1, None, t.last
            continue
        line, start = ln.text, ln.start
        k = len(line) - len(line.lstrip())
        box = None
        if k < len(line):
            c = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, start + k)
            if (
                c >= 0
                and pdfium_c.FPDFText_GetUnicode(textpage, c) == ord(line[k])
                and pdfium_c.FPDFText_GetLooseCharBox(textpage, c, rect)
                and rect.top > rect.bottom
            ):
                box = (rect.bottom, rect.top)
        if box and band:
            bottom, top = box
            if bottom >= band[1] or (top <= band[0] and band[0] - top >= _PARAGRAPH_GAP * (top - bottom)):
                last_break = len(out)
                out.append("")
            elif top > band[0]:
                box = (min(bottom, band[0]), max(top, band[1]))
        band = box or band
        out.append(line)
    if last_break >= 0 and not "".join(out[last_break + 2 :]).strip():
        del out[last_break]
    return "\n".join(out)


def _lost_text(text: str, objects: int) -> bool:
    """pdfium read too few characters for what the page draws (see _SUSPECT_OBJECTS_PER_CHAR)."""
    return objects > 0 and objects >= _SUSPECT_OBJECTS_PER_CHAR * _visible(text)


def _visible(text: str) -> int:
    return sum(not c.isspace() for c in text)


def _title(reader) -> str:
    try:
        meta = reader.metadata
        t = (meta.title if meta else None) or ""
        t = t.strip() if isinstance(t, str) else ""
        # an id such as "0000004962-23-000006" (SEC filings) names nothing: the file name is better
        return t if 3 <= len(t) <= 200 and sum(c.isalpha() for c in t) >= 3 else ""
    except Exception:
        return ""


def _clean(text: str) -> str:
    # NUL and lone surrogates break Chroma/SQLite and the tokenizer
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _short(e: Exception) -> str:
    s = str(e).splitlines()[0] if str(e) else ""
    return s[:120]
