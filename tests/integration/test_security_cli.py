"""Issue 14 items 8, 10 and 12: the `rag` command fails with one line and a meaningful exit code.

Real subprocesses (`python -m app.cli`), so what a person sees is what is asserted: no traceback, no
Rich markup error. The fake embedder keeps each run to the import time.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rag(tmp_path):
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "data"), "RAG_EMBEDDER_RUNTIME": "fake"}
    for k in ("RAG_CHROMA_HOST", "RAG_DEBUG"):
        env.pop(k, None)

    def run(*args, **extra):
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", *map(str, args)],
            cwd=tmp_path,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert "Traceback" not in done.stderr + done.stdout, done.stderr
        return done

    return run


def _one_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, text
    return lines[0]


def test_rich_markup_in_paths_and_keys_is_printed_not_parsed(rag, tmp_path):
    odd = tmp_path / "a[" / "b]x"
    odd.mkdir(parents=True)
    (odd / "bin.txt").write_bytes(b"\x00\x01\x02 binary")
    r = rag("ingest", odd / "bin.txt")
    assert r.returncode == 1 and "a[/b]x/bin.txt" in r.stderr
    r = rag("delete", "[/x]")
    assert r.returncode == 1 and "[/x]" in r.stderr


def test_symlink_loop_passed_directly_is_one_line(rag, tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    r = rag("ingest", loop)
    assert r.returncode in (1, 2) and "loop" in _one_line(r.stderr)


def test_data_dir_that_is_a_file_exits_2_naming_the_setting(rag, tmp_path):
    (tmp_path / "afile").write_text("x")
    r = rag("status", RAG_DATA_DIR=str(tmp_path / "afile"))
    assert r.returncode == 2 and "RAG_DATA_DIR" in _one_line(r.stderr)


def test_malformed_beir_files_are_one_line(rag, tmp_path):
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    (beir / "corpus.jsonl").write_text('{"_id": "d1", "text": "ok"}\n{not json\n')
    (beir / "queries.jsonl").write_text('{"_id": "q1", "text": "what?"}\n')
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    r = rag("eval", "retrieval", beir)
    assert r.returncode == 2 and "corpus.jsonl line 2" in _one_line(r.stderr)
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\tlots\n")
    r = rag("eval", "retrieval", beir)
    assert r.returncode == 2 and "not a number" in _one_line(r.stderr)


def test_ambiguous_title_is_refused_with_the_matches_listed(rag, tmp_path):
    docs = tmp_path / "docs"
    (docs / "a").mkdir(parents=True)
    (docs / "b").mkdir()
    (docs / "a" / "report.md").write_text("# Report\n\nThe first report is about bridges.\n")
    (docs / "b" / "report.md").write_text("# Report\n\nThe second report is about tunnels.\n")
    assert rag("ingest", docs).returncode == 0
    r = rag("delete", "Report")
    assert r.returncode == 2 and "2 documents are titled 'Report'" in r.stderr
    assert str(docs / "a" / "report.md") in r.stderr and str(docs / "b" / "report.md") in r.stderr
    assert json.loads(rag("status", "--json").stdout)["documents"] == 2  # nothing was deleted
    r = rag("delete", docs / "a" / "report.md")
    assert r.returncode == 0 and json.loads(rag("status", "--json").stdout)["documents"] == 1


def test_busy_index_and_unreachable_store_have_their_own_exit_codes(rag, tmp_path):
    doc = tmp_path / "n.md"
    doc.write_text("# Note\n\nA short note.\n")
    data = tmp_path / "data"
    data.mkdir()
    fd = os.open(data / ".write.lock", os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another writer holds the index
        r = rag("ingest", doc)
    finally:
        os.close(fd)
    assert r.returncode == 3 and "another ingest or reindex is running" in r.stderr
    r = rag("ingest", doc, RAG_CHROMA_HOST="127.0.0.1", RAG_CHROMA_PORT=str(free_port()))
    assert r.returncode == 4 and "cannot open the Chroma store" in r.stderr


def test_ui_runs_in_the_callers_folder_with_the_apps_config_and_upload_cap(tmp_path):
    from app.cli import ui_command
    from rag import Settings

    cmd = ui_command(8600, Settings(_env_file=None, upload_max_mb=300))
    assert "--server.maxUploadSize=300" in cmd and "--client.showErrorDetails=none" in cmd
    assert "--server.enableXsrfProtection=true" in cmd and cmd[-4:] == [
        "--server.address",
        "127.0.0.1",
        "--server.port",
        "8600",
    ]
