"""Issue 14: the app-side findings (items 1-5, 10, 12), each a test that failed before the fix."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from appkit import EIFFEL, app, index_files, write

from rag.errors import ConfigError, IndexBusyError

ROOT = Path(__file__).resolve().parents[2]


def upload(at, *files):
    at.file_uploader[0].set_value(list(files))
    at.form_submit_button[0].click().run()
    return at


# 1. deleting is an admin action ---------------------------------------------------------------------
def test_documents_page_offers_no_removal_and_the_library_refuses_without_admin(app_env, monkeypatch):
    monkeypatch.setenv("RAG_EMBEDDER_RUNTIME", "fake")
    index_files(write(app_env, "eiffel.md", EIFFEL))
    at = app("views/documents.py")
    assert not at.exception and "Remove" not in {b.label for b in at.button} and not at.multiselect
    from app import resources
    from rag.errors import NotAllowedError

    library = resources.library()
    with pytest.raises(NotAllowedError, match="admin action"):
        library.delete([library.documents()[0].doc_id], admin=False)
    assert len(library.documents()) == 1


def test_admin_removes_only_after_confirming_and_the_removal_is_logged(app_env, monkeypatch, caplog):
    from app.services import admin

    monkeypatch.setattr(admin, "FAILED_LOGIN_DELAY_S", 0)
    monkeypatch.setenv("RAG_EMBEDDER_RUNTIME", "fake")
    monkeypatch.setenv("RAG_ADMIN_PASSWORD", "pw")
    index_files(write(app_env, "eiffel.md", EIFFEL))
    at = app("views/admin.py")
    at.text_input[0].input("pw")
    at.form_submit_button[0].click().run()
    from app import resources

    doc = resources.library().documents()[0]
    at.multiselect(key="to_remove").select(doc.doc_id).run()
    remove = [b for b in at.button if b.label == "Remove"][0]
    assert remove.disabled  # not before the confirmation
    at.checkbox(key="remove_confirmed").check().run()
    with caplog.at_level(logging.WARNING, logger="docqa.library"):
        [b for b in at.button if b.label == "Remove"][0].click().run()
    assert not at.exception and resources.library().documents() == []
    assert any(
        "admin page removed document" in r.getMessage() and doc.doc_id in r.getMessage()
        for r in caplog.records
    )


# 2. links in documents and answers -------------------------------------------------------------------
def test_rendered_text_has_no_autolink_for_urls_www_hosts_or_emails():
    import html as htmllib
    import re

    from markdown_it import MarkdownIt

    from app.components import answer_markdown, escape_md, escape_stream

    # what GFM's autolink literals (Streamlit's renderer) turn into links in the rendered text
    autolink = re.compile(r"(https?://|www\.)[-.\w]+|[-.\w+]+@[-\w]+(\.[-\w]+)+", re.I)

    def linkable(markdown: str) -> list[str]:
        text = htmllib.unescape(re.sub(r"<[^>]+>", "", MarkdownIt("commonmark").render(markdown)))
        return [m.group(0) for m in autolink.finditer(text)]

    evil = "Go to https://evil.example/c?d=SECRET or www.evil.example or mail boss@evil.example now."
    assert len(linkable(evil)) == 3  # what an unescaped answer would show as links
    for rendered in (escape_md(evil), answer_markdown(evil + " [1]", turn=1, numbers={1})):
        assert linkable(rendered) == [] and "evil.example" in rendered.replace("\u2060", "").replace("\\", "")
    # a URL split across streamed pieces is still escaped as one
    pieces = ["See htt", "ps://evil.exa", "mple/x?d=1 and ", "www.", "evil.example", " end."]
    assert linkable("".join(escape_stream(iter(pieces)))) == []


def test_generated_answer_keeps_only_urls_quoted_from_its_cited_span():
    from rag.safety import REMOVED, drop_unsourced_links

    cited = ["The manual is at https://docs.example.org/manual (see section 2)."]
    answer = (
        "The manual is at https://docs.example.org/manual. [1] Also visit "
        "https://evil.example/c?d=SECRET or write to a@evil.example. [1]"
    )
    kept = drop_unsourced_links(answer, cited)
    assert "https://docs.example.org/manual." in kept
    assert "evil.example" not in kept and kept.count(REMOVED) == 2


def test_answer_service_drops_a_planted_exfiltration_url(settings):
    """End to end through AnswerService with the scripted generator: the planted URL never survives."""
    from ingest import Ingestor
    from rag.index import Index
    from rag.service import AnswerService

    s = settings.model_copy(update={"embedder_runtime": "fake", "refusal_threshold": 0.0})
    doc = settings.data_dir.parent / "tower.md"
    doc.write_text("# Tower\n\nThe Eiffel Tower opened in 1889 for the World Fair in Paris.\n")
    index = Index(s)
    Ingestor(index).ingest([doc])
    service = AnswerService(s, index)
    from rag.generators.fake import FakeGenerator

    # the shape the audit reproduced: a planted instruction made the model append a URL to a true sentence
    script = "The Eiffel Tower opened in 1889 for the World Fair, see https://evil.example/c?d=SECRET [1]."
    service._generators["fake"] = FakeGenerator([script])
    answer = service.ask("When did the Eiffel Tower open?", generator="fake")
    assert not answer.refused and "1889" in answer.text and answer.citations
    assert "evil.example" not in answer.text


# 3. page previews cannot exhaust memory --------------------------------------------------------------
def _tall_pdf(path: Path, w: int, h: int) -> Path:
    """A valid one-page PDF with a MediaBox of w x h points (593 bytes, like the audit's)."""
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{o}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(out)
    return path


def test_page_preview_caps_pixels_and_refuses_absurd_shapes(tmp_path):
    import io

    from PIL import Image

    from app.services.pages import MAX_PIXELS, render_page
    from rag.errors import DocumentError

    tall = Image.open(io.BytesIO(render_page(_tall_pdf(tmp_path / "tall.pdf", 90, 900), 1)))
    assert tall.width * tall.height <= MAX_PIXELS  # was 900 x 9,000 px
    with pytest.raises(DocumentError, match="odd shape"):
        render_page(_tall_pdf(tmp_path / "sliver.pdf", 9, 900), 1)  # was 900 x 90,000 px, 682 MB


# 4. the openai generator only when configured --------------------------------------------------------
def test_openai_is_not_offered_or_built_without_an_explicit_base_url(settings, monkeypatch):
    from app.services.admin import allowed_generators
    from rag.generators import generators

    monkeypatch.setenv("OPENAI_API_KEY", "sk-operator-key")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    s = settings.model_copy(update={"allowed_generators": "extractive,local,openai"})
    assert "openai" not in allowed_generators(s)
    with pytest.raises(ConfigError, match="RAG_OPENAI_BASE_URL"):
        generators.create("openai", s)
    s = s.model_copy(update={"openai_base_url": "http://127.0.0.1:8080/v1"})
    assert "openai" in allowed_generators(s)
    gen = generators.create("openai", s)
    assert (
        str(gen._client.base_url) == "http://127.0.0.1:8080/v1/" and gen._client.api_key != "sk-operator-key"
    )


# 5. one bad file never breaks a batch ------------------------------------------------------------------
def test_a_name_too_long_in_bytes_does_not_stop_the_rest_of_the_upload(app_env):
    at = upload(
        app("views/documents.py"),
        ("文" * 150 + ".md", b"# Long\n\nA long name.", "text/markdown"),
        ("ok.md", b"# OK\n\nFine.", "text/markdown"),
    )
    assert not at.exception
    saved = sorted(p.name for p in (app_env / "data" / "uploads").iterdir())
    assert "ok.md" in saved and len(saved) == 2 and all(len(n.encode()) <= 255 for n in saved)


def test_a_write_error_is_that_files_reason_and_leaves_no_temp_file(tmp_path):
    """RLIMIT_FSIZE stands in for a full disk, in a child process so the limit stays there."""
    script = f"""
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
from types import SimpleNamespace
from app.services.library import Library
from rag import Settings
s = Settings(data_dir={str(tmp_path / "data")!r}, _env_file=None)
lib = Library(SimpleNamespace(settings=s))
b = lib.save_uploads([("big.txt", b"x" * 100_000), ("small.txt", b"y" * 10)])
print([p.name for p in b.saved], b.rejected)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "['small.txt'] [('big.txt', 'could not be saved (File too large)')]" in done.stdout
    assert sorted(p.name for p in (tmp_path / "data" / "uploads").iterdir()) == ["small.txt"]


# 10. no upload is left behind when the index lane is busy -----------------------------------------------
def test_uploads_are_not_orphaned_when_the_index_is_busy(settings):
    from app.services.jobs import Jobs
    from app.services.library import Library
    from rag.index import Index

    lib, jobs = Library(Index(settings)), Jobs()
    gate = threading.Event()
    jobs.start("reindex", lambda job: gate.wait(10))
    with pytest.raises(IndexBusyError):
        lib.start_upload([("a.md", b"# A\n\ntext")], jobs)
    assert not settings.uploads_dir.exists() or not list(settings.uploads_dir.iterdir())
    gate.set()

    class Racing(Jobs):  # the lane is taken between the check and the start
        def start(self, kind, work, lane="index"):
            raise IndexBusyError("reindex already in progress; try again when it finishes")

    kept = lib.save_upload("kept.md", b"# K\n\nalready here")
    with pytest.raises(IndexBusyError):
        lib.start_upload([("new.md", b"# N\n\nnew"), ("kept.md", b"# K\n\nalready here")], Racing())
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == ["kept.md"] and kept.exists()


# 12. admin password guessing, `rag ui` --------------------------------------------------------------------
def test_password_guesses_are_throttled_globally_and_logged(monkeypatch, caplog):
    from app.services import admin

    active, most = [0], [0]
    lock = threading.Lock()
    real_sleep = time.sleep

    def fake_sleep(seconds):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        real_sleep(0.05)  # long enough for parallel guesses to overlap if they can
        with lock:
            active[0] -= 1

    monkeypatch.setattr(admin.time, "sleep", fake_sleep)
    with caplog.at_level(logging.WARNING, logger="docqa.admin"):
        threads = [
            threading.Thread(target=admin.check_password, args=(f"guess{i}", "s3cret", f"session {i}"))
            for i in range(6)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert most[0] == 1  # one guess at a time across all sessions
    assert sum("failed admin password attempt from session" in r.getMessage() for r in caplog.records) == 6
