"""The one place errors become HTTP responses: `{"error": code, "detail": one line}`, never a traceback.

Library errors (RagError subclasses) carry user-facing messages already; this table only picks the
status. The most specific class wins (UnsupportedTypeError before DocumentError before RagError).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import (
    ConfigError,
    DocumentError,
    GeneratorError,
    IndexBusyError,
    IndexMismatchError,
    NotAllowedError,
    RagError,
    StoreError,
    UnsupportedTypeError,
)

log = logging.getLogger("docqa.api")


class ApiError(Exception):
    """An error raised by the API layer itself, with its status and code."""

    def __init__(
        self, status: int, error: str, detail: str, headers: dict[str, str] | None = None, **extra
    ) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail, self.headers, self.extra = status, error, detail, headers, extra


# most specific first
RAG_STATUS: list[tuple[type[RagError], int, str]] = [
    (NotAllowedError, 403, "forbidden"),
    (UnsupportedTypeError, 415, "unsupported_type"),
    (DocumentError, 422, "bad_document"),
    (IndexBusyError, 409, "busy"),
    (IndexMismatchError, 503, "index_mismatch"),  # settings changed: an admin must reindex
    (GeneratorError, 503, "generator_unavailable"),
    (StoreError, 503, "store_unavailable"),
    (ConfigError, 503, "misconfigured"),  # the server's settings or models, not the request
    (RagError, 500, "error"),
]

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "busy",
    413: "too_large",
    415: "unsupported_type",
    422: "invalid_request",
    503: "unavailable",
}


def rag_status(e: RagError) -> tuple[int, str]:
    return next((status, code) for cls, status, code in RAG_STATUS if isinstance(e, cls))


def body(error: str, detail: str, **extra) -> dict:
    return {"error": error, "detail": " ".join(str(detail).split()), **extra}


def response(
    status: int, error: str, detail: str, headers: dict[str, str] | None = None, **extra
) -> JSONResponse:
    return JSONResponse(body(error, detail, **extra), status_code=status, headers=headers)


def as_body(e: Exception) -> dict:
    """For errors met after a stream has started (status already sent): the same shape, as an event."""
    if isinstance(e, ApiError):
        return body(e.error, e.detail)
    if isinstance(e, RagError):
        return body(rag_status(e)[1], str(e))
    log.exception("unexpected error while streaming", exc_info=e)
    return body("internal", "unexpected error; the details are in the server log")


def _validation_line(e: RequestValidationError) -> str:
    first = e.errors()[0]
    if first.get("type") == "json_invalid":
        return f"the body is not valid JSON ({first.get('ctx', {}).get('error', 'parse error')})"
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
    more = len(e.errors()) - 1
    return f"{where}: {first.get('msg', 'invalid')}" + (f" (and {more} more)" if more else "")


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, e: ApiError):
        return response(e.status, e.error, e.detail, e.headers, **e.extra)

    @app.exception_handler(RagError)
    async def _rag(request: Request, e: RagError):
        status, code = rag_status(e)
        if status >= 500:
            log.warning("%s %s: %s", request.method, request.url.path, e)
        return response(status, code, str(e))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError):
        return response(422, "invalid_request", _validation_line(e))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException):
        code = HTTP_CODES.get(e.status_code, "error")
        detail = e.detail if isinstance(e.detail, str) else code
        if e.status_code == 404 and detail == "Not Found":
            detail = f"no such endpoint: {request.method} {request.url.path}; see /docs"
        return response(e.status_code, code, detail, getattr(e, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(request: Request, e: Exception):
        log.error("unexpected error in %s %s", request.method, request.url.path, exc_info=e)
        return response(500, "internal", "unexpected error; the details are in the server log")
