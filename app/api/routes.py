"""docqa's own endpoints: health, status, ask (JSON or Server-Sent Events), documents, jobs, reindex.

Sync handlers run on FastAPI's worker threads (answering and indexing are blocking, CPU-bound work);
long writes go to the same job runner the Streamlit app uses, one index write at a time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from app.services.library import human_size
from rag.errors import IndexBusyError, RagError
from rag.types import Message

from .auth import key_id, require_admin, require_key
from .deps import Services, Slot, services
from .errors import ApiError, as_body, rag_status
from .models import (
    AskRequest,
    AskResponse,
    DocumentList,
    DocumentOut,
    Error,
    FileOut,
    Health,
    JobOut,
    Removed,
    UploadResponse,
)

ERRORS: dict[int | str, dict[str, Any]] = {s: {"model": Error} for s in (401, 422)}
router = APIRouter(responses=ERRORS)
health = APIRouter()
UPLOAD_FIELD = "files"


@health.get("/healthz", response_model=Health, tags=["service"], summary="Liveness (no key needed)")
def healthz() -> Health:
    return Health()


class Status(BaseModel):
    """`rag status --json`, plus the generators a client may choose."""

    documents: int
    chunks: int
    embedder: str
    dimension: int
    chunking: dict[str, Any]
    collection: str | None
    runtime: str | None = None
    matches_settings: bool | None = None
    generators: list[str]


@router.get("/v1/status", response_model=Status, tags=["service"], dependencies=[Depends(require_key)])
def status(svc: Services = Depends(services)) -> Status:
    return Status(**svc.library.status(), generators=svc.generators)


# answering ---------------------------------------------------------------------------------------------
def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def start(svc: Services, req: AskRequest) -> Slot:
    history = [Message(t.role, t.content) for t in req.history]
    return svc.answer(req.question, history, req.generator, req.top_k, req.doc_ids)


def ask_events(slot: Slot) -> Iterator[str]:
    """`delta` events carry the generator's text as it comes (before checking); the `answer` event then
    carries the checked answer, whose citations may have been renumbered or removed: show that one."""
    try:
        for piece in slot.pieces():
            yield sse("delta", {"text": piece})
        yield sse("answer", AskResponse.of(slot.answer).model_dump())
    except Exception as e:  # the status line is sent already: report it as an event
        yield sse("error", as_body(e))
    finally:
        slot.close()


@router.post(
    "/v1/ask",
    response_model=AskResponse,
    tags=["answering"],
    dependencies=[Depends(require_key)],
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "JSON, or with `stream: true` Server-Sent Events",
        },
        503: {"model": Error},
    },
)
def ask(req: AskRequest, svc: Services = Depends(services)):
    """Answer a question from the indexed documents, with checked citations (or a refusal)."""
    slot = start(svc, req)  # retrieval happens here, so its errors still get a proper status
    if req.stream:
        return StreamingResponse(ask_events(slot), media_type="text/event-stream", headers=SSE_HEADERS)
    return AskResponse.of(slot.collect())


# documents ---------------------------------------------------------------------------------------------
@router.get(
    "/v1/documents", response_model=DocumentList, tags=["documents"], dependencies=[Depends(require_key)]
)
def documents(
    q: str = Query("", max_length=200, description="filter: part of the title"),
    svc: Services = Depends(services),
) -> DocumentList:
    return DocumentList(documents=[DocumentOut.of(d) for d in svc.library.documents(q)])


async def _read_form(request: Request, svc: Services) -> list[UploadFile]:
    limit = svc.settings.upload_max_files
    try:
        form = await request.form(max_files=limit, max_fields=20)
    except HTTPException as e:  # Starlette's multipart limits and parse errors
        if "Too many files" in str(e.detail):
            raise ApiError(413, "too_large", f"too many files: at most {limit} per request") from None
        raise ApiError(400, "bad_request", f"not a valid multipart upload: {e.detail}") from None
    files = [f for f in form.getlist(UPLOAD_FIELD) if isinstance(f, UploadFile)]
    if not files:
        raise ApiError(
            422, "invalid_request", f"send one or more files as multipart form field {UPLOAD_FIELD!r}"
        )
    return files


def _save(svc: Services, name: str, data: bytes) -> tuple[Path | None, FileOut, int]:
    """Store one upload after the app's checks; (path, result, http status if rejected)."""
    limit = svc.settings.upload_max_mb * 1e6
    if len(data) > limit:
        reason = f"too large ({human_size(len(data))} > limit {human_size(limit)})"
        return None, FileOut(name=name, status="rejected", detail=reason), 413
    try:
        path = svc.library.save_upload(name, data)
    except RagError as e:
        return None, FileOut(name=name, status="rejected", detail=str(e)), rag_status(e)[0]
    return path, FileOut(name=name, status="queued"), 0


@router.post(
    "/v1/documents",
    response_model=UploadResponse,
    tags=["documents"],
    dependencies=[Depends(require_key)],
    status_code=200,
    responses={
        202: {"model": UploadResponse, "description": "still indexing: poll the job"},
        409: {"model": Error},
        413: {"model": Error},
        415: {"model": Error},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [UPLOAD_FIELD],
                        "properties": {
                            UPLOAD_FIELD: {"type": "array", "items": {"type": "string", "format": "binary"}}
                        },
                    }
                }
            },
        }
    },
)
async def upload(
    request: Request,
    response: Response,
    wait: float = Query(
        10.0, ge=0, le=120, description="seconds to wait for indexing before answering 202 with a job to poll"
    ),
    svc: Services = Depends(services),
) -> UploadResponse:
    """Add documents (the app's checks: type, size, content). Per-file results; a long ingest returns 202."""
    if (busy := svc.jobs.running("index")) is not None:
        raise IndexBusyError(f"{busy.kind} already in progress; try again when it finishes")
    saved: list[tuple[Path | None, FileOut, int]] = []
    for f in await _read_form(request, svc):
        data = await f.read()
        saved.append(await run_in_threadpool(_save, svc, f.filename or "document", data))
    paths = list(dict.fromkeys(p for p, _, _ in saved if p is not None))  # the same bytes twice: once
    if not paths:
        first = next(s for s in saved if s[2])
        code = {413: "too_large", 415: "unsupported_type"}.get(first[2], "bad_document")
        raise ApiError(
            first[2], code, f"{first[1].name}: {first[1].detail}", files=[o.model_dump() for _, o, _ in saved]
        )
    failure: list[RagError] = []

    def work(job):
        try:
            return svc.library.ingest(paths, job.progress)
        except RagError as e:
            failure.append(e)
            raise

    job = svc.jobs.start("ingest", work)
    await anyio.to_thread.run_sync(svc.jobs.wait, job, wait)
    if job.state == "failed":
        raise failure[0] if failure else ApiError(500, "internal", job.error)
    if job.state == "done":
        by_path = {r.path: r for r in job.result.results}
        outcome = [
            FileOut.of(by_path[str(p)], o.name) if p is not None and str(p) in by_path else o
            for p, o, _ in saved
        ]
        return UploadResponse(files=outcome, job=JobOut.of(job))
    response.status_code = 202
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return UploadResponse(files=[o for _, o, _ in saved], job=JobOut.of(job))


@router.delete(
    "/v1/documents/{doc_id}",
    response_model=Removed,
    tags=["documents"],
    responses={403: {"model": Error}, 404: {"model": Error}, 409: {"model": Error}},
)
def delete(doc_id: str, key: str = Depends(require_admin), svc: Services = Depends(services)) -> Removed:
    """Remove one document (and the server's copy of an uploaded file). Needs an admin key."""
    if (busy := svc.jobs.running("index")) is not None:
        raise IndexBusyError(f"{busy.kind} in progress; try again when it finishes")
    if not any(d.doc_id == doc_id for d in svc.library.documents()):
        raise ApiError(404, "not_found", f"no document with id {doc_id!r}")
    for r in svc.library.delete([doc_id], admin=True, who=f"API key {key_id(key)}"):
        if r.status == "removed":
            return Removed(id=r.doc_id, title=r.title)
    raise ApiError(404, "not_found", f"no document with id {doc_id!r}")


# jobs --------------------------------------------------------------------------------------------------
@router.get(
    "/v1/jobs/{job_id}",
    response_model=JobOut,
    tags=["documents"],
    dependencies=[Depends(require_key)],
    responses={404: {"model": Error}},
)
def job(job_id: str, svc: Services = Depends(services)) -> JobOut:
    found = svc.jobs.get(job_id)
    if found is None:
        raise ApiError(
            404, "not_found", f"no job {job_id!r} (finished jobs are kept for a while, not forever)"
        )
    return JobOut.of(found)


@router.post(
    "/v1/reindex",
    response_model=JobOut,
    status_code=202,
    tags=["documents"],
    dependencies=[Depends(require_admin)],
    responses={403: {"model": Error}, 409: {"model": Error}},
)
def reindex(response: Response, svc: Services = Depends(services)) -> JobOut:
    """Rebuild the index with the current settings in the background; answers keep coming from the old one
    until the new one is complete. Needs an admin key."""
    started = svc.jobs.start("reindex", lambda job: svc.library.reindex(job.progress))
    response.headers["Location"] = f"/v1/jobs/{started.id}"
    return JobOut.of(started)
