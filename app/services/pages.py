"""PDF page previews: one page rendered to PNG with pypdfium2, the cited span marked on it."""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path

from ingest.tables import TABLE_MARK
from rag.errors import DocumentError

HIGHLIGHT = (255, 200, 0, 90)  # translucent amber, so the text under it stays readable
# a page is scaled to the preview width, so a 9x900-point page would be 900x90,000 px (682 MB): cap the
# pixels (a 900 px wide A4 page is ~1.1 MP) and refuse pages too narrow or too wide to be a page
MAX_PIXELS = 6_000_000
MAX_ASPECT = 20.0
# pdfium keeps per-document state that is not safe to share across threads; renders are quick
_LOCK = threading.Lock()
_VALUE_PIECE = re.compile(r"\d[\d,.]*\d|\d|[()—–-]|[^\W\d_]+")  # number, sign/bracket, word
_ROW_SEP = " | "  # between a table row's label and its labelled values (ingest/tables.py)


def _normalized(text: str) -> tuple[str, list[int]]:
    """Lower-cased text with whitespace runs collapsed, and each kept char's index in the original."""
    out, where = [], []
    space = True
    for i, ch in enumerate(text):
        if ch.isspace():
            if not space:
                out.append(" ")
                where.append(i)
            space = True
        else:
            out.append(ch.lower())
            where.append(i)
            space = False
    return "".join(out), where


def find_span(page_text: str, span: str) -> tuple[int, int] | None:
    """(start, count) of `span` in the page text, tolerant of line breaks and spacing that differ
    between the parser that indexed the page and pdfium; falls back to the span's first words."""
    hay, where = _normalized(page_text)
    words = span.split()
    for needle in (" ".join(words), " ".join(words[:8]), " ".join(words[:4])):
        needle = needle.lower()
        if len(needle) < 8:
            continue
        at = hay.find(needle)
        if at >= 0:
            start, end = where[at], where[at + len(needle) - 1]
            return start, end - start + 1
    return None


def find_spans(page_text: str, span: str) -> list[tuple[int, int]]:
    """(start, count) ranges of the page text to mark for `span`. A table row (`label | header: value`,
    ingest/tables.py) is rebuilt text that is not on the page verbatim, so each row is found by its label
    and its values on one line of the page; any other span by its words (`find_span`)."""
    lines = [ln for ln in span.split("\n") if ln.strip()]
    rows = [ln for ln in lines if _ROW_SEP in ln and not ln.startswith(TABLE_MARK)]
    found = [r for r in (find_row(page_text, row) for row in rows) if r]
    if not found and (plain := find_span(page_text, span)):  # prose that happens to hold a " | "
        found = [plain]
    return found


def find_row(page_text: str, row: str) -> tuple[int, int] | None:
    """(start, count) of the page line that holds a table row: its label and its values in order, e.g.
    `Adjusted EBITDA | 2023: 2,018 | 2022: 2,117` -> `Adjusted EBITDA 2,018 2,117`. The line with the label
    and most of the values wins (a line starting with the label before one that merely contains it); if
    no line has the label at all (a label wrapped onto two lines, a `(total)` row), the one line holding
    every value in order, so a bare number repeated elsewhere is not marked."""
    cells = [c.strip() for c in row.split(_ROW_SEP)]
    label = "" if cells[0] in ("", "(total)") else cells[0]
    values = [c.rsplit(": ", 1)[-1] for c in cells[1:] if c]
    if not values:
        return None
    best: tuple[tuple[int, bool], int, int] | None = None  # ((values found, label leads), start, end)
    all_values: list[tuple[int, int]] = []
    label_seen = False
    for m in re.finditer(r"[^\r\n]+", page_text):
        line, base = m.group(), m.start()
        found = _label_in(line, label) if label else None
        if found is not None:
            label_seen = True
            hits = _values_in(line, values, found[1])
            lead = not line[: found[0]].strip()
            if hits and (best is None or (len(hits), lead) > best[0]):
                best = ((len(hits), lead), base + found[0], base + hits[-1].end())
        hits = _values_in(line, values, 0)
        if len(hits) == len(values):
            all_values.append((base + hits[0].start(), base + hits[-1].end()))
    if best is not None:
        return best[1], best[2] - best[1]
    if len(all_values) == 1 and not label_seen:
        start, end = all_values[0]
        return start, end - start
    return None


def _values_in(line: str, values: list[str], at: int) -> list[re.Match]:
    """The values found in order in `line` from `at` (a value not there is skipped)."""
    hits = []
    for v in values:
        vm = _value_re(v).search(line, at)
        if vm is not None:
            hits.append(vm)
            at = vm.end()
    return hits


def _label_in(line: str, label: str) -> tuple[int, int] | None:
    """Where the row label starts and ends in a page line, ignoring case and spacing."""
    hay, where = _normalized(line)
    needle = " ".join(label.split()).lower()
    at = hay.find(needle)
    if at < 0:
        return None
    return where[at], where[at + len(needle) - 1] + 1


def _value_re(value: str) -> re.Pattern:
    """A cell value as printed: its numbers, signs and parentheses in order with any spacing, `$` or `%`
    between them ("(3.9)%" is printed "(3.9 %)", "$ 1,234" may be "$1,234"), not inside a larger number
    (2,018 must not match 12,018)."""
    pieces = _VALUE_PIECE.findall(value) or value.split()
    body = r"[\s$%]*".join(re.escape(piece) for piece in pieces)
    return re.compile(rf"(?<![\w.,]){body}(?:\s*%)?(?![\w,]|\.\d)")


def render_page(
    path: str | Path, page: int, span: str = "", width: int = 900, excerpt: bool = False
) -> bytes:
    """PNG bytes of 1-based `page`, `width` pixels wide, with `span` highlighted when it can be found.

    With `excerpt`, only the band of the page around the highlight (a page scaled to a chat column is
    too small to read; the band is not)."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    path = Path(path)
    if not path.is_file():
        raise DocumentError(f"the file {path.name} is no longer available for a preview")
    with _LOCK:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as e:
            raise DocumentError(f"cannot open {path.name} for a preview ({e})") from None
        try:
            if not 1 <= page <= len(pdf):
                raise DocumentError(f"{path.name} has no page {page}")
            p = pdf[page - 1]
            scale = _scale(p.get_width(), p.get_height(), width, path.name, page)
            try:
                image = p.render(scale=scale).to_pil().convert("RGBA")
            except (MemoryError, pdfium.PdfiumError) as e:
                raise DocumentError(
                    f"cannot render page {page} of {path.name} ({type(e).__name__})"
                ) from None
            height = p.get_height()
            # PDF points with the origin bottom-left -> pixel boxes with the origin top-left
            rects = _span_rects(p, span) if span.strip() else []
            boxes = [
                (x0 * scale - 2, (height - y1) * scale - 2, x1 * scale + 2, (height - y0) * scale + 2)
                for x0, y0, x1, y1 in rects
            ]
        finally:
            pdf.close()
    if boxes:
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        for box in boxes:
            draw.rectangle(box, fill=HIGHLIGHT)
        image = Image.alpha_composite(image, overlay)
        if excerpt:
            image = image.crop(_band(image.size, min(b[1] for b in boxes), max(b[3] for b in boxes)))
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _scale(w: float, h: float, width: int, name: str, page: int) -> float:
    """The zoom that makes the page `width` px wide, lowered to keep it under MAX_PIXELS."""
    if not (w > 0 and h > 0) or max(w / h, h / w) > MAX_ASPECT:
        raise DocumentError(f"page {page} of {name} has an odd shape ({w:g} x {h:g} points): no preview")
    scale = width / w
    if w * h * scale * scale > MAX_PIXELS:
        scale = 0.99 * (MAX_PIXELS / (w * h)) ** 0.5  # pdfium rounds the size up
    return scale


def _band(size: tuple[int, int], top: float, bottom: float) -> tuple[int, int, int, int]:
    """A horizontal strip around [top, bottom], at least a quarter of the page tall."""
    w, h = size
    tall = max(bottom - top + 0.12 * h, 0.25 * h)
    mid = (top + bottom) / 2
    a = max(0, min(mid - tall / 2, h - tall))
    return 0, int(a), w, int(min(h, a + tall))


def _span_rects(page, span: str) -> list[tuple[float, float, float, float]]:
    text_page = page.get_textpage()
    try:
        text = text_page.get_text_range()
        rects = []
        for start, count in find_spans(text, span):
            n = text_page.count_rects(start, count)
            rects += [text_page.get_rect(i) for i in range(n)]
        return rects
    finally:
        text_page.close()
