"""Issue 14 items 7 and 11: the parse worker is confined, zip bombs are refused, chunks and prompts
stay within their budgets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from rag.errors import DocumentError

ROOT = Path(__file__).resolve().parents[2]


# 7. the parse worker ----------------------------------------------------------------------------------
def test_parse_worker_gets_no_secrets_and_a_cpu_limit(tmp_path, monkeypatch):
    from ingest.parsing import Parser

    monkeypatch.setenv("RAG_OPENAI_API_KEY", "sk-secret-key")
    monkeypatch.setenv("RAG_ADMIN_PASSWORD", "admin-secret")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-other")
    doc = tmp_path / "a.md"
    doc.write_text("# A\n\nSome text.\n")
    with Parser(timeout_s=30, max_pages=10) as parser:
        assert parser.result(parser.submit(doc)).title == "A"
        pid = parser._all[0].proc.pid  # the pool's one worker
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        limits = Path(f"/proc/{pid}/limits").read_text()
    assert b"secret" not in environ and b"sk-other" not in environ and b"PATH=" in environ
    cpu = next(line for line in limits.splitlines() if line.startswith("Max cpu time"))
    assert cpu.split()[3] != "unlimited"  # the soft limit


def test_parse_worker_dies_with_its_parent(tmp_path):
    """A worker stuck in a parse (here: blocked on a FIFO nobody writes) must not outlive a SIGKILLed
    parent; before, it was reparented and carried on."""
    fifo = tmp_path / "stuck.txt"
    os.mkfifo(fifo)
    script = f"""
import threading, time
from ingest.parsing import _Worker
w = _Worker(60)
threading.Thread(target=w.call, args=({str(fifo)!r}, 10, 60), daemon=True).start()
print(w.proc.pid, flush=True)
time.sleep(120)
"""
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    time.sleep(1.0)  # the worker is inside the parse now
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(100):  # up to 10 s
        if not _alive(worker):
            break
        time.sleep(0.1)
    alive = _alive(worker)
    if alive:
        os.kill(worker, signal.SIGKILL)
    assert not alive


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _docx(path: Path, body: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", body)
    return path


def test_docx_zip_bomb_is_refused_before_parsing(tmp_path):
    from ingest.parsing import check_file

    filler = b"<w:p/>" * 8_000_000  # 48 MB of XML that deflates to ~50 kB
    bomb = _docx(tmp_path / "bomb.docx", b"<w:document><w:body>" + filler + b"</w:body></w:document>")
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(DocumentError, match="zip bomb"):
        check_file(bomb, 50_000_000)


def test_a_real_docx_passes_the_zip_check(tmp_path):
    import docx

    from ingest.parsing import check_file

    d = docx.Document()
    for i in range(200):
        d.add_paragraph(f"Paragraph {i} of an ordinary report about bridges and tunnels.")
    d.save(tmp_path / "real.docx")
    check_file(tmp_path / "real.docx", 50_000_000)


# 11. chunks and prompts within budget ---------------------------------------------------------------------
def test_token_free_words_cannot_make_a_giant_chunk():
    from ingest.chunker import MAX_CHARS_PER_TOKEN, chunk_text

    word = "x" * 120  # one [UNK] to a WordPiece tokenizer, whatever its length
    text = " ".join([word] * 600)
    pieces = chunk_text(text, lambda texts: [len(t.split()) for t in texts], 200, 32)
    longest = max(p.end - p.start for p in pieces)
    assert longest <= 200 * MAX_CHARS_PER_TOKEN  # was 24,199 characters
    assert pieces[0].start == 0 and pieces[-1].end == len(text)


def test_an_over_budget_source_is_never_sent_whole():
    from rag.prompt import build_messages, fit
    from rag.types import Chunk, Hit

    def count(s: str) -> int:  # ~4 characters a token
        return len(s) // 4 + 1

    giant = Hit(
        Chunk(id="x", doc_id="d", text="word " * 5000, source="", title="Doc", page=1, start=0, end=1), 1.0
    )
    used = fit("What?", [giant], 1500, count)
    prompt = "\n".join(m.content for m in build_messages("What?", used))
    assert len(used) == 1 and count(prompt) <= 1500 + 16  # was ~6,300 tokens
