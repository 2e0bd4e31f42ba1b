"""Crash trials (issue 14): SIGKILL `rag ingest` and `rag reindex` at random points; after each kill the
store and the manifest agree (no orphan, no duplicate chunk, the old index still serving a reindex), no
parse worker survives its parent, and the next run completes.

RAG_CRASH_TRIALS kill points per command (default 3, sized for CI; docs/reliability.md has a 10-point run);
RAG_CRASH_SEED fixes the points. The fake embedder keeps a run to seconds; the store is real (embedded
Chroma).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from rag import Settings
from rag.index import Index

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TRIALS = int(os.environ.get("RAG_CRASH_TRIALS", "3"))
SEED = int(os.environ.get("RAG_CRASH_SEED", str(random.randrange(10**6))))
FILES = 60
WORDS = (
    "harbour ledger survey coastal tide ferry granite quarry lantern orchard meadow canal bridge market "
    "weaver copper timber mill council archive festival choir museum garden railway"
).split()


def corpus(folder: Path) -> Path:
    rnd = random.Random(1)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(FILES):
        paras = [
            "\n".join(" ".join(rnd.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(6))
            for _ in range(4)
        ]
        (folder / f"note-{i:03d}.md").write_text(f"# Note {i}\n\n" + "\n\n".join(paras) + "\n")
    return folder


def rag(env: dict, *args: str, kill_after: float | None = None) -> int | None:
    """Run `rag ...`; with `kill_after`, SIGKILL it then (returns None if it was killed, else its code)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if kill_after is None:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        return 0
    try:
        proc.wait(timeout=kill_after)
        return proc.returncode  # finished before the kill point
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _no_orphan_worker(proc.pid)
        return None


def _no_orphan_worker(parent: int) -> None:
    """No parse worker of the killed process is left running (it dies with its parent: item 7)."""
    mark = f"DOCQA_PARENT_PID={parent}".encode()
    for _ in range(50):
        left = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    if mark in (d / "environ").read_bytes().split(b"\0"):
                        left.append(int(d.name))
                except OSError:
                    pass
        if not left:
            return
        time.sleep(0.1)
    raise AssertionError(f"parse worker(s) {left} outlived their killed parent {parent}")


def consistent(settings: Settings) -> tuple[str | None, int, int]:
    """Check the index as a fresh reader sees it; returns (active collection, documents, chunks)."""
    index = Index(settings)
    try:
        index.backend.refresh()  # this test process's client must read what the killed process wrote
        m = index.manifest
        for info in m.collections():
            assert info.state in ("active", "building", "retired")
        info = m.active()
        if info is None:
            return None, 0, 0
        store = index.backend.open(info.name)
        docs = {d.doc_id: d for d in m.documents(info.name)}
        pending = set(m.pending(info.name))
        ids = [c.id for c in store.iter_chunks()]
        per_doc = Counter(i.split(":", 1)[0] for i in ids)
        assert len(ids) == len(set(ids)), "duplicate chunk ids"
        orphans = set(per_doc) - set(docs) - pending
        assert not orphans, f"chunks of documents the manifest does not know: {sorted(orphans)[:3]}"
        for doc_id, d in docs.items():
            assert per_doc[doc_id] == d.chunks, (
                f"{d.title}: store {per_doc[doc_id]} chunks, manifest {d.chunks}"
            )
        paths = [p for d in docs.values() for p in d.paths]
        assert len(paths) == len(set(paths)), "a file mapped to two documents"
        return info.name, len(docs), sum(d.chunks for d in docs.values())
    finally:
        index.manifest.close()


@pytest.fixture
def setup(tmp_path):
    folder = corpus(tmp_path / "docs")
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "data"), "RAG_EMBEDDER_RUNTIME": "fake"}
    env.pop("RAG_CHROMA_HOST", None)
    settings = Settings(data_dir=tmp_path / "data", embedder_runtime="fake", _env_file=None)
    return folder, env, settings


def test_ingest_killed_at_random_points_stays_consistent_and_resumes(setup, tmp_path):
    folder, env, settings = setup
    t0 = time.monotonic()
    rag({**env, "RAG_DATA_DIR": str(tmp_path / "reference")}, "ingest", str(folder))
    full = time.monotonic() - t0
    rnd = random.Random(SEED)
    killed = 0
    for trial in range(TRIALS):  # each trial from an empty index: kill, check, resume, check
        data = tmp_path / f"trial-{trial}"
        s = settings.model_copy(update={"data_dir": data})
        e = {**env, "RAG_DATA_DIR": str(data)}
        killed += rag(e, "ingest", str(folder), kill_after=rnd.uniform(0.1, 0.9) * full) is None
        assert consistent(s)[1] <= FILES
        rag(e, "ingest", str(folder))  # the next run completes what the killed one left
        name, docs, _ = consistent(s)
        index = Index(s)
        assert docs == FILES and not index.manifest.pending(name)
        index.manifest.close()
    assert killed >= 1, f"no run was killed mid-way (seed {SEED}, full run {full:.1f} s)"
    print(f"ingest crash trials: {killed}/{TRIALS} killed mid-run (seed {SEED}, full run {full:.1f} s)")


def test_reindex_killed_at_random_points_keeps_the_old_index_serving(setup):
    folder, env, settings = setup
    rag(env, "ingest", str(folder))
    before = consistent(settings)
    t0 = time.monotonic()
    rag(env, "reindex")
    full = time.monotonic() - t0
    live = consistent(settings)
    assert live[1:] == before[1:]
    rnd = random.Random(SEED + 1)
    killed = 0
    for _ in range(TRIALS):
        code = rag(env, "reindex", kill_after=rnd.uniform(0.1, 0.9) * full)
        killed += code is None
        now = consistent(settings)
        assert (
            now[1:] == before[1:]
        )  # whichever collection is live (old, or new if the switch was done), it is whole
        live = now
    rag(env, "reindex")
    after = consistent(settings)
    assert after[1:] == before[1:] and after[0] != live[0]
    names = [c.name for c in Index(settings).manifest.collections()]
    assert names == [after[0]], f"half-built or retired collections left: {names}"
    assert killed >= 1, f"no reindex was killed mid-way (seed {SEED}, full run {full:.1f} s)"
    print(f"reindex crash trials: {killed}/{TRIALS} killed mid-run (seed {SEED}, full run {full:.1f} s)")
