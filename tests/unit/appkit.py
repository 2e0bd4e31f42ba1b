"""Helpers for the AppTest suites: a fresh data dir per test, env set before the app builds Settings."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAKE_ENV = {"RAG_EMBEDDER": "fake", "RAG_EMBEDDER_RUNTIME": "fake"}
MAIN = str(ROOT / "app" / "main.py")
EIFFEL = (
    "# Eiffel Tower\n\nThe Eiffel Tower is a wrought-iron lattice tower in Paris. It opened in 1889 "
    "for the World Fair.\n\nIt is 330 metres tall and was designed by the company of Gustave Eiffel.\n"
)


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """Env for one app process-in-a-test; cached resources are dropped before and after."""
    import streamlit as st
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    monkeypatch.setattr(manifest_scanner, "scan_component_manifests", lambda **_: _component_manifests(scan))
    for k in ("RAG_ADMIN_PASSWORD", "RAG_GENERATOR", "RAG_ALLOWED_GENERATORS", "RAG_OPENAI_BASE_URL"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    for k, v in FAKE_ENV.items():  # hermetic and fast: the real model is exercised in tests/integration
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)  # no developer .env or secrets.toml leaks into the test
    st.cache_resource.clear()
    st.cache_data.clear()
    yield tmp_path
    _finish_jobs()
    st.cache_resource.clear()
    st.cache_data.clear()


@functools.cache
def _component_manifests(scan) -> list:
    """Each AppTest scans every installed distribution's metadata for Streamlit components (~1.5 s of a
    2-4 s test here); the installed packages do not change during a session, so scan once."""
    return scan()


def _finish_jobs() -> None:
    from app import resources

    try:
        jobs = resources.jobs()
    except Exception:
        return
    for lane in ("index", "eval"):
        job = jobs.running(lane)
        if job is not None:
            jobs.wait(job, 120)


def app(page: str | None = None, **secrets):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(MAIN, default_timeout=60)
    for k, v in secrets.items():
        at.secrets[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def index_files(*paths: Path) -> None:
    """Index files the way the app would, before the app starts (it then finds a ready library)."""
    from app.services.library import Library
    from rag import Settings
    from rag.index import Index

    index = Index(Settings())
    Library(index).ingest(list(paths))
    index.manifest.close()


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / "docs" / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def wait_for_job(job_id: str, timeout: float = 120):
    from app import resources

    jobs = resources.jobs()
    job = jobs.get(job_id)
    assert job is not None
    assert jobs.wait(job, timeout), f"{job.kind} still running after {timeout} s"
    return job


def texts(at) -> str:
    """Everything textual the run produced, Markdown escapes removed, for loose assertions."""
    kinds = ("markdown", "caption", "error", "warning", "info", "success")
    parts = [e.value for kind in kinds for e in getattr(at, kind)]
    parts += [e.label for e in at.expander]
    # what a person reads: Markdown escapes and the invisible word joiners that defuse links removed
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts)).replace("\u2060", "")
