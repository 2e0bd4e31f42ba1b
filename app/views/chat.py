"""Chat: ask the indexed documents; streamed answers with [n] citations you can open."""

from __future__ import annotations

import logging

import streamlit as st

from app import components as ui
from app import resources
from app.services.admin import allowed_generators
from rag import RagError
from rag.types import Message

log = logging.getLogger("docqa.app")
USER, ASSISTANT = ":material/person:", ":material/menu_book:"
WEAK = "weak support: "  # the prefix rag/service.py gives a weakly supported answer's note
HISTORY_TURNS = 3  # earlier turns passed along for follow-ups; more only dilutes the query

st.session_state.setdefault("turns", [])
st.session_state.setdefault("turn_id", 0)


def history() -> list[Message]:
    out: list[Message] = []
    for t in st.session_state.turns[-HISTORY_TURNS:]:
        out.append(Message("user", t["question"]))
        if t.get("answer") is not None and not t["answer"].refused:
            out.append(Message("assistant", t["answer"].text))
    return out


def render_answer(turn: dict) -> None:
    a = turn["answer"]
    if a is None:
        st.error(ui.error_line(turn["error"]), icon=":material/error:")
        return
    if a.refused:
        st.warning(ui.escape_md(a.text), icon=":material/search_off:")
        for note in a.notes:  # what the closest passages mention and what they do not state
            st.caption(":material/info: " + ui.escape_md(note[:1].upper() + note[1:]))
        if a.sources:
            st.caption("Closest passages found:")
            ui.closest_sources(a.sources, turn["id"])
        return
    st.markdown(ui.answer_markdown(a.text, turn["id"], {c.n for c in a.citations}))
    footer(turn)
    ui.citation_list(a.citations, a.sources, turn["id"])


def footer(turn: dict) -> None:
    a = turn["answer"]
    bits = [f"{turn['generator']}", f"top {turn['top_k']}"]
    if "total_s" in a.timings:
        bits.append(f"{a.timings['total_s']:.1f} s")
    for note in a.notes:
        if note.startswith(WEAK):  # the answer stands, but the sources lack part of what was asked
            st.warning("Weak support: " + ui.escape_md(note[len(WEAK) :]), icon=":material/help:")
    st.caption(" · ".join(bits) + (" · sources:" if a.citations else ""))
    for note in a.notes:
        if not note.startswith(WEAK):
            st.caption(":material/info: " + ui.escape_md(note))


def ask(question: str, generator: str, top_k: int) -> None:
    st.session_state.turn_id += 1
    turn = {
        "id": st.session_state.turn_id,
        "question": question,
        "answer": None,
        "generator": generator,
        "top_k": top_k,
    }
    with st.chat_message("user", avatar=USER):
        st.markdown(ui.escape_md(question))
    with st.chat_message("assistant", avatar=ASSISTANT):
        try:
            with st.spinner("Searching your documents…"):
                stream = service.answer(question, history=history(), generator=generator, top_k=top_k)
            if stream.answer.refused:
                stream.collect()
            else:
                placeholder = st.empty()
                with placeholder:
                    st.write_stream(ui.escape_stream(stream.stream()))
                placeholder.empty()  # replaced below by the checked answer: its citations may have moved
            turn["answer"] = stream.answer
        except RagError as e:
            turn["error"] = str(e)
        except Exception:
            log.exception("error while answering %r", question)
            turn["error"] = "Something went wrong while answering. The details are in the server log."
        render_answer(turn)
    st.session_state.turns.append(turn)


def sidebar(settings) -> tuple[str, int]:
    with st.sidebar:
        if st.button("New chat", icon=":material/add_comment:", width="stretch", type="primary"):
            st.session_state.turns = []
        choices = allowed_generators(settings)
        default = choices.index(settings.generator) if settings.generator in choices else 0
        generator = st.selectbox(
            "Answer generator",
            choices,
            index=default,
            key="generator",
            help="extractive quotes sentences; local and openai write with an LLM",
        )
        top_k = st.slider("Passages to retrieve", 1, 20, settings.top_k, key="top_k")
    return generator, top_k


service = resources.answer_service()
library = resources.library()
settings = resources.settings()
generator, top_k = sidebar(settings)

st.title("Ask your documents")
status = library.status()
if status["documents"] == 0:
    st.info(
        "The library is empty. Upload a few documents first, then come back to ask about them.",
        icon=":material/upload_file:",
    )
    st.page_link("views/documents.py", label="Upload documents", icon=":material/arrow_forward:")
    st.stop()

if (job := resources.jobs().running("index")) is not None:
    st.caption(
        f":material/sync: {job.kind.capitalize()} in progress: answers come from the current index "
        "until it finishes."
    )
if not st.session_state.turns:
    st.caption(
        f"{ui.plural(status['documents'], 'document')}, "
        f"{ui.plural(status['chunks'], 'passage')} indexed. "
        "Answers cite their sources as [1], [2]…; open a source to see the passage and its page."
    )
for turn in st.session_state.turns:
    with st.chat_message("user", avatar=USER):
        st.markdown(ui.escape_md(turn["question"]))
    with st.chat_message("assistant", avatar=ASSISTANT):
        render_answer(turn)

if question := st.chat_input("Ask a question about your documents"):
    ask(question.strip(), generator, top_k)
