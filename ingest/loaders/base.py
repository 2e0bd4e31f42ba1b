"""Loader role: one file in, its title and page texts out. One implementation per format."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from rag.errors import DocumentError, UnsupportedTypeError
from rag.registry import Registry


@dataclass
class LoadedDocument:
    title: str
    pages: list[str]  # one entry per page; non-paged formats have one
    doc_type: str
    warnings: list[str] = field(default_factory=list)
    ocr_pages: set[int] = field(default_factory=set)  # 1-based pages whose text came from OCR

    @property
    def paged(self) -> bool:
        return self.doc_type in ("pdf", "pptx", "xlsx")  # a page is a page, slide or sheet


@dataclass(frozen=True)
class ParseOptions:
    """What the parse worker may do beyond reading the text layer (built from Settings by the parser)."""

    tables: str | bool = "replace"  # PDF tables: "off", "replace", "add", "summary" (Settings.pdf_tables)
    ocr: bool = True  # PDF pages without a usable text layer are rendered and OCR'd
    ocr_max_pages: int = 50  # per document; scanned pages beyond it are skipped with a warning
    ocr_page_timeout_s: float = 60.0
    ocr_dpi: int = 300


@runtime_checkable
class Loader(Protocol):
    suffixes: tuple[str, ...]
    doc_type: str

    def load(self, path: Path, max_pages: int) -> LoadedDocument: ...


loaders: Registry[Loader] = Registry("loader")
_BY_SUFFIX: dict[str, str] = {}


def register(name: str, suffixes: tuple[str, ...]):
    def deco(cls):
        loaders.register(name)(cls)
        for s in suffixes:
            _BY_SUFFIX[s] = name
        return cls

    return deco


def supported_suffixes() -> list[str]:
    return sorted(_BY_SUFFIX)


def loader_for(path: Path) -> Loader:
    name = _BY_SUFFIX.get(path.suffix.lower())
    if name is None:
        raise UnsupportedTypeError(
            f"unsupported type {path.suffix or '(no extension)'!r}; "
            f"supported: {', '.join(supported_suffixes())}"
        )
    return loaders.create(name)


def decode_text(data: bytes) -> str:
    """Bytes to str: UTF-8 (with BOM) first, then Western single-byte text, then a detected encoding."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DocumentError("undecodable text (broken UTF-16)") from None
    if b"\x00" in data[:4096]:
        raise DocumentError("binary content, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    western = _western(data)
    if western is not None:
        return western
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DocumentError("undecodable text (unknown encoding)")
    return str(best)


def _western(data: bytes) -> str | None:
    """Latin-1/cp1252, the commonest non-UTF-8 text: mostly ASCII with an accented letter here and there.

    charset_normalizer alone reads short French or German text as cp1250 ("crème" -> "crčme").
    Text that is mostly high bytes (Cyrillic, Greek code pages) is left to the detector.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
        return None
    letters = sum(c.isalpha() for c in text)
    high = sum(ord(c) > 127 for c in text)
    return text if high <= 0.3 * max(letters, 1) else None


def require_text(pages: list[str]) -> list[str]:
    if not any(p.strip() for p in pages):
        raise DocumentError("empty: no text in the file")
    return pages
