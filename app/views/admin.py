"""Admin: index health and settings, reindex in the background, prune missing files, retrieval eval."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import components as ui
from app import resources
from app.services.admin import allowed_generators, beir_folders, check_password, retrieval_eval
from app.services.library import describe

ROOT = Path(__file__).resolve().parents[2]
settings = resources.settings()


def locked(password: str | None) -> None:
    if password is None:
        st.warning("The admin page is disabled: no admin password is set.", icon=":material/lock:")
        st.markdown("Set one, then restart the app, either in the environment:")
        st.code("RAG_ADMIN_PASSWORD='choose-a-long-password' rag ui", language="bash")
        st.markdown("or in `.streamlit/secrets.toml` (kept out of git):")
        st.code('admin_password = "choose-a-long-password"', language="toml")
        st.stop()
    with st.form("login", border=True):
        given = st.text_input("Admin password", type="password", autocomplete="current-password")
        if st.form_submit_button("Unlock", icon=":material/lock_open:", type="primary"):
            if check_password(given, password):
                st.session_state.admin = True
                st.rerun()
            st.error("Wrong password.", icon=":material/error:")
    st.stop()


def health(library) -> None:
    s = library.status()
    cols = st.columns(3)
    cols[0].metric("Documents", s["documents"])
    cols[1].metric("Chunks", s["chunks"])
    cols[2].metric("Missing files", len(library.missing_files()))
    chunking = s["chunking"]
    st.caption(
        f"Collection `{s['collection'] or 'none yet'}` · {s['embedder']} "
        f"({s.get('runtime', settings.embedder_runtime)}, {s['dimension']}-d) · "
        f"chunks of {chunking.get('tokens')} tokens, {chunking.get('overlap')} overlap"
    )
    if s.get("matches_settings") is False:
        st.warning(
            "The index was built with other embedder or chunking settings than the current ones: "
            "reindex to apply them.",
            icon=":material/sync_problem:",
        )


def settings_table() -> None:
    s = settings
    rows = {
        "Embedder": f"{s.embedder} ({s.embedder_runtime})",
        "Chunking": f"{s.chunk_tokens} tokens, {s.chunk_overlap} overlap",
        "Retrieval": f"{s.retriever} ({s.fusion} fusion), {s.candidates} candidates, top {s.top_k}",
        "Reranker": s.reranker,
        "Generator": f"{s.generator}; users may pick {', '.join(allowed_generators(s))}",
        "Refusal threshold": f"{s.refusal_threshold:g}",
        "Upload limit": f"{s.upload_max_mb:g} MB per file",
        "Data folder": str(s.data_dir.resolve()),
    }
    st.dataframe([{"Setting": k, "Value": v} for k, v in rows.items()], hide_index=True, width="stretch")


def maintenance(library, jobs) -> None:
    busy = jobs.running("index")
    row = st.container(horizontal=True)
    if row.button(
        "Reindex everything",
        icon=":material/sync:",
        type="primary",
        disabled=busy is not None,
        help="Rebuilds the index with the current settings; chat keeps answering from the old one",
    ):
        with ui.shown_errors("starting the reindex"):
            jobs.start("reindex", lambda job: library.reindex(job.progress))
            st.rerun()
    if row.button(
        "Prune missing files",
        icon=":material/cleaning_services:",
        disabled=busy is not None,
        help="Forget indexed files that were deleted or moved on disk",
    ):
        with ui.shown_errors("pruning"):
            removed = library.prune_missing()
            st.session_state.pruned = [r.path for r in removed]
            st.rerun()  # the health figures above were drawn before the prune
    if "pruned" in st.session_state:  # shown once, on the rerun right after the prune
        pruned = st.session_state.pop("pruned")
        st.success(f"Pruned {ui.plural(len(pruned), 'missing file')}.", icon=":material/done:")
        for p in pruned:
            st.caption(f":material/remove: {ui.escape_md(p)}")
    running = jobs.running("index")
    if running is not None:
        ui.job_progress(running, f"{running.kind.capitalize()} running; chat keeps answering meanwhile")
        return
    last = jobs.latest("reindex")
    if last is None:
        return
    if last.state == "failed":
        st.error(f"The last reindex failed: {ui.error_line(last.error)}", icon=":material/error:")
        return
    s = last.result.summary()
    st.success(
        f"Reindexed {ui.plural(s['indexed'], 'file')} ({ui.plural(s['chunks'], 'chunk')}) in "
        f"{last.seconds:.1f} s; the new index is live.",
        icon=":material/check_circle:",
    )
    for r in last.result.failed:
        st.caption(f":material/error: {ui.escape_md(Path(r.path).name)}: {ui.escape_md(describe(r))}")


def removal(library, jobs) -> None:
    """Removing documents: admin only, confirmed, logged; the app's uploaded copies go for good."""
    docs = library.documents()
    if not docs:
        st.caption("No documents to remove.")
        return
    by_id = {d.doc_id: d for d in docs}
    chosen = st.multiselect(
        "Documents to remove",
        list(by_id),
        key="to_remove",
        placeholder="Choose documents",
        format_func=lambda i: f"{by_id[i].title} ({', '.join(Path(p).name for p in by_id[i].paths) or i})",
    )
    sure = st.checkbox(
        "Yes, remove them: uploaded files are deleted for good", key="remove_confirmed", disabled=not chosen
    )
    busy = jobs.running("index")
    if st.button("Remove", icon=":material/delete:", disabled=not (chosen and sure) or busy is not None):
        with ui.shown_errors("removing documents"):
            removed = [
                r for r in library.delete(chosen, admin=True, who="admin page") if r.status == "removed"
            ]
            st.session_state.pop("to_remove", None)
            st.session_state.pop("remove_confirmed", None)
            st.toast(f"Removed {ui.plural(len(removed), 'document')}.", icon=":material/delete:")
            st.rerun()


def evaluation(jobs) -> None:
    roots = (settings.data_dir / "eval", ROOT / "data" / "eval", ROOT.parent / "shared" / "eval")
    folders = beir_folders(*roots)
    options = [str(f) for f in folders]
    with st.form("eval", border=False):
        chosen = st.selectbox(
            "BEIR folder",
            options,
            index=None,
            accept_new_options=True,
            placeholder="Choose or type a folder with corpus.jsonl, queries.jsonl, qrels/",
            help="Indexed once into a cache; the live index is untouched",
        )
        run = st.form_submit_button(
            "Run retrieval evaluation", icon=":material/analytics:", disabled=jobs.running("eval") is not None
        )
    if run and chosen:
        with ui.shown_errors("starting the evaluation"):
            folder = Path(chosen).expanduser()
            jobs.start("eval", lambda job: retrieval_eval(folder, settings, job.log), lane="eval")
            st.rerun()
    job = jobs.running("eval") or jobs.latest("eval")
    if job is None:
        return
    if job.running:
        ui.job_progress(job, "Evaluating retrieval…")
    elif job.state == "failed":
        st.error(ui.error_line(job.error), icon=":material/error:")
    else:
        r = job.result
        st.caption(f"{r.get('dataset', '')} · {r.get('queries', '?')} queries · {job.seconds:.0f} s")
        st.dataframe(
            [{"method": m, **metrics} for m, metrics in r["methods"].items()],
            hide_index=True,
            width="stretch",
        )


st.title("Admin")
password = resources.admin_password()
if not st.session_state.get("admin") or password is None:
    locked(password)

library, jobs = resources.library(), resources.jobs()
head, lock = st.columns([5, 1], vertical_alignment="bottom")
head.subheader("Index health")
if lock.button("Lock", icon=":material/lock:", width="stretch"):
    st.session_state.admin = False
    st.rerun()
health(library)
st.subheader("Maintenance")
maintenance(library, jobs)
st.subheader("Remove documents")
removal(library, jobs)
st.subheader("Settings")
settings_table()
st.subheader("Retrieval evaluation")
evaluation(jobs)
