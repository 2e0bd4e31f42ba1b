"""The app in a real browser: Debian's chromium driven by Playwright against `streamlit run` on loopback.

One server and one browser for the module; screenshots go to artifacts/browser/ for people to look at.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest

from tests.browser.streamlit_server import streamlit_app
from tests.conftest import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]  # loopback only, whatever a page asks
PASSWORD = "browser-test-password"
QUESTION = "What is the rated output of the Zephyr turbine?"
ANSWER = "4.2 megawatts"
OPEN_PAGES: list = []  # for the failure screenshots taken in conftest.py
WORDS = (
    "harbour ledger survey coastal tide ferry granite quarry lantern orchard meadow canal bridge "
    "market weaver copper timber mill council archive festival choir museum garden railway"
).split()


def report_pdf(path: Path, filler_pages: int = 60) -> Path:
    """A report whose page 3 holds the answer; the filler pages make a reindex take a few seconds."""
    rnd = random.Random(7)
    pages = [
        "Northern Harbour Energy Report. Prepared for the town council.",
        "Contents. Background, the turbine, maintenance, and the budget for the coming years.",
    ]
    pages.append(
        "The Zephyr turbine was installed in 2011 at the northern harbour. Its rated output is "
        "4.2 megawatts at peak wind. It was built by Halvard Engineering after a design "
        "competition."
    )
    for i in range(filler_pages):
        pages.append(
            f"Appendix {i + 1}. "
            + " ".join(" ".join(rnd.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(12))
        )
    return make_pdf(path, pages, font_size=11, line_height=7)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ui")
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(tmp / "data"),
        "RAG_ADMIN_PASSWORD": PASSWORD,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    with streamlit_app(env, "server.log") as url:
        yield url, tmp


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Debian chromium is not installed: run `make browser-deps`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def new_page(browser, url: str, path: str = ""):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(60_000)
    OPEN_PAGES.append(page)
    page.goto(f"{url}/{path}")
    page.wait_for_selector('[data-testid="stSidebarNav"]')
    return page


def shot(page, name: str) -> None:
    """A screenshot once the script run has finished (Streamlit scrolls inside the page, so no full_page)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=30_000)
    page.wait_for_timeout(400)  # let the last delta paint
    page.screenshot(path=str(ARTIFACTS / name))


def ask(page, question: str, cited: bool = True):
    """Send a question; returns the new assistant message once it shows its citations (or any source)."""
    before = page.locator('[data-testid="stChatMessage"]').count()
    box = page.locator('[data-testid="stChatInput"] textarea')
    box.fill(question)
    box.press("Enter")
    answer = page.locator('[data-testid="stChatMessage"]').nth(before + 1)
    done = 'a[href^="#cite-"]' if cited else '[data-testid="stExpander"]'
    answer.locator(done).first.wait_for(timeout=120_000)
    return answer


@pytest.fixture(scope="module")
def uploaded(server, browser):
    """The report uploaded through the Documents page; yields that page for assertions."""
    url, tmp = server
    page = new_page(browser, url, "documents")
    pdf = report_pdf(tmp / "harbour-report.pdf")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(pdf))
    page.get_by_role("button", name="Add to library").click()
    page.get_by_text("1 of 1 file indexed").wait_for(timeout=180_000)
    yield page
    page.context.close()


def test_first_start_guides_the_user_to_upload(server, browser):
    url, _ = server
    page = new_page(browser, url)
    page.get_by_text("The library is empty").wait_for()
    shot(page, "00-empty-library.png")
    page.get_by_role("link", name="Upload documents").click()
    page.get_by_text("Add documents").wait_for()
    page.context.close()


def test_upload_pdf_ask_and_open_the_cited_page(server, browser, uploaded):
    url, _ = server
    report = uploaded.get_by_test_id("stExpanderDetails").first.inner_text()
    assert re.search(r"harbour-report\.pdf: indexed as .+: 63 pages", report), report
    uploaded.get_by_text("1 document", exact=True).wait_for()  # the table is a canvas: no text to find
    uploaded.wait_for_function(
        "() => { const t = document.querySelector('[data-testid=stDataFrame]');"
        " return t && t.getBoundingClientRect().width > 500; }"
    )
    shot(uploaded, "01-documents-uploaded.png")

    page = new_page(browser, url)
    answer = ask(page, QUESTION)
    assert ANSWER in answer.inner_text()
    assert re.search(r"\[1\]", answer.inner_text())
    shot(page, "02-chat-answer-with-citation.png")

    answer.locator('a[href^="#cite-"]').first.click()  # the [1] link scrolls to its source
    page.wait_for_url("**#cite-1-1")
    source = answer.locator('[data-testid="stExpander"]').filter(has_text="page 3").first
    source.locator("summary").click()
    image = source.locator('[data-testid="stImage"] img, img').first
    image.wait_for(state="visible", timeout=60_000)
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 500", image.element_handle())
    assert ANSWER in source.inner_text()  # the chunk text with the span marked sits above the page
    source.scroll_into_view_if_needed()
    shot(page, "03-citation-page-preview.png")
    source.get_by_text("Whole page").click()  # the toggle swaps the cited band for the entire page
    taller = "(el) => { const i = el.querySelector('img'); return i && i.naturalHeight > i.naturalWidth; }"
    page.wait_for_function(taller, arg=source.element_handle())
    shot(page, "03b-citation-whole-page.png")

    refused = ask(page, "What is the recipe for a lemon cake?", cited=False)
    refused.get_by_text("The documents do not contain the answer.").wait_for()
    assert "Closest passages" in refused.inner_text()
    shot(page, "03c-refusal-with-closest-passages.png")
    page.context.close()


def test_admin_reindexes_while_another_session_keeps_answering(server, browser, uploaded):
    url, _ = server
    admin = new_page(browser, url, "admin")
    admin.get_by_label("Admin password").fill("wrong")
    admin.get_by_role("button", name="Unlock").click()
    admin.get_by_text("Wrong password.").wait_for()
    shot(admin, "04a-admin-locked.png")
    admin.get_by_label("Admin password").fill(PASSWORD)
    admin.get_by_role("button", name="Unlock").click()
    admin.get_by_text("Index health").wait_for()
    shot(admin, "04b-admin-unlocked.png")

    chat = new_page(browser, url)
    chat.locator('[data-testid="stChatInput"] textarea').wait_for()
    admin.get_by_role("button", name="Reindex everything").click()
    running = admin.get_by_text("Reindex running")
    running.wait_for(timeout=15_000)
    shot(admin, "05-admin-reindexing.png")

    answer = ask(chat, QUESTION)  # asked while the new index is being built
    assert ANSWER in answer.inner_text()
    shot(chat, "06-chat-answering-during-reindex.png")

    admin.get_by_text("the new index is live").wait_for(timeout=180_000)
    shot(admin, "07-admin-reindexed.png")
    again = ask(chat, "When was the Zephyr turbine installed at the harbour?")  # from the new index
    assert "2011" in again.inner_text()
    admin.context.close()
    chat.context.close()
