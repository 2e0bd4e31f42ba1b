"""Ingestion end to end: real embedded Chroma under tmp_path, the real MiniLM, the real CLI."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from ingest import Ingestor, reindex
from ingest.loaders import loader_for
from rag import IndexMismatchError, Settings
from rag.index import Index
from tests.conftest import make_pdf

pytestmark = pytest.mark.slow  # every test here embeds with the real model

GUIDE = """# Lighthouse handbook

Keepers log the weather every four hours.

## Lamps

The Fresnel lens weighs three tonnes and floats on a bath of mercury.

## Supplies

Paraffin is delivered by boat on the first Monday of each month.
"""
PDF_PAGES = [
    "The pump station moves 42 litres per second at full load.",
    "On page two: the backup generator starts within nine seconds.",
]
FACT = "The Zorblat footbridge in Velmora opened in 1911 after six years of construction."
FILLER = (
    "ledger audit revenue glacier turbine sonnet enzyme dividend meridian antibody lattice compiler".split()
)


def filler(seed: int, sentences: int) -> str:
    rnd = random.Random(seed)
    return " ".join(
        " ".join(rnd.choice(FILLER) for _ in range(12)).capitalize() + "." for _ in range(sentences)
    )


@pytest.fixture
def docs(tmp_path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "handbook.md").write_text(GUIDE)
    (root / "notes.txt").write_text("Meeting notes: the roof repair is budgeted at 1200 euros.\n")
    make_pdf(root / "pump.pdf", PDF_PAGES)
    return root


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None)


def run_ingest(settings, embedder, *paths, prune=False) -> dict:
    return Ingestor(Index(settings, embedder=embedder)).ingest(list(paths), prune=prune).summary()


def stored(settings) -> list:
    found = Index(settings).active_store()
    return list(found[1].iter_chunks()) if found else []


def test_ingest_folder_stores_chunks_with_exact_metadata(settings, embedder, docs):
    s = run_ingest(settings, embedder, docs)
    assert (s["files"], s["indexed"], s["failed"], s["pages"]) == (3, 3, [], 4)
    chunks = stored(settings)
    assert len(chunks) == s["chunks"]
    index = Index(settings)
    docs_by_id = {d.doc_id: d for d in index.manifest.documents(index.active().name)}
    for c in chunks:
        src = Path(c.source)
        assert src.parent == docs.resolve()
        assert c.doc_id == hashlib.sha256(src.read_bytes()).hexdigest()[:24] and c.doc_id in docs_by_id
        page_text = loader_for(src).load(src, 100).pages[c.page - 1]
        assert page_text[c.start : c.end] == c.text  # offsets point at the real characters
        assert c.content_hash == hashlib.sha1(c.text.encode()).hexdigest()[:16]
        assert c.title == docs_by_id[c.doc_id].title
    by_source = {Path(c.source).name: c for c in chunks}
    assert by_source["handbook.md"].title == "Lighthouse handbook"
    pump = sorted((c for c in chunks if c.source.endswith("pump.pdf")), key=lambda c: c.page)
    assert [(c.page, c.doc_type) for c in pump] == [(1, "pdf"), (2, "pdf")] and "nine seconds" in pump[1].text
    headings = {c.heading for c in chunks if c.source.endswith("handbook.md")}
    assert {"Lighthouse handbook > Lamps", "Lighthouse handbook > Supplies"} <= headings


def test_dense_query_finds_the_chunk_that_answers(settings, embedder, docs):
    run_ingest(settings, embedder, docs)
    _, store = Index(settings).active_store()
    hits = store.query(embedder.embed_query("How heavy is the Fresnel lens?"), 3)
    assert "three tonnes" in hits[0].chunk.text and hits[0].chunk.heading.endswith("Lamps")


def test_unchanged_rerun_skips_every_file_without_loading_the_model(settings, embedder, docs):
    first = run_ingest(settings, embedder, docs)
    os.utime(docs / "notes.txt", (time.time() + 60, time.time() + 60))  # touched, same bytes
    fresh = Index(settings)
    again = Ingestor(fresh).ingest([docs]).summary()
    assert (again["unchanged"], again["indexed"], again["chunks"]) == (3, 0, 0)
    assert fresh._embedder is None
    assert len(stored(settings)) == first["chunks"]


def test_changed_file_replaces_its_old_chunks(settings, embedder, docs):
    run_ingest(settings, embedder, docs)
    before = [c for c in stored(settings) if c.source.endswith("handbook.md")]
    (docs / "handbook.md").write_text("# Lighthouse handbook\n\nThe lens was replaced by LEDs in 2019.\n")
    s = run_ingest(settings, embedder, docs)
    assert (s["indexed"], s["unchanged"]) == (1, 2)
    after = [c for c in stored(settings) if c.source.endswith("handbook.md")]
    assert len(after) == s["chunks"] == 1 and "LEDs in 2019" in after[0].text
    assert not any("mercury" in c.text for c in stored(settings))
    assert {c.doc_id for c in after}.isdisjoint({c.doc_id for c in before})
    index = Index(settings)
    assert index.manifest.totals(index.active().name) == (3, len(stored(settings)))


def test_prune_removes_files_that_vanished_from_the_folder(settings, embedder, docs):
    run_ingest(settings, embedder, docs)
    (docs / "notes.txt").unlink()
    assert run_ingest(settings, embedder, docs)["removed"] == 0  # without --prune nothing is forgotten
    assert any(c.source.endswith("notes.txt") for c in stored(settings))
    s = run_ingest(settings, embedder, docs, prune=True)
    assert s["removed"] == 1
    assert not any(c.source.endswith("notes.txt") for c in stored(settings))
    index = Index(settings)
    assert index.manifest.totals(index.active().name)[0] == 2


def test_same_bytes_under_two_names_are_one_document(settings, embedder, docs):
    shutil.copy(docs / "pump.pdf", docs / "pump-copy.pdf")
    s = run_ingest(settings, embedder, docs)
    assert (s["indexed"], s["duplicates"]) == (3, 1)
    pump_chunks = [c for c in stored(settings) if c.doc_type == "pdf"]
    assert len(pump_chunks) == 2 and len({c.id for c in pump_chunks}) == 2
    index = Index(settings)
    doc_id = pump_chunks[0].doc_id
    assert [Path(p).name for p in index.manifest.paths(index.active().name, doc_id)] == [
        "pump-copy.pdf",
        "pump.pdf",
    ]
    shutil.copy(docs / "pump.pdf", docs / "third.pdf")  # a later copy is recognised too
    assert run_ingest(settings, embedder, docs)["duplicates"] == 1
    (docs / "pump.pdf").unlink()
    run_ingest(settings, embedder, docs, prune=True)
    assert len([c for c in stored(settings) if c.doc_type == "pdf"]) == 2  # still reachable by the copies


def test_different_bytes_are_never_merged(settings, embedder, docs):
    (docs / "notes2.txt").write_text("Meeting notes: the roof repair is budgeted at 1300 euros.\n")
    s = run_ingest(settings, embedder, docs)
    assert (s["indexed"], s["duplicates"]) == (4, 0)
    texts = sorted(c.text for c in stored(settings) if c.source.endswith(".txt"))
    assert len(texts) == 2 and texts[0] != texts[1]


def test_changed_chunking_is_refused_until_reindex_rebuilds(settings, embedder, docs):
    first = run_ingest(settings, embedder, docs)
    smaller = settings.model_copy(update={"chunk_tokens": 8, "chunk_overlap": 0})
    with pytest.raises(IndexMismatchError, match="run `rag reindex`"):
        run_ingest(smaller, embedder, docs)
    old = Index(settings).active().name
    report = reindex(Index(smaller, embedder=embedder)).summary()
    assert report["failed"] == [] and report["indexed"] == 3
    index = Index(smaller)
    assert index.active().name != old and index.active().config == index.config
    assert index.backend.names() == [index.active().name]
    assert len(stored(smaller)) == report["chunks"] > first["chunks"]
    assert run_ingest(smaller, embedder, docs)["unchanged"] == 3
    with pytest.raises(IndexMismatchError):
        run_ingest(settings, embedder, docs)  # and now the old settings are the mismatch


def test_delete_by_path_title_or_doc_id(settings, embedder, docs):
    run_ingest(settings, embedder, docs)
    doc_id = next(c.doc_id for c in stored(settings) if c.source.endswith("pump.pdf"))
    out = Ingestor(Index(settings)).delete([str(docs / "notes.txt"), "Lighthouse handbook", doc_id, "nope"])
    assert [r.status for r in out] == ["removed", "removed", "removed", "failed"]
    assert stored(settings) == []


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path, monkeypatch, embedder):
    """Runs `rag ...` in-process with RAG_DATA_DIR in tmp_path and the session's loaded model."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("rag.index.create_embedder", lambda settings: embedder)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def test_cli_ingest_json_summary_and_exit_code_0(cli, docs):
    r = cli("ingest", docs, "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert {"files", "indexed", "unchanged", "failed", "pages", "chunks", "seconds"} <= set(s)
    assert (s["files"], s["indexed"], s["failed"]) == (3, 3, [])
    assert json.loads(cli("ingest", docs, "--json").stdout)["unchanged"] == 3


def test_cli_exit_code_1_lists_each_failed_file_with_a_reason(cli, docs, tmp_path):
    (docs / "empty.md").write_bytes(b"")
    (docs / "junk.txt").write_bytes(bytes(range(256)) * 8)
    (docs / "deck.xyz").write_bytes(b"PK")  # inside a folder: skipped quietly, as unknown types are
    (tmp_path / "named.xyz").write_bytes(b"PK")  # named on the command line: reported
    r = cli("ingest", docs, tmp_path / "named.xyz", tmp_path / "missing.pdf", "--json")
    assert r.exit_code == 1
    s = json.loads(r.stdout)
    reasons = {Path(f["path"]).name: f["reason"] for f in s["failed"]}
    assert reasons.keys() == {"empty.md", "junk.txt", "named.xyz", "missing.pdf"}
    assert reasons["empty.md"].startswith("empty") and reasons["junk.txt"].startswith("binary")
    assert (
        reasons["named.xyz"].startswith("unsupported type '.xyz'") and reasons["missing.pdf"] == "not found"
    )
    assert s["indexed"] == 3  # the good files went in anyway


@pytest.mark.parametrize(
    "args", [["ingest"], ["ingest", "--bogus", "x"], ["frobnicate"], ["status", "extra"]]
)
def test_cli_usage_errors_exit_2(cli, args):
    assert cli(*args).exit_code == 2


def test_cli_chunk_size_over_the_model_window_is_a_config_error(cli, docs, monkeypatch):
    monkeypatch.setenv("RAG_CHUNK_TOKENS", "400")
    r = cli("ingest", docs)
    assert r.exit_code == 2 and "input window" in r.output


def test_cli_status_json_reports_the_index(cli, docs):
    empty = json.loads(cli("status", "--json").stdout)
    assert (empty["documents"], empty["chunks"], empty["collection"]) == (0, 0, None)
    cli("ingest", docs)
    s = json.loads(cli("status", "--json").stdout)
    assert {"documents", "chunks", "embedder", "dimension", "chunking", "collection"} <= set(s)
    assert (s["documents"], s["embedder"], s["dimension"]) == (3, "all-MiniLM-L6-v2", 384)
    assert s["chunks"] > 0 and s["chunking"]["tokens"] == Settings(_env_file=None).chunk_tokens
    assert s["collection"].startswith("docs-")


def test_cli_delete_and_reindex(cli, docs):
    cli("ingest", docs)
    assert cli("delete", "Lighthouse handbook").exit_code == 0
    assert cli("delete", "no such thing").exit_code == 1
    r = cli("reindex", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["indexed"] == 2
    assert json.loads(cli("status", "--json").stdout)["documents"] == 2


# --- atomic reindex under SIGKILL, and a Chroma server ------------------------------------------


def building_docs(manifest: Path) -> int:
    db = sqlite3.connect(manifest, timeout=5)
    try:
        return db.execute(
            "SELECT COUNT(*) FROM documents d JOIN collections c ON c.name = d.collection "
            "WHERE c.state = 'building'"
        ).fetchone()[0]
    except sqlite3.OperationalError:  # not created yet / locked for a moment
        return 0
    finally:
        db.close()


def test_reindex_killed_midway_keeps_old_index_serving(tmp_path, settings, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bridge.md").write_text(f"# Velmora\n\n{FACT}\n")
    for i in range(16):
        (docs / f"filler{i:02}.md").write_text(f"# Filler {i}\n\n{filler(i, 40)}\n")
    total = run_ingest(settings, embedder, docs)["chunks"]
    old = Index(settings).active().name
    rag = [sys.executable, "-m", "app.cli"]
    # one document per ingest step, so the kill lands after some are stored and before the switch
    env = {**os.environ, "RAG_DATA_DIR": str(settings.data_dir), "RAG_INGEST_BATCH_CHUNKS": "1"}
    with open(tmp_path / "reindex.log", "wb") as log:
        proc = subprocess.Popen([*rag, "reindex", "--json"], cwd=tmp_path, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 180
        while building_docs(settings.manifest_path) < 1:
            assert proc.poll() is None, (tmp_path / "reindex.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "reindex never stored a document"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL

    index = Index(settings, embedder=embedder)
    assert [c.state for c in index.manifest.collections() if c.name != old] == ["building"]  # the leftover
    info, store = index.active_store()
    assert info.name == old and store.count() == total
    hits = store.query(embedder.embed_query("When did the Zorblat footbridge open?"), 3)
    assert "1911" in hits[0].chunk.text

    later = subprocess.run(
        [*rag, "ingest", str(docs), "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert later.returncode == 0, later.stderr[-2000:]
    assert json.loads(later.stdout)["unchanged"] == 17
    fresh = Index(settings)
    assert [(c.name, c.state) for c in fresh.manifest.collections()] == [(old, "active")]
    assert fresh.backend.names() == [old] and fresh.active_store()[1].count() == total


def test_ingest_and_query_through_a_chroma_server(tmp_path, embedder, docs, chroma_server):
    settings = Settings(
        data_dir=tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server.port, _env_file=None
    )
    s = run_ingest(settings, embedder, docs)
    assert (s["indexed"], s["failed"]) == (3, [])
    assert not settings.chroma_dir.exists()  # nothing embedded: the vectors live in the server
    info, store = Index(settings).active_store()
    assert store.count() == s["chunks"]
    hits = store.query(embedder.embed_query("When is paraffin delivered?"), 2)
    assert "first Monday" in hits[0].chunk.text
    assert run_ingest(settings, embedder, docs)["unchanged"] == 3


def test_two_data_dirs_share_one_chroma_server_without_touching_each_other(
    tmp_path, embedder, docs, chroma_server
):
    def settings(name):
        return Settings(
            data_dir=tmp_path / name, chroma_host="127.0.0.1", chroma_port=chroma_server.port, _env_file=None
        )

    first, second = settings("first"), settings("second")
    run_ingest(first, embedder, docs)
    n = Index(first).active_store()[1].count()
    run_ingest(second, embedder, docs)  # its writer's cleanup must not see first's collection as stray
    (docs / "extra.md").write_text("# Extra\n\nA new note about lighthouse keepers.\n")
    run_ingest(second, embedder, docs)
    assert Index(first).active_store()[1].count() == n
    assert Index(second).active_store()[1].count() > n


def test_cli_a_bad_setting_is_one_line_and_exit_code_2(cli, monkeypatch):
    monkeypatch.setenv("RAG_DOC_PRIOR", "high")
    for args in (("status",), ("eval", "answers", ".")):
        r = cli(*args)
        assert r.exit_code == 2, r.output
        assert "invalid setting RAG_DOC_PRIOR" in r.output and "Traceback" not in r.output
