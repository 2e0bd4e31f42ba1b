"""Small render helpers shared by the pages.

Document text is shown through Markdown with every Markdown/HTML special character escaped and every
URL, `www.` host and e-mail address defused (the renderer autolinks those after unescaping): a
document or an answer can then never inject a link, an image fetch or markup into the page.
`unsafe_allow_html` is used only for the app's own fixed anchors, never with text that came from a document.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import streamlit as st

from app import resources
from app.services.jobs import Job
from rag import RagError
from rag.safety import defuse_links
from rag.types import Citation, Hit

log = logging.getLogger("docqa.app")
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^\"'@])")
_CITE = re.compile(r"\[(\d+)\]")
OCR_LABEL = "text from OCR"  # the words `rag ask --json` uses too (rag/types.py Citation.to_json)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def error_line(message: str) -> str:
    """A library error as one escaped line for st.error (messages may quote file names and paths)."""
    return escape_md(" ".join(str(message).split()))


def escape_md(text: str) -> str:
    """Text shown literally by st.markdown: punctuation backslash-escaped, links defused, line breaks kept."""
    text = _SPECIAL.sub(r"\\\1", defuse_links(text))
    return re.sub(r"(?<!\n)\n(?!\n)", "  \n", text)


def escape_stream(pieces: Iterator[str]) -> Iterator[str]:
    """Escaped streamed text, cut only where whitespace is followed by more text: a URL split across
    pieces is escaped whole, so the concatenation the page renders never contains a live link."""
    buf = ""
    for p in pieces:
        buf += p
        cut = max((m.end() for m in re.finditer(r"\s+(?=\S)", buf)), default=0)
        if cut:
            yield escape_md(buf[:cut])
            buf = buf[cut:]
    if buf:
        yield escape_md(buf)


def highlighted(text: str, span: str) -> str:
    """The chunk as Markdown with the cited span marked; both escaped first."""
    at = text.find(span) if span else -1
    if at < 0:
        return escape_md(text)
    before, hit, after = text[:at], text[at : at + len(span)], text[at + len(span) :]
    marked = "\n\n".join(f":orange-background[**{escape_md(p)}**]" for p in hit.split("\n\n") if p.strip())
    return escape_md(before) + marked + escape_md(after)


def anchor(turn: int, n: int) -> str:
    return f"cite-{turn}-{n}"


def answer_markdown(text: str, turn: int, numbers: set[int]) -> str:
    """The answer, escaped, with each [n] turned into a link to its source below."""
    out, pos = [], 0
    for m in _CITE.finditer(text):
        n = int(m.group(1))
        out.append(escape_md(text[pos : m.start()]))
        out.append(f"[\\[{n}\\]](#{anchor(turn, n)})" if n in numbers else escape_md(m.group(0)))
        pos = m.end()
    out.append(escape_md(text[pos:]))
    return "".join(out)


def relevance(hit: Hit | None) -> float | None:
    """The raw cosine where known: comparable across questions, unlike a fused rank score."""
    if hit is None:
        return None
    return hit.dense if hit.dense is not None else hit.score


def source_label(chunk, n: int | None = None, score: float | None = None) -> str:
    """Expander label: `[n] Title · page 3 · relevance 0.82` (escaped: labels render Markdown too)."""
    parts = [escape_md(chunk.title or Path(chunk.source).name)]
    if chunk.doc_type == "pdf":
        parts.append(f"page {chunk.page}")
    elif chunk.heading and chunk.heading != chunk.title:
        parts.append(escape_md(chunk.heading.split(" > ")[-1][:60]))
    if score is not None:
        parts.append(f"relevance {score:.2f}")
    if chunk.ocr:
        parts.append(OCR_LABEL)
    head = f"**\\[{n}\\]** " if n is not None else ""
    return head + " · ".join(parts)


def source_details(chunk, span: str, key: str) -> None:
    """Chunk text with the span marked and, for a PDF, the page; built only when the source is opened."""
    if chunk.ocr:
        st.caption(
            ":material/document_scanner: Text from OCR: this page is a scan, read by OCR, so the wording may "
            "differ from the page and the passage cannot be marked on it."
        )
    st.markdown(highlighted(chunk.text, span))
    if chunk.doc_type != "pdf":
        return
    # a scanned page has no text layer to find the span in: it is shown whole
    on_page = "" if chunk.ocr else span
    whole = st.toggle("Whole page", key=f"{key}-page", help="Show the entire page instead of the cited part")
    name = Path(chunk.source).name
    try:
        png = resources.page_image(
            chunk.source,
            chunk.page,
            on_page,
            Path(chunk.source).stat().st_mtime,
            excerpt=bool(on_page) and not whole,
        )
    except (RagError, OSError) as e:
        st.caption(f"No page preview: {escape_md(str(e))}")
        return
    except Exception:  # a renderer bug on an odd PDF must not take the answer with it
        log.exception("page preview of %s page %s failed", chunk.source, chunk.page)
        st.caption("No page preview: this page could not be rendered.")
        return
    if whole or not on_page:
        _, mid, _ = st.columns([1, 3, 1])  # a whole page at full width would be taller than the screen
        scan = f" (a scan: the passage above is {OCR_LABEL})" if chunk.ocr else ""
        mid.image(png, caption=f"{name}, page {chunk.page}{scan}", width="stretch")
    else:
        st.image(png, caption=f"{name}, page {chunk.page} (the cited part)", width="stretch")


def citation_list(citations: list[Citation], sources: list[Hit], turn: int) -> None:
    by_id = {h.chunk.id: h for h in sources}
    for c in citations:
        # our own fixed anchor for the [n] links in the answer; no document text in this HTML
        st.markdown(f'<span id="{anchor(turn, c.n)}"></span>', unsafe_allow_html=True)
        label = source_label(c.chunk, c.n, relevance(by_id.get(c.chunk.id)))
        label += "" if c.supported else " · weakly supported"
        key = f"src-{turn}-{c.n}"
        box = st.expander(label, key=key, on_change="rerun", icon=":material/description:")
        if box.open:
            with box:
                source_details(c.chunk, c.span, key)


def closest_sources(hits: list[Hit], turn: int, limit: int = 3) -> None:
    for i, h in enumerate(hits[:limit], start=1):
        key = f"near-{turn}-{i}"
        box = st.expander(
            source_label(h.chunk, score=relevance(h)), key=key, on_change="rerun", icon=":material/article:"
        )
        if box.open:
            with box:
                source_details(h.chunk, "", key)


@contextmanager
def shown_errors(doing: str) -> Iterator[None]:
    """RagError -> its one-line message; anything else -> a generic line here, the traceback in the log."""
    try:
        yield
    except RagError as e:
        st.error(error_line(str(e)), icon=":material/error:")
    except Exception:
        log.exception("error while %s", doing)
        st.error(
            f"Something went wrong while {doing}. The details are in the server log.", icon=":material/error:"
        )


def job_progress(job: Job, label: str) -> None:
    """Live progress of a background job; reruns the whole page once, when it ends."""

    @st.fragment(run_every=1.0, key=f"job-{job.id}")  # a page may poll two jobs at once
    def poll() -> None:
        if not job.running:
            st.rerun()
        box = st.status(label, state="running", expanded=True)  # not `with`: leaving it marks it complete
        text = f"{job.done} of {job.total}" if job.total else "starting…"
        if job.current:
            text += f" · {escape_md(Path(job.current).name)}"
        box.progress(job.fraction, text=text)
        if job.messages:
            box.caption(escape_md(job.messages[-1]))

    poll()
