"""HTML loader: trafilatura strips navigation and boilerplate and keeps headings as Markdown; its pipe
tables become labelled rows (`ingest.tables`)."""

from __future__ import annotations

from pathlib import Path

from rag.errors import DocumentError

from ..tables import markdown_tables
from .base import LoadedDocument, decode_text, register, require_text


@register("html", (".html", ".htm", ".xhtml"))
class HtmlLoader:
    suffixes = (".html", ".htm", ".xhtml")
    doc_type = "html"

    def load(self, path: Path, max_pages: int) -> LoadedDocument:
        import trafilatura

        html = decode_text(path.read_bytes())
        text = trafilatura.extract(
            html, output_format="markdown", include_tables=True, include_comments=False, favor_recall=True
        )
        if not text:  # very short pages fall below trafilatura's main-content heuristics
            text = trafilatura.html2txt(html) or ""
        meta = trafilatura.extract_metadata(html)
        title = (meta.title if meta and meta.title else "") or path.stem
        if not text.strip():
            raise DocumentError("empty: no readable text in the HTML")
        return LoadedDocument(
            title=title.strip(), pages=require_text([markdown_tables(text)]), doc_type="html"
        )
