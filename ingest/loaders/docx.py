"""DOCX loader: paragraphs with heading styles become Markdown headings; tables become labelled rows
(`ingest.tables`: the first row is the header, the first column labels each row)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from rag.errors import DocumentError

from ..tables import labelled_rows, render_table
from .base import LoadedDocument, register, require_text


@register("docx", (".docx",))
class DocxLoader:
    suffixes = (".docx",)
    doc_type = "docx"

    def load(self, path: Path, max_pages: int) -> LoadedDocument:
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        try:
            d = docx.Document(str(path))
        except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as e:
            raise DocumentError(f"corrupt DOCX ({type(e).__name__})") from None
        blocks, first_heading, last_heading = [], "", ""
        for block in d.iter_inner_content():
            if isinstance(block, docx.table.Table):
                grid = [_dedup([c.text for c in r.cells]) for r in block.rows]
                if grid:
                    # caption: a short title line right above, else the section's heading
                    prev = blocks[-1] if blocks else ""
                    short = prev and len(prev) <= 80 and not prev.rstrip().endswith((".", ":", ";"))
                    caption = prev.lstrip("#").strip() if short else last_heading
                    blocks.append(render_table(caption, labelled_rows(grid[:1], grid[1:])))
                continue
            text = block.text.strip()
            if not text:
                continue
            style = (block.style.name if block.style is not None else "") or ""
            if style.startswith("Heading") or style == "Title":
                level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
                blocks.append("#" * min(level, 6) + " " + text)
                first_heading, last_heading = first_heading or text, text
            else:
                blocks.append(text)
        title = (d.core_properties.title or "").strip() or first_heading or path.stem
        return LoadedDocument(title=title, pages=require_text(["\n\n".join(blocks)]), doc_type="docx")


def _dedup(cells: list[str]) -> list[str]:
    """python-docx repeats a merged cell's text in every grid cell it spans: keep it once."""
    out, last = [], None
    for c in cells:
        c = c.strip()
        out.append("" if c and c == last else c)
        last = c
    return out
