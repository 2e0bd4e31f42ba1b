"""Documents: upload files into the library, watch them being indexed, browse and remove documents."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import streamlit as st

from app import components as ui
from app import resources
from app.services.library import describe, human_size, supported_suffixes

ICONS = {
    "indexed": ":material/check_circle:",
    "unchanged": ":material/info:",
    "duplicate": ":material/info:",
    "failed": ":material/error:",
    "rejected": ":material/block:",
}

settings = resources.settings()
library = resources.library()
jobs = resources.jobs()
st.session_state.setdefault("rejected", [])  # [(file name, reason)] from the server-side upload checks


def start_ingest(files) -> None:
    st.session_state.rejected, st.session_state.ingest_job = [], None
    with ui.shown_errors("starting the upload"):
        # per-file reasons for refused files; nothing is kept if the index is busy (services/library.py)
        batch = library.start_upload(((f.name, f.getvalue()) for f in files), jobs)
        st.session_state.rejected = batch.rejected
        st.session_state.ingest_job = batch.job.id if batch.job else None


def upload_form(busy) -> None:
    suffixes = supported_suffixes()
    with st.form("upload", clear_on_submit=True, border=True):
        files = st.file_uploader(
            "Add documents",
            type=[s.lstrip(".") for s in suffixes],
            accept_multiple_files=True,
            max_upload_size=max(1, math.ceil(settings.upload_max_mb)),  # the server checks exactly
            help=f"{', '.join(suffixes)} · up to {settings.upload_max_mb:g} MB each",
        )
        submitted = st.form_submit_button(
            "Add to library", icon=":material/upload:", type="primary", disabled=busy is not None
        )
    if busy is not None:
        st.caption(
            f":material/hourglass_top: {busy.kind.capitalize()} in progress; you can upload when it finishes."
        )
    if submitted and files:
        start_ingest(files)
    elif submitted:
        st.toast("Choose one or more files first.", icon=":material/info:")


def results() -> None:
    """Per-file outcome of this session's last upload."""
    job = jobs.get(st.session_state.get("ingest_job"))
    rejected = st.session_state.rejected
    if job is not None and job.running:
        ui.job_progress(job, "Indexing your documents…")
        return
    lines = [("rejected", name, reason) for name, reason in rejected]
    if job is not None and job.state == "failed":
        lines.append(("failed", "upload", job.error))
    elif job is not None:
        lines += [(r.status, Path(r.path).name, describe(r)) for r in job.result.results]
    if not lines:
        return
    indexed = sum(s == "indexed" for s, *_ in lines)
    bad = sum(s in ("failed", "rejected") for s, *_ in lines)
    label = f"{indexed} of {ui.plural(len(lines), 'file')} indexed" + (f", {bad} failed" if bad else "")
    with st.status(label, state="error" if bad and not indexed else "complete", expanded=True):
        for status, name, text in lines:
            st.markdown(f"{ICONS.get(status, '')} **{ui.escape_md(name)}**: {ui.escape_md(text)}")
        if st.button("Dismiss", key="dismiss", type="tertiary", icon=":material/close:"):
            st.session_state.rejected, st.session_state.ingest_job = [], None
            st.rerun()


def table() -> None:
    query = st.text_input(
        "Search titles", placeholder="Search titles", label_visibility="collapsed", icon=":material/search:"
    )
    docs = library.documents(query)
    total = len(library.documents())
    if not total:
        st.info(
            "No documents yet. Add some above: PDFs, Word, Markdown, HTML or text files.",
            icon=":material/upload_file:",
        )
        return
    st.caption(f"{len(docs)} of {ui.plural(total, 'document')}" if query else ui.plural(total, "document"))
    rows = [
        {
            "Title": d.title,
            "Type": d.doc_type,
            "Pages": d.pages,
            "OCR pages": d.ocr_pages,  # read from the page image: the wording may differ from the scan
            "Chunks": d.chunks,
            "Added": datetime.fromtimestamp(d.added),
            "Size": human_size(d.bytes),
            "File": ", ".join(Path(p).name for p in d.paths) or "—",
        }
        for d in docs
    ]
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "Title": st.column_config.TextColumn(width="medium"),
            "Type": st.column_config.TextColumn(width="small"),
            "Size": st.column_config.TextColumn(width="small"),
            "Added": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "Pages": st.column_config.NumberColumn(width="small"),
            "OCR pages": st.column_config.NumberColumn(
                width="small", help="pages without a text layer, read from the image (text from OCR)"
            ),
            "Chunks": st.column_config.NumberColumn(width="small"),
        },
    )
    st.caption(":material/lock: Removing documents is an admin action: it is on the Admin page.")


st.title("Documents")
busy = jobs.running("index")
upload_form(busy)
results()
st.subheader("Library")
table()
