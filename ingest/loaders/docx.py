"""DOCX loader: paragraphs with heading styles become Markdown headings; tables become rows."""
from __future__ import annotations

import zipfile
from pathlib import Path

from rag.errors import DocumentError

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
        blocks, first_heading = [], ""
        for block in d.iter_inner_content():
            if isinstance(block, docx.table.Table):
                rows = [" | ".join(c.text.strip() for c in r.cells) for r in block.rows]
                blocks.append("\n".join(rows))
                continue
            text = block.text.strip()
            if not text:
                continue
            style = (block.style.name if block.style is not None else "") or ""
            if style.startswith("Heading") or style == "Title":
                level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
                blocks.append("#" * min(level, 6) + " " + text)
                first_heading = first_heading or text
            else:
                blocks.append(text)
        title = (d.core_properties.title or "").strip() or first_heading or path.stem
        return LoadedDocument(title=title, pages=require_text(["\n\n".join(blocks)]), doc_type="docx")
