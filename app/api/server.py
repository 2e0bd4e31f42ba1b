"""The HTTP API's app factory and `rag serve`: FastAPI over the services the CLI and the app use.

One process holds one AnswerService (one index, one store client: the embedded store is not
multi-process safe), one Library and one job runner, exactly as the Streamlit app does per server.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

import anyio
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline  # /docs from packaged Swagger UI files, not a CDN

from app.services.admin import allowed_generators
from app.services.jobs import Jobs
from app.services.library import Library
from rag.index import Index
from rag.service import AnswerService
from rag.settings import Settings

from . import errors, openai_compat, routes
from .auth import Keys, LoopbackOnly, check_bind
from .deps import Services
from .limits import BodyLimit

log = logging.getLogger("docqa.api")

DESCRIPTION = """Ask your documents over HTTP: answers with checked `[n]` citations (document, page), or a
refusal with the closest sources. `POST /v1/chat/completions` makes docqa an OpenAI-compatible model.

Send `Authorization: Bearer <key>` (a key from `RAG_API_KEYS`); deleting and reindexing need a key from
`RAG_API_ADMIN_KEYS`. A server started without keys serves this machine only. Errors are
`{"error": code, "detail": one line}`."""


def _version() -> str:
    try:
        return version("docqa")
    except PackageNotFoundError:
        return "dev"


def _warm_up(answers: AnswerService) -> None:
    """Open the store, BM25 and the embedding model on one thread before the first request: opened lazily
    by two concurrent first questions, the embedded Chroma client fails ("cannot open the Chroma store")."""
    try:
        answers.index.backend  # noqa: B018  (the store client, shared with the library's writer)
        if answers.index.active() is not None:
            answers.retrieve("warm up", 1)
    except Exception:  # the first real question will report it properly
        log.warning("warm-up failed", exc_info=True)


def create_app(settings: Settings, answers: AnswerService | None = None, jobs: Jobs | None = None) -> FastAPI:
    keys = Keys.from_settings(settings)
    answers = answers or AnswerService(settings, Index(settings))
    svc = Services(
        settings, answers, Library(answers.index), jobs or Jobs(), keys, allowed_generators(settings)
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await anyio.to_thread.run_sync(_warm_up, answers)  # uvicorn accepts connections after this
        yield

    app = FastAPIOffline(
        title="docqa", version=_version(), description=DESCRIPTION, lifespan=lifespan, redoc_url=None
    )
    app.state.services = svc
    errors.install(app)
    app.include_router(routes.health)
    app.include_router(routes.router)
    app.include_router(openai_compat.router)
    upload_bytes = (
        int(settings.upload_max_files * settings.upload_max_mb * 1e6) + 1_000_000
    )  # + form overhead
    app.add_middleware(BodyLimit, upload_bytes=upload_bytes)
    if keys.open:
        app.add_middleware(LoopbackOnly)
    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API with uvicorn until interrupted. Without keys only a loopback address is allowed."""
    import uvicorn

    keys = Keys.from_settings(settings)
    check_bind(host, keys)
    app = create_app(settings)
    who = (
        f"{len(keys.users)} API key(s), {len(keys.admins)} admin"
        if not keys.open
        else "no API keys (this machine only; set RAG_API_KEYS to serve others)"
    )
    shown = f"[{host}]" if ":" in host else host
    log.warning("docqa API on http://%s:%d (docs at /docs); %s", shown, port, who)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False, timeout_graceful_shutdown=5)
