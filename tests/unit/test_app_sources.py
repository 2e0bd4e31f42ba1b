"""What a source says about itself in Chat (AppTest): OCR'd text is labelled, a cited table row is marked
on its page, and a refusal or a weakly supported answer says what the documents mention but do not state
(also in `rag ask --json` and /v1/ask)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from appkit import app, index_files, texts, write

from tests.conftest import make_pdf
from tests.fixtures_docs import table_pdf

CHAT = "views/chat.py"
TURBINE = "The Zephyr turbine was installed in 2011 at the northern harbour. It produces 4.2 MW."
BRIDGES = (
    "# Zorblat Bridge\n\nThe Zorblat footbridge was opened in 1923 by mayor Ilse Varnhagen. It spans the "
    "river Quell.\n\nThe bridge was repainted green in 1987.\n"
)
R_AND_D = "Research and development expenses | 2023: (101) | 2022: (96)"


def amber_rows(png: bytes) -> np.ndarray:
    """Pixel rows of a rendered page that carry the highlight colour."""
    from PIL import Image

    px = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    amber = (px[..., 2] < 200) & (px[..., 0] > 240) & (px[..., 1] > 200)
    return np.nonzero(amber.sum(axis=1) > 20)[0]


def docs(root):
    (root / "docs").mkdir(exist_ok=True)
    return root / "docs"


def image_captions(at) -> list[str]:
    return [c for el in at.get("image") for c in el.captions]


# a) text from OCR -------------------------------------------------------------------------------------
@pytest.fixture
def ocr_library(app_env, monkeypatch):
    """A PDF whose chunks say they came from OCR (as ingest marks a scanned page's; rendering and reading a
    scan for real is tests/integration/test_tables_ocr.py)."""
    from rag.service import AnswerService

    index_files(make_pdf(docs(app_env) / "turbine.pdf", ["Cover page.", TURBINE]))
    retrieve = AnswerService.retrieve

    def as_ocr(self, *args, **kwargs):
        hits = retrieve(self, *args, **kwargs)
        for h in hits:
            h.chunk.ocr = True
        return hits

    monkeypatch.setattr(AnswerService, "retrieve", as_ocr)
    return app_env


@pytest.mark.slow
def test_a_citation_from_ocr_says_text_from_ocr_in_its_label_passage_and_page(ocr_library):
    at = app(CHAT)
    at.chat_input[0].set_value("When was the Zephyr turbine installed?").run()
    assert not at.exception and not at.error
    label = at.expander[0].label
    assert label.startswith("**\\[1\\]** turbine · page 2") and label.endswith("text from OCR")
    at.session_state["src-1-1"] = True
    at.run()
    assert "Text from OCR: this page is a scan" in texts(at)
    # a scan has no text layer to mark the passage on: the page is shown whole and says why
    assert image_captions(at) == ["turbine.pdf, page 2 (a scan: the passage above is text from OCR)"]


@pytest.mark.slow
def test_closest_passages_of_a_refusal_say_text_from_ocr(ocr_library):
    at = app(CHAT)
    at.chat_input[0].set_value("What is the boiling point of liquid nitrogen in kelvin?").run()
    assert not at.exception and "do not contain the answer" in at.warning[0].value
    assert at.expander and all(e.label.endswith("text from OCR") for e in at.expander)


@pytest.mark.slow
def test_a_text_layer_citation_has_no_ocr_label(app_env):
    index_files(make_pdf(docs(app_env) / "turbine.pdf", ["Cover page.", TURBINE]))
    at = app(CHAT)
    at.chat_input[0].set_value("When was the Zephyr turbine installed?").run()
    assert not at.exception and "OCR" not in texts(at)


# b) a cited table row is marked on its page -------------------------------------------------------------
def test_a_table_row_is_found_on_the_page_by_its_label_and_values(tmp_path):
    import pypdfium2 as pdfium

    from app.services.pages import find_span, find_spans

    pdf = pdfium.PdfDocument(str(table_pdf(tmp_path / "t.pdf")))
    page = pdf[0].get_textpage().get_text_range()
    pdf.close()
    row = "Adjusted EBITDA | 2023: 2,018 | 2022: 2,117"
    assert find_span(page, row) is None  # the rebuilt row is not verbatim on the page
    assert [page[a : a + n] for a, n in find_spans(page, row)] == ["Adjusted EBITDA 2,018 2,117"]
    # several rows of one citation: each on its own line; the caption line is not on the page as such
    two = "Table: Harbour Lights Packaging plc ; ($ in millions)\nNet sales | 2023: 14,694 | 2022: 14,544\n"
    two += "Net income | 2023: 1,058 | 2022: 815"
    assert [page[a : a + n] for a, n in find_spans(page, two)] == [
        "Net sales 14,694 14,544",
        "Net income 1,058 815",
    ]
    # a value must match whole (2,018 is not inside 12,018), and a label with the wrong values is not marked
    assert find_spans(page, "Net income | 2023: 2,018") == []
    assert find_spans(page, "Adjusted EBITDA | 2023: 18") == []


def test_a_row_matches_its_values_as_the_page_prints_them():
    from app.services.pages import find_spans

    # pdfium's text of a 10-K segment table: percent signs spaced out, the sign inside the parentheses
    page = "Organic sales 2.6 0.3 (0.6) 1.2\r\nTotal sales change (3.2 %) 9.2 %\r\n"
    page += "Operating income $ 1,508 $1,239"
    found = find_spans(page, "Total sales change | 2022: (3.2)% | 2021: 9.2%")
    assert [page[a : a + n] for a, n in found] == ["Total sales change (3.2 %) 9.2 %"]
    found = find_spans(page, "Operating income | 2023: $1,508 | 2022: $ 1,239")
    assert [page[a : a + n] for a, n in found] == ["Operating income $ 1,508 $1,239"]


def test_render_page_marks_the_cited_row_not_another(tmp_path):
    from app.services.pages import render_page

    pdf = table_pdf(tmp_path / "t.pdf")
    net_sales = amber_rows(render_page(pdf, 1, "Net sales | 2023: 14,694 | 2022: 14,544", width=600))
    ebitda = amber_rows(render_page(pdf, 1, "Adjusted EBITDA | 2023: 2,018 | 2022: 2,117", width=600))
    assert len(net_sales) and len(ebitda)
    # one row tall each, and the EBITDA row (the 5th) lies below net sales (the 1st)
    assert ebitda.max() - ebitda.min() < 30 and ebitda.min() > net_sales.max()


@pytest.mark.slow
def test_chat_preview_of_a_cited_table_row_marks_that_row(app_env, monkeypatch):
    from app import resources

    # the fake embedder's cosines are low: thresholds to match, so the extractive answer quotes the row
    monkeypatch.setenv("RAG_REFUSAL_THRESHOLD", "0.1")
    monkeypatch.setenv("RAG_STRONG_EVIDENCE", "0.3")
    index_files(table_pdf(docs(app_env) / "statement.pdf", ["Harbour Lights Packaging makes containers."]))
    rendered: list[tuple[str, int]] = []
    real = resources.render_page

    def spy(path, page, span="", **kw):
        png = real(path, page, span, **kw)
        rendered.append((span, len(amber_rows(png))))
        return png

    monkeypatch.setattr(resources, "render_page", spy)
    at = app(CHAT)
    at.chat_input[0].set_value("What were research and development expenses?").run()
    assert not at.exception and R_AND_D in at.chat_message[1].markdown[0].value.replace("\\", "")
    at.session_state["src-1-1"] = True
    at.run()
    assert not at.exception
    assert [span for span, _ in rendered] == [R_AND_D] and rendered[0][1] > 0
    assert image_captions(at) == ["statement.pdf, page 2 (the cited part)"]


# c) what the documents mention but do not state ---------------------------------------------------------
@pytest.fixture
def bridges(app_env, monkeypatch):
    monkeypatch.setenv("RAG_REFUSAL_SCORE", "answerability")
    index_files(write(app_env, "bridges.md", BRIDGES))
    return app_env


@pytest.mark.slow
def test_a_refusal_says_what_the_documents_mention_but_do_not_state(bridges, monkeypatch):
    monkeypatch.setenv("RAG_ANSWERABILITY_THRESHOLD", "1.0")  # every question refused
    at = app(CHAT)
    at.chat_input[0].set_value("Who repainted the Zorblat footbridge in 1987?").run()
    assert not at.exception and "do not contain the answer" in at.warning[0].value
    shown = texts(at)
    assert 'The documents mention "repainted"' in shown and "but do not state who" in shown
    assert "Closest passages" in shown and "Zorblat Bridge" in at.expander[0].label


@pytest.mark.slow
def test_a_weakly_supported_answer_warns_what_is_not_stated(bridges, monkeypatch):
    monkeypatch.setenv("RAG_ANSWERABILITY_THRESHOLD", "0.0")  # answered, however weak
    at = app(CHAT)
    at.chat_input[0].set_value("How much did the Zorblat footbridge cost?").run()
    assert not at.exception and not at.chat_message[1].warning[0].value.startswith("The documents do not")
    warning = at.chat_message[1].warning[0].value.replace("\\", "")
    assert (
        warning.startswith("Weak support: the documents mention")
        and 'do not state the amount or "cost"' in warning
    )
    at.sidebar.button[0].click().run()  # New chat: a follow-up would carry the first question's words
    at.chat_input[0].set_value("When was the Zorblat footbridge opened?").run()
    assert "1923" in at.chat_message[1].markdown[0].value and not at.chat_message[1].warning  # well supported


@pytest.mark.slow
def test_cli_json_and_http_api_carry_the_note(bridges, monkeypatch):
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from app.api import create_app
    from app.cli import app as cli
    from rag import Settings

    monkeypatch.setenv("RAG_ANSWERABILITY_THRESHOLD", "1.0")
    q = "Who repainted the Zorblat footbridge in 1987?"
    out = CliRunner().invoke(cli, ["ask", q, "--json"])
    assert out.exit_code == 0, out.output
    printed = json.loads(out.stdout)
    assert printed["refused"] and any("but do not state who" in n for n in printed["notes"])
    with TestClient(create_app(Settings()), base_url="http://127.0.0.1") as client:
        body = client.post("/v1/ask", json={"question": q}).json()
    assert body["refused"] and body["notes"] == printed["notes"] and body["sources"]


@pytest.mark.slow
def test_cli_ask_says_text_from_ocr_on_such_a_citation(ocr_library):
    from typer.testing import CliRunner

    from app.cli import app as cli

    q = "When was the Zephyr turbine installed?"
    plain = CliRunner().invoke(cli, ["ask", q])
    assert plain.exit_code == 0, plain.output
    assert "[1] turbine, page 2 (score" in plain.stdout and ", text from OCR: The Zephyr" in plain.stdout
    cited = json.loads(CliRunner().invoke(cli, ["ask", q, "--json"]).stdout)["citations"]
    assert cited and cited[0]["note"] == "text from OCR"


@pytest.mark.slow
def test_http_api_citations_and_sources_say_text_from_ocr(ocr_library):
    from fastapi.testclient import TestClient

    from app.api import create_app
    from rag import Settings

    with TestClient(create_app(Settings()), base_url="http://127.0.0.1") as client:
        body = client.post("/v1/ask", json={"question": "When was the Zephyr turbine installed?"}).json()
    assert body["citations"] and all(c["ocr"] for c in body["citations"])
    assert body["sources"] and all(s["ocr"] for s in body["sources"])
