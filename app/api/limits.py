"""Bounded request bodies: JSON requests up to MAX_JSON_BYTES, uploads up to the app's file count x size.

A declared Content-Length over the limit is refused before a byte is read; a chunked body is counted
as it arrives (JSON is buffered, it is small; an upload is counted while the multipart parser reads it).
"""

from __future__ import annotations

from .errors import ApiError, response

MAX_JSON_BYTES = 1_000_000
UPLOAD_PATHS = ("/v1/documents",)


class BodyLimit:
    def __init__(self, app, upload_bytes: int, json_bytes: int = MAX_JSON_BYTES) -> None:
        self.app, self.upload_bytes, self.json_bytes = app, upload_bytes, json_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        upload = scope["path"] in UPLOAD_PATHS
        limit = self.upload_bytes if upload else self.json_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                return await response(400, "bad_request", "invalid Content-Length")(scope, receive, send)
            if size > limit:
                return await _too_large(limit, upload)(scope, receive, send)
            return await self.app(scope, receive, send)  # the server reads exactly that many bytes
        if upload:
            return await self.app(scope, _counting(receive, limit), send)
        # no length given (chunked): read it all here, it is small, and replay it
        messages, seen = [], 0
        while True:
            message = await receive()
            messages.append(message)
            seen += len(message.get("body", b""))
            if seen > limit:
                return await _too_large(limit, upload)(scope, receive, send)
            if message["type"] != "http.request" or not message.get("more_body"):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _detail(limit: int, upload: bool) -> str:
    what = "upload" if upload else "request body"
    return f"{what} too large: at most {limit / 1e6:g} MB" + (
        " (RAG_UPLOAD_MAX_FILES x RAG_UPLOAD_MAX_MB)" if upload else ""
    )


def _too_large(limit: int, upload: bool):
    return response(413, "too_large", _detail(limit, upload), {"Connection": "close"})


def _counting(receive, limit: int):
    seen = 0

    async def counted():
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:  # raised inside the handler's form parsing, so the error handler answers 413
            raise ApiError(413, "too_large", _detail(limit, True))
        return message

    return counted
