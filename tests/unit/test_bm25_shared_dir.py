"""Several processes share one data dir's BM25 folder (issue 16): saving one revision must not touch another
process's save in progress, and two saves of the same revision both succeed."""

from __future__ import annotations

from rag.lexical import BM25Index, LexicalCache
from rag.types import Chunk


def _chunks() -> list[Chunk]:
    texts = ["The Nile flows north into the Mediterranean.", "Zebras have black and white stripes."]
    return [
        Chunk(
            id=f"d{i}:1:0",
            doc_id=f"d{i}",
            text=t,
            source=f"/x/d{i}.md",
            title=f"Doc {i}",
            page=1,
            start=0,
            end=len(t),
        )
        for i, t in enumerate(texts)
    ]


def test_a_save_leaves_another_process_half_written_save_alone(tmp_path):
    # what another process writing the same revision has on disk mid-save (old and new temp names)
    others = [tmp_path / "col-r1.tmp", tmp_path / "col-r1.tmp-4242-deadbeef"]
    for d in others:
        d.mkdir()
        (d / "ids.json").write_text("{}")
    BM25Index().build(_chunks()).save(tmp_path / "col-r1")
    LexicalCache(tmp_path).get("col", 1, _chunks)
    assert all((d / "ids.json").exists() for d in others)
    assert BM25Index.load(tmp_path / "col-r1").search("zebra stripes", 1)[0][0] == "d1:1:0"


def test_two_saves_of_one_revision_both_succeed_and_the_index_loads(tmp_path):
    a, b = BM25Index().build(_chunks()), BM25Index().build(_chunks())
    a.save(tmp_path / "col-r1")
    b.save(tmp_path / "col-r1")
    assert BM25Index.load(tmp_path / "col-r1").ids == a.ids
    assert [p.name for p in tmp_path.iterdir()] == ["col-r1"]  # no temp folder left behind
