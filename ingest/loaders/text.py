"""Plain text and Markdown loaders."""

from __future__ import annotations

import re
from pathlib import Path

from .base import LoadedDocument, decode_text, register, require_text

_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)


@register("text", (".txt", ".text", ".rst", ".log"))
class TextLoader:
    suffixes = (".txt", ".text", ".rst", ".log")
    doc_type = "text"

    def load(self, path: Path, max_pages: int) -> LoadedDocument:
        text = decode_text(path.read_bytes())
        return LoadedDocument(title=path.stem, pages=require_text([text]), doc_type="text")


@register("markdown", (".md", ".markdown", ".mdx"))
class MarkdownLoader:
    suffixes = (".md", ".markdown", ".mdx")
    doc_type = "markdown"

    def load(self, path: Path, max_pages: int) -> LoadedDocument:
        text = decode_text(path.read_bytes())
        m = _H1.search(text)
        title = m.group(1).strip() if m else path.stem.replace("_", " ")
        return LoadedDocument(title=title, pages=require_text([text]), doc_type="markdown")
