"""Parallel parsing: a pool of killable parse workers; a stuck file fails alone and kills only its worker,
and ingestion with two workers records the same documents as with one."""

from __future__ import annotations

import os

import pytest

from ingest import Ingestor
from ingest.parsing import Parser
from rag import Settings
from rag.errors import DocumentError
from rag.index import Index


def _notes(folder, n: int) -> list:
    folder.mkdir()
    paths = []
    for i in range(n):
        p = folder / f"note{i}.md"
        p.write_text(f"# Note {i}\n\nThe depot number {i} opens at {7 + i} o'clock.\n")
        paths.append(p)
    return paths


def test_a_stuck_file_kills_only_its_worker_while_the_other_parses_on(tmp_path):
    stuck = tmp_path / "stuck.txt"
    os.mkfifo(stuck)  # a read that never returns and uses no CPU: only the wall-time cap ends it
    notes = _notes(tmp_path / "notes", 4)
    with Parser(timeout_s=2, max_pages=10, workers=2) as parser:
        blocked = parser.submit(stuck)
        titles = [parser.result(parser.submit(p)).title for p in notes]
        # the notes were parsed by the second worker while the first was still stuck
        assert not blocked.done()
        with pytest.raises(DocumentError, match="timed out"):
            parser.result(blocked)
        assert len(parser._all) == 2 and [w.alive() for w in parser._all].count(True) == 1
        survivor = next(w for w in parser._all if w.alive())
        assert parser.result(parser.submit(notes[0])).title == "Note 0"
        assert [w for w in parser._all if w.alive()] == [survivor]  # reused, not restarted
    assert titles == [f"Note {i}" for i in range(4)]


def test_two_parse_workers_index_the_same_documents_as_one(tmp_path):
    notes = _notes(tmp_path / "notes", 6)
    (tmp_path / "notes" / "empty.md").write_text("")  # fails alone in both runs
    summaries = []
    for workers in (1, 2):
        s = Settings(
            data_dir=tmp_path / f"data{workers}",
            _env_file=None,
            embedder="fake",
            embedder_runtime="fake",
            parse_workers=workers,
        )
        report = Ingestor(Index(s)).ingest([tmp_path / "notes"])
        summaries.append(
            ([(r.path, r.status, r.title, r.chunks) for r in report.results], report.summary()["chunks"])
        )
        docs = Index(s).manifest.documents(Index(s).active_store()[0].name)
        assert sorted(d.title for d in docs) == [f"Note {i}" for i in range(len(notes))]
    assert summaries[0] == summaries[1]
    assert any(status == "failed" for _, status, _, _ in summaries[0][0])


def test_small_documents_share_one_embedding_call(tmp_path):
    _notes(tmp_path / "notes", 6)
    s = Settings(data_dir=tmp_path / "data", _env_file=None, embedder="fake", embedder_runtime="fake")
    index = Index(s)
    calls: list[int] = []
    real = index.embedder.embed_documents
    index.embedder.embed_documents = lambda texts: calls.append(len(texts)) or real(texts)
    report = Ingestor(index).ingest([tmp_path / "notes"])
    assert [r.status for r in report.results] == ["indexed"] * 6
    assert calls == [6]  # one chunk per note, one call (it was one call per file)
    assert index.active_store()[1].count() == 6
