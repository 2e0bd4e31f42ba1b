"""The manifest (SQLite) and the rules `Index` builds on it, with an in-memory store and no model."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from rag.errors import IndexBusyError, IndexMismatchError
from rag.index import Index, new_collection_name
from rag.manifest import IndexConfig, Manifest, NewDocument
from rag.store.memory import MemoryBackend
from rag.types import Chunk

CONFIG = IndexConfig("all-MiniLM-L6-v2", "torch", 384, {"tokens": 200, "overlap": 32, "version": 1})


@pytest.fixture
def manifest(tmp_path):
    m = Manifest(tmp_path / "m.sqlite3")
    yield m
    m.close()


def add_doc(m: Manifest, collection: str, doc_id: str, paths: list[str], chunks: int = 3) -> list[str]:
    doc = NewDocument(doc_id, f"Title {doc_id}", "text", 1, chunks, 100)
    return m.record(collection, doc_id, [(p, 100, 1.0) for p in paths], doc)


def test_a_new_manifest_has_no_active_collection(manifest):
    assert manifest.active() is None
    assert manifest.collections() == []


def test_collection_config_round_trips_through_sqlite(manifest):
    manifest.create_collection("docs-a", CONFIG, "active")
    info = manifest.active()
    assert info.name == "docs-a" and info.state == "active" and info.rev == 0
    assert info.config == CONFIG


def test_activate_retires_the_old_collection_in_the_same_switch(manifest):
    manifest.create_collection("docs-old", CONFIG, "active")
    manifest.create_collection("docs-new", CONFIG, "building")
    manifest.activate("docs-new")
    states = {c.name: c.state for c in manifest.collections()}
    assert states == {"docs-old": "retired", "docs-new": "active"}
    assert [c.name for c in manifest.collections("active")] == ["docs-new"]


def test_a_failed_record_leaves_nothing_behind(manifest, monkeypatch):
    manifest.create_collection("docs-a", CONFIG, "active")
    manifest.mark_pending("docs-a", "d1")

    def crash(*args):
        raise RuntimeError("crash between statements")

    monkeypatch.setattr(manifest, "_retire_orphans", crash)  # runs after the rows are written
    with pytest.raises(RuntimeError):
        add_doc(manifest, "docs-a", "d1", ["/x.md"])
    assert manifest.paths("docs-a") == [] and not manifest.has_doc("docs-a", "d1")
    assert manifest.pending("docs-a") == ["d1"] and manifest.active().rev == 0


def test_another_connection_sees_commits_and_never_half_a_transaction(manifest, tmp_path, monkeypatch):
    manifest.create_collection("docs-a", CONFIG, "active")
    reader = Manifest(tmp_path / "m.sqlite3")
    retire, seen = manifest._retire_orphans, []

    def look_then_retire(db, collection, candidates):  # inside the write transaction, after the inserts
        seen.append((reader.paths("docs-a"), reader.has_doc("docs-a", "d1")))
        return retire(db, collection, candidates)

    monkeypatch.setattr(manifest, "_retire_orphans", look_then_retire)
    add_doc(manifest, "docs-a", "d1", ["/x.md"])
    assert seen == [([], False)]  # WAL: readers are not blocked and see the last commit
    assert reader.paths("docs-a") == ["/x.md"] and reader.has_doc("docs-a", "d1")
    reader.close()


def test_documents_totals_and_paths_per_collection(manifest):
    manifest.create_collection("docs-a", CONFIG, "active")
    add_doc(manifest, "docs-a", "d1", ["/b.md", "/a.md"], chunks=4)
    add_doc(manifest, "docs-a", "d2", ["/c.md"], chunks=2)
    add_doc(manifest, "docs-other", "d9", ["/z.md"], chunks=50)
    assert manifest.totals("docs-a") == (2, 6)
    assert manifest.paths("docs-a", "d1") == ["/a.md", "/b.md"]
    assert manifest.path_entry("docs-a", "/c.md") == ("d2", 100, 1.0)
    assert manifest.has_doc("docs-a", "d2") and not manifest.has_doc("docs-a", "d9")
    assert manifest.doc_title("docs-a", "d1") == "Title d1"
    assert manifest.doc_title("docs-a", "unknown") == "unknown"
    paths = {d.doc_id: d.paths for d in manifest.documents("docs-a")}
    assert paths == {"d1": ("/a.md", "/b.md"), "d2": ("/c.md",)}


def test_a_document_no_path_points_to_is_retired_and_pending(manifest):
    manifest.create_collection("docs-a", CONFIG, "active")
    add_doc(manifest, "docs-a", "d1", ["/a.md", "/b.md"])
    add_doc(manifest, "docs-a", "d2", ["/c.md"])
    rev = manifest.active().rev
    assert manifest.unmap_paths("docs-a", ["/a.md", "/c.md"]) == ["d2"]
    assert manifest.paths("docs-a") == ["/b.md"] and not manifest.has_doc("docs-a", "d2")
    assert manifest.pending("docs-a") == ["d2"]  # until its chunks are dropped from the store
    assert manifest.active().rev == rev + 1  # readers reload
    manifest.clear_pending("docs-a", ["d2"])
    assert manifest.pending("docs-a") == []


def test_recording_a_document_clears_its_pending_mark_and_moves_paths(manifest):
    manifest.create_collection("docs-a", CONFIG, "active")
    add_doc(manifest, "docs-a", "old", ["/a.md"])
    manifest.mark_pending("docs-a", "new")  # chunks written before the documents row
    # /a.md now has other bytes: the new document takes the path, the old one is left without one
    assert add_doc(manifest, "docs-a", "new", ["/a.md"]) == ["old"]
    assert manifest.path_entry("docs-a", "/a.md") == ("new", 100, 1.0)
    assert manifest.pending("docs-a") == ["old"]


def test_a_touched_file_keeps_its_document_with_the_new_size_and_mtime(manifest):
    add_doc(manifest, "docs-a", "d1", ["/a.md"])
    manifest.touch_path("docs-a", "/a.md", 120, 2.5)
    assert manifest.path_entry("docs-a", "/a.md") == ("d1", 120, 2.5)


def test_unmapping_a_document_forgets_all_its_paths(manifest):
    add_doc(manifest, "docs-a", "d1", ["/a.md", "/b.md"])
    add_doc(manifest, "docs-a", "d2", ["/c.md"])
    assert manifest.unmap_docs("docs-a", ["d1"]) == ["d1"]
    assert manifest.paths("docs-a") == ["/c.md"]
    assert [d.doc_id for d in manifest.documents("docs-a")] == ["d2"]


def test_pending_marks_are_per_collection_and_cleared_one_by_one(manifest):
    manifest.mark_pending("docs-a", "d1")
    manifest.mark_pending("docs-a", "d1")  # idempotent
    manifest.mark_pending("docs-b", "d2")
    assert manifest.pending("docs-a") == ["d1"]
    manifest.clear_pending("docs-a", ["d1"])
    assert manifest.pending("docs-a") == [] and manifest.pending("docs-b") == ["d2"]


def test_forget_collection_removes_all_its_rows(manifest):
    manifest.create_collection("docs-a", CONFIG, "retired")
    add_doc(manifest, "docs-a", "d1", ["/a.md"])
    manifest.mark_pending("docs-a", "d1")
    manifest.forget_collection("docs-a")
    db = sqlite3.connect(manifest.path)
    for table in ("collections", "documents", "paths", "pending"):
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table


def test_collection_names_are_unique_and_prefixed():
    names = {new_collection_name("ab12cd34") for _ in range(50)}
    assert len(names) == 50 and all(n.startswith("docs-ab12cd34-") for n in names)


def test_each_data_dir_has_its_own_stable_namespace(tmp_path):
    a, b = Manifest(tmp_path / "a.sqlite3"), Manifest(tmp_path / "b.sqlite3")
    assert a.namespace != b.namespace
    assert Manifest(tmp_path / "a.sqlite3").namespace == a.namespace


def test_cleanup_leaves_other_data_dirs_collections_on_a_shared_store(tmp_path):
    from rag.settings import Settings

    backend = MemoryBackend()  # one store shared by two data dirs, as with one `chroma run` server
    one = Index(Settings(_env_file=None, data_dir=tmp_path / "one"), backend=backend)
    two = Index(Settings(_env_file=None, data_dir=tmp_path / "two"), backend=backend)
    info, _ = one.active_store(create=True)
    stray = new_collection_name(two.manifest.namespace)  # two's leftover of a killed writer
    backend.open(stray)
    with two.write_lock():
        pass
    assert info.name in backend.names() and stray not in backend.names()


# --- Index rules on top of the manifest ---------------------------------------------------------


@pytest.fixture
def index(settings):
    return Index(settings, backend=MemoryBackend())


def chunk(doc_id: str, i: int = 0) -> Chunk:
    return Chunk(
        id=f"{doc_id}:1:{i}", doc_id=doc_id, text=f"text {i}", source="/x", title="t", page=1, start=0, end=6
    )


def test_index_config_comes_from_the_settings_without_loading_the_model(settings):
    real = {
        "embedder": "all-MiniLM-L6-v2",
        "embedder_runtime": "torch",
        "chunk_tokens": 120,
        "chunk_overlap": 10,
    }
    index = Index(settings.model_copy(update=real), backend=MemoryBackend())
    assert index.config.embedder == "all-MiniLM-L6-v2" and index.config.dimension == 384
    assert index.config.chunking["tokens"] == 120 and index.config.chunking["overlap"] == 10
    assert index._embedder is None


def test_an_index_built_with_other_chunking_is_refused_with_a_reindex_hint(settings):
    Index(settings, backend=MemoryBackend()).active_store(create=True)
    other = Index(settings.model_copy(update={"chunk_tokens": 100}), backend=MemoryBackend())
    with pytest.raises(IndexMismatchError, match=rf"{settings.chunk_tokens}.*100.*run `rag reindex`"):
        other.active_store()


def test_active_store_creates_the_first_collection_only_when_asked(index):
    assert index.active_store() is None
    info, store = index.active_store(create=True)
    assert index.active().name == info.name == store.name
    assert index.active_store(create=True)[0].name == info.name  # no second collection


def test_cleanup_drops_half_built_retired_and_unknown_collections(index):
    info, store = index.active_store(create=True)
    index.manifest.create_collection("docs-building", index.config, "building")
    index.manifest.create_collection("docs-retired", index.config, "retired")
    stray = new_collection_name(index.manifest.namespace)
    for name in ("docs-building", "docs-retired", stray, "docs-someone-else"):
        index.backend.open(name).upsert([chunk("d1")], np.ones((1, 384), np.float32))
    index.cleanup()
    assert [c.name for c in index.manifest.collections()] == [info.name]
    assert sorted(index.backend.names()) == sorted([info.name, "docs-someone-else"])


def test_cleanup_deletes_chunks_of_documents_a_crash_left_pending(index):
    info, store = index.active_store(create=True)
    store.upsert([chunk("kept"), chunk("half", 0), chunk("half", 1)], np.ones((3, 384), np.float32))
    add_doc(index.manifest, info.name, "kept", ["/kept.md"])
    index.manifest.mark_pending(info.name, "half")  # chunks written, documents row never committed
    index.manifest.mark_pending(info.name, "kept")  # committed, only the mark was left
    index.cleanup()
    assert {c.doc_id for c in store.iter_chunks()} == {"kept"}
    assert index.manifest.pending(info.name) == []


def test_a_second_writer_is_refused_while_the_lock_is_held(settings):
    first, second = Index(settings, backend=MemoryBackend()), Index(settings, backend=MemoryBackend())
    with first.write_lock():
        with pytest.raises(IndexBusyError, match="another ingest or reindex is running"):
            with second.write_lock(wait_s=0.3):
                pass
    with second.write_lock(wait_s=0.3):  # released on exit
        pass


def test_a_data_dir_from_before_ocr_counts_gains_the_column_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)  # the documents table as it was before ocr_pages
    db.execute(
        "CREATE TABLE documents (collection TEXT NOT NULL, doc_id TEXT NOT NULL, title TEXT NOT NULL, "
        "doc_type TEXT NOT NULL, pages INTEGER NOT NULL, chunks INTEGER NOT NULL, bytes INTEGER NOT NULL, "
        "added REAL NOT NULL, PRIMARY KEY (collection, doc_id))"
    )
    db.execute("INSERT INTO documents VALUES ('c', 'old', 'Old', 'pdf', 3, 9, 10, 1.0)")
    db.execute("CREATE TABLE paths (collection TEXT, path TEXT, doc_id TEXT, size INTEGER, mtime REAL)")
    db.execute("INSERT INTO paths VALUES ('c', '/old.pdf', 'old', 10, 1.0)")
    db.commit()
    db.close()
    m = Manifest(path)
    m.record("c", "scan", [("/scan.pdf", 5, 1.0)], NewDocument("scan", "Scan", "pdf", 4, 2, 5, ocr_pages=3))
    assert {d.doc_id: d.ocr_pages for d in m.documents("c")} == {"old": 0, "scan": 3}
    m.close()
    Manifest(path).close()  # a second open (another process) finds the column and leaves it alone


def test_only_documents_that_lost_their_last_path_are_retired(manifest):
    """Retiring checks just the documents a write touched (O(1) per file), and still finds each orphan."""
    manifest.create_collection("docs-a", CONFIG, "active")
    add_doc(manifest, "docs-a", "d1", ["/a.md", "/a-copy.md"])
    add_doc(manifest, "docs-a", "d2", ["/b.md"])
    add_doc(manifest, "docs-a", "d3", ["/c.md"])
    assert add_doc(manifest, "docs-a", "d4", ["/b.md"]) == ["d2"]  # /b.md re-pointed: d2 has no path left
    assert manifest.unmap_paths("docs-a", ["/a.md"]) == []  # d1 keeps /a-copy.md
    assert manifest.unmap_paths("docs-a", ["/a-copy.md", "/nowhere.md"]) == ["d1"]
    assert manifest.unmap_docs("docs-a", ["d3"]) == ["d3"]
    assert [d.doc_id for d in manifest.documents("docs-a")] == ["d4"]
    assert sorted(manifest.pending("docs-a")) == ["d1", "d2", "d3"]
