"""Request and response bodies of the HTTP API: typed, bounded, and the source of /openapi.json.

Every request field has a limit (length, count, range), so a client cannot make the server hold or
search more than the app's own controls allow. Paths on the server are never sent back: a source is
named by its file name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.services.jobs import Job
from ingest.pipeline import FileResult
from rag.manifest import DocumentRow
from rag.types import Answer, Citation, Hit

MAX_QUESTION = 4000  # characters
MAX_HISTORY = 20  # messages
MAX_TOP_K = 20  # as the app's slider
MAX_DOC_IDS = 200


class Error(BaseModel):
    error: str = Field(description="a short machine-readable code, e.g. not_found, busy, unauthorized")
    detail: str = Field(description="one line a person can act on")


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_QUESTION * 4)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY,
        description="earlier turns, oldest first; follow-ups borrow their words",
    )
    generator: str | None = Field(default=None, description="one of GET /v1/status's allowed generators")
    top_k: int | None = Field(default=None, ge=1, le=MAX_TOP_K)
    doc_ids: list[str] | None = Field(
        default=None, max_length=MAX_DOC_IDS, description="answer only from these documents"
    )
    stream: bool = Field(default=False, description="Server-Sent Events: `delta` pieces, then `answer`")


class CitationOut(BaseModel):
    n: int
    doc: str = Field(description="document title")
    doc_id: str
    source: str = Field(description="file name")
    page: int
    text: str = Field(description="the supporting text inside the chunk")
    score: float
    chunk_id: str
    supported: bool
    ocr: bool = Field(default=False, description="the text was read from a scanned page (OCR)")

    @classmethod
    def of(cls, c: Citation) -> "CitationOut":
        k = c.chunk
        return cls(
            n=c.n,
            doc=k.title,
            doc_id=k.doc_id,
            source=Path(k.source).name,
            page=k.page,
            text=c.span,
            score=round(c.score, 4),
            chunk_id=k.id,
            supported=c.supported,
            ocr=k.ocr,
        )


class SourceOut(BaseModel):
    doc: str
    doc_id: str
    source: str
    page: int
    score: float
    text: str
    chunk_id: str
    ocr: bool = Field(default=False, description="the text was read from a scanned page (OCR)")

    @classmethod
    def of(cls, h: Hit) -> "SourceOut":
        k = h.chunk
        return cls(
            doc=k.title,
            doc_id=k.doc_id,
            source=Path(k.source).name,
            page=k.page,
            score=round(h.dense if h.dense is not None else h.score, 4),
            text=k.text,
            chunk_id=k.id,
            ocr=k.ocr,
        )


class AskResponse(BaseModel):
    answer: str = Field(description="the checked answer with [n] markers, or the refusal")
    refused: bool
    citations: list[CitationOut]
    sources: list[SourceOut] = Field(description="what was retrieved (the closest passages on a refusal)")
    notes: list[str]
    timings: dict[str, float]

    @classmethod
    def of(cls, a: Answer) -> "AskResponse":
        return cls(
            answer=a.text,
            refused=a.refused,
            citations=[CitationOut.of(c) for c in a.citations],
            sources=[SourceOut.of(h) for h in a.sources],
            notes=list(a.notes),
            timings={k: round(v, 4) for k, v in a.timings.items()},
        )


class DocumentOut(BaseModel):
    id: str
    title: str
    type: str
    pages: int
    ocr_pages: int = Field(default=0, description="pages whose text was read by OCR")
    chunks: int
    bytes: int
    added: float = Field(description="Unix time")
    files: list[str] = Field(description="file names")

    @classmethod
    def of(cls, d: DocumentRow) -> "DocumentOut":
        return cls(
            id=d.doc_id,
            title=d.title,
            type=d.doc_type,
            pages=d.pages,
            ocr_pages=d.ocr_pages,
            chunks=d.chunks,
            bytes=d.bytes,
            added=d.added,
            files=[Path(p).name for p in d.paths],
        )


class DocumentList(BaseModel):
    documents: list[DocumentOut]


class FileOut(BaseModel):
    name: str
    status: Literal["queued", "rejected", "indexed", "unchanged", "duplicate", "failed"]
    detail: str = ""
    doc_id: str = ""
    title: str = ""
    pages: int = 0
    chunks: int = 0

    @classmethod
    def of(cls, r: FileResult, name: str | None = None) -> "FileOut":
        from app.services.library import describe

        status = r.status if r.status in ("indexed", "unchanged", "duplicate") else "failed"
        return cls(
            name=name or Path(r.path).name,
            status=status,
            detail=describe(r),
            doc_id=r.doc_id,
            title=r.title,
            pages=r.pages,
            chunks=r.chunks,
        )


class JobOut(BaseModel):
    id: str
    kind: str
    state: Literal["running", "done", "failed"]
    done: int
    total: int
    current: str = Field(
        description='file being processed, with a note while a scan is OCR\'d ("scan.pdf — OCR page 3 of 40")'
    )
    seconds: float
    error: str = ""
    files: list[FileOut] | None = Field(default=None, description="per-file results once an ingest is done")
    summary: dict[str, Any] | None = None

    @classmethod
    def of(cls, j: Job) -> "JobOut":
        report = j.result if j.state == "done" and hasattr(j.result, "results") else None
        return cls(
            id=j.id,
            kind=j.kind,
            state=j.state,
            done=j.done,
            total=j.total,
            current=Path(j.current).name if j.current else "",
            seconds=round(j.seconds, 3),
            error=j.error,
            files=[FileOut.of(r) for r in report.results if r.status not in ("removed", "skipped")]
            if report
            else None,
            summary=report.summary() if report else None,
        )


class UploadResponse(BaseModel):
    files: list[FileOut] = Field(description="one per uploaded file, in order")
    job: JobOut | None = Field(description="the ingest job; poll GET /v1/jobs/{id} while it is running")


class Removed(BaseModel):
    id: str
    title: str


class Health(BaseModel):
    status: Literal["ok"] = "ok"
