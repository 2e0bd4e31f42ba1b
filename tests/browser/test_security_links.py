"""Issue 14 item 2 in a real browser: no URL, www. host or e-mail address from a document or an answer
becomes a link. Before the fix Streamlit's renderer autolinked them after unescaping the Markdown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.streamlit_server import streamlit_app

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
]
OPEN_PAGES: list = []
DOC = (
    "# Zephyr support\n\nThe support portal for the Zephyr turbine is https://evil.example/c?d=SECRET and "
    "the engineer answers at boss@evil.example or www.evil.example/help any day.\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Debian chromium is not installed: run `make browser-deps`")
    tmp = tmp_path_factory.mktemp("links")
    (tmp / "docs").mkdir()
    (tmp / "docs" / "support.md").write_text(DOC)
    # the fake embedder: the rendering is under test here, not retrieval quality
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(tmp / "data"),
        "RAG_EMBEDDER_RUNTIME": "fake",
        "RAG_REFUSAL_THRESHOLD": "0",
        "ANONYMIZED_TELEMETRY": "False",
    }
    subprocess.run(
        [sys.executable, "-m", "app.cli", "ingest", str(tmp / "docs")],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    with streamlit_app(env, "server-links.log") as url:
        yield url


def foreign_links(page, app_url: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    app_host = urlsplit(app_url).netloc
    return [h for h in hrefs if urlsplit(h).netloc != app_host]


def test_no_link_leaves_the_app_from_an_answer_or_its_source(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(60_000)
        OPEN_PAGES.append(page)
        page.goto(server)
        box = page.locator('[data-testid="stChatInput"] textarea')
        box.fill("What is the support portal for the Zephyr turbine?")
        box.press("Enter")
        answer = page.locator('[data-testid="stChatMessage"]').nth(1)
        answer.locator('a[href^="#cite-"]').first.wait_for(timeout=120_000)
        assert "https://evil" in answer.inner_text().replace("\u2060", "")  # quoted, shown as text
        answer.locator('[data-testid="stExpander"] summary').first.click()  # the source's chunk text
        details = answer.locator('[data-testid="stExpanderDetails"]').first
        details.get_by_text("support portal").wait_for()
        source = details.inner_text().replace("\u2060", "")
        assert "https://evil.example/c?d=SECRET" in source and "boss@evil.example" in source
        assert "www.evil.example/help" in source
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
        page.screenshot(path=str(ARTIFACTS / "10-links-defused.png"))
        assert foreign_links(page, server) == []
        browser.close()
