"""Everything the app shares across browser sessions, built once per server process.

The only module that builds the settings (`load_settings()`) or uses `st.cache_resource`: one settings
object, one answering service over one index (so one Chroma client per process: the embedded store is
not multi-process safe), one library and one job runner for long work.
"""

from __future__ import annotations

import logging
import threading

import streamlit as st

from app.services.jobs import Jobs
from app.services.library import Library
from app.services.pages import render_page
from rag import Settings
from rag.index import Index
from rag.service import AnswerService
from rag.settings import load_settings

log = logging.getLogger("docqa.app")


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner=False)
def answer_service() -> AnswerService:
    s = settings()
    service = AnswerService(s, Index(s))
    _warm_up(service)
    return service


def _warm_up(service: AnswerService) -> None:
    """Load the embedding model off the first visitor's critical path, if there is anything to search."""
    index = service.index
    if index.active() is None:
        return
    embedder = index.embedder  # created here, on this thread, so the warm-up thread can't race its creation

    def work() -> None:
        try:
            embedder.embed_query("warm up")
        except Exception:  # the first real question will report it properly
            log.warning("embedding model warm-up failed", exc_info=True)

    threading.Thread(target=work, name="warm-up", daemon=True).start()


@st.cache_resource(show_spinner=False)
def library() -> Library:
    return Library(answer_service().index)


@st.cache_resource(show_spinner=False)
def jobs() -> Jobs:
    return Jobs()


@st.cache_data(max_entries=64, show_spinner=False)
def page_image(path: str, page: int, span: str, mtime: float, excerpt: bool = False) -> bytes:
    """A rendered PDF page; `mtime` is part of the cache key so a replaced file is re-rendered."""
    return render_page(path, page, span, excerpt=excerpt)


def admin_password() -> str | None:
    """From `.streamlit/secrets.toml` (admin_password) or RAG_ADMIN_PASSWORD; there is no default."""
    try:
        secret = st.secrets.get("admin_password")
    except Exception:  # no secrets file at all, or an unreadable one
        secret = None
    if secret:
        return str(secret)
    pw = settings().admin_password
    return pw.get_secret_value() if pw and pw.get_secret_value() else None
