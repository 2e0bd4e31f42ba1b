"""Issue 14 items 6 and 10: what a long-lived reader sees after other processes (or killed ones) wrote."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rag import Settings
from rag.index import Index
from rag.service import AnswerService

ROOT = Path(__file__).resolve().parents[2]


def _settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", embedder_runtime="fake", _env_file=None)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_embedded_reader_sees_chunks_a_separate_cli_ingest_added(tmp_path):
    from ingest import Ingestor

    s = _settings(tmp_path)
    first = _write(tmp_path / "docs", "tower.md", "# Tower\n\nThe Eiffel Tower opened in 1889 in Paris.\n")
    index = Index(s)
    Ingestor(index).ingest([first])
    service = AnswerService(s, index)  # the app's long-lived process
    assert {h.chunk.title for h in service.sources.dense("Eiffel Tower", 5)} == {"Tower"}

    second = _write(tmp_path / "more", "zebra.md", "# Zebras\n\nZebras have black and white stripes.\n")
    env = {**os.environ, "RAG_DATA_DIR": str(s.data_dir), "RAG_EMBEDDER_RUNTIME": "fake"}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "ingest", str(second)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    titles = {h.chunk.title for h in service.sources.dense("Zebras have black and white stripes", 5)}
    assert titles == {"Tower", "Zebras"}  # before the fix: only "Tower" until this process wrote


def test_readers_never_see_chunks_of_pending_documents(tmp_path):
    """A killed ingest can leave chunks in the store whose document the manifest does not list."""
    from ingest import Ingestor

    s = _settings(tmp_path)
    doc = _write(tmp_path / "docs", "tower.md", "# Tower\n\nThe Eiffel Tower opened in 1889 in Paris.\n")
    index = Index(s)
    Ingestor(index).ingest([doc])
    info = index.active()
    doc_id = index.manifest.documents(info.name)[0].doc_id
    # what the writer leaves when killed between deleting the manifest row and deleting the chunks
    index.manifest.unmap_docs(info.name, [doc_id])
    assert index.manifest.pending(info.name) == [doc_id] and not index.manifest.documents(info.name)
    service = AnswerService(s, Index(s))
    assert service.sources.dense("Eiffel Tower", 5) == []
    assert service.sources.lexical("Eiffel Tower", 5) == []
    assert service.ask("When did the Eiffel Tower open?").citations == []
