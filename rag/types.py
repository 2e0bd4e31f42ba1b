"""Plain data passed between roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class Chunk:
    id: str
    doc_id: str
    text: str
    source: str  # path of the file the chunk came from
    title: str
    page: int  # 1-based page (1 for non-paged documents)
    start: int  # character offsets into the page text
    end: int
    heading: str = ""  # "H1 > H2" path
    content_hash: str = ""
    doc_type: str = ""
    ocr: bool = False  # the text was read from the page image (OCR), not from the file's text

    def metadata(self) -> dict:
        # Chroma metadata values must not be None
        return {
            "doc_id": self.doc_id,
            "source": self.source,
            "title": self.title,
            "page": self.page,
            "start": self.start,
            "end": self.end,
            "heading": self.heading,
            "content_hash": self.content_hash,
            "doc_type": self.doc_type,
            "ocr": self.ocr,
        }

    @classmethod
    def from_metadata(cls, id: str, text: str, meta: dict) -> "Chunk":
        return cls(
            id=id,
            text=text,
            doc_id=meta.get("doc_id", ""),
            source=meta.get("source", ""),
            title=meta.get("title", ""),
            page=int(meta.get("page", 1)),
            start=int(meta.get("start", 0)),
            end=int(meta.get("end", 0)),
            heading=meta.get("heading", ""),
            content_hash=meta.get("content_hash", ""),
            doc_type=meta.get("doc_type", ""),
            ocr=bool(meta.get("ocr", False)),
        )


@dataclass
class Hit:
    chunk: Chunk
    score: float
    dense: float | None = None  # raw cosine similarity where known
    lexical: float | None = None


@dataclass
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass
class Citation:
    n: int
    chunk: Chunk
    span: str  # the exact supporting text inside the chunk
    score: float
    supported: bool = True

    def to_json(self) -> dict:
        c = self.chunk
        return {
            "n": self.n,
            "doc": c.title,
            "source": c.source,
            "page": c.page,
            "text": self.span,
            "score": round(self.score, 4),
            "chunk_id": c.id,
            "supported": self.supported,
            **({"ocr": True, "note": "text from OCR"} if c.ocr else {}),
        }


@dataclass
class Answer:
    question: str
    text: str = ""
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    sources: list[Hit] = field(default_factory=list)  # what was retrieved (shown on refusal too)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # e.g. removed citation markers

    def to_json(self) -> dict:
        return {
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "notes": self.notes,
        }


def user(text: str) -> Message:
    return Message("user", text)


def system(text: str) -> Message:
    return Message("system", text)
