"""PDF loader: pypdf, text per page, encrypted files opened with the empty password when allowed."""
from __future__ import annotations

import logging
from pathlib import Path

from rag.errors import DocumentError

from .base import LoadedDocument, register

logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns loudly on merely odd files


@register("pdf", (".pdf",))
class PdfLoader:
    suffixes = (".pdf",)
    doc_type = "pdf"

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
            pages, bad = [], 0
            for page in reader.pages:
                try:
                    pages.append(_clean(page.extract_text() or ""))
                except Exception:  # one broken page must not lose the rest
                    pages.append("")
                    bad += 1
            title = _title(reader) or path.stem
        except DocumentError:
            raise
        except FileNotDecryptedError:
            raise DocumentError("encrypted: needs a password") from None
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
                RecursionError, AssertionError, OSError, ZeroDivisionError) as e:
            raise DocumentError(f"corrupt PDF ({type(e).__name__}: {_short(e)})") from None
        if not any(p.strip() for p in pages):
            raise DocumentError("no extractable text (likely a scanned PDF; OCR is not supported)")
        warnings = [f"{bad} page(s) could not be read"] if bad else []
        return LoadedDocument(title=title, pages=pages, doc_type="pdf", warnings=warnings)


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
