"""PDF page previews: one page rendered to PNG with pypdfium2, the cited span marked on it."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from rag.errors import DocumentError

HIGHLIGHT = (255, 200, 0, 90)  # translucent amber, so the text under it stays readable
# a page is scaled to the preview width, so a 9x900-point page would be 900x90,000 px (682 MB): cap the
# pixels (a 900 px wide A4 page is ~1.1 MP) and refuse pages too narrow or too wide to be a page
MAX_PIXELS = 6_000_000
MAX_ASPECT = 20.0
# pdfium keeps per-document state that is not safe to share across threads; renders are quick
_LOCK = threading.Lock()


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
        found = find_span(text, span)
        if found is None:
            return []
        start, count = found
        n = text_page.count_rects(start, count)
        return [text_page.get_rect(i) for i in range(n)]
    finally:
        text_page.close()
