"""A small library indexed hermetically: the fake embedder, the in-memory store, the real ingestion path."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rag import Settings
from rag.embedders import create_embedder
from rag.index import Index
from rag.store.memory import MemoryBackend


def fake_library(
    root: Path, docs: dict[str, str], add: Callable[[Path], None] | None = None, **settings
) -> Index:
    """`docs` (name -> text) written to root/docs (plus whatever `add` writes there), then ingested."""
    from ingest import Ingestor

    folder = root / "docs"
    folder.mkdir()
    for name, text in docs.items():
        (folder / name).write_text(text)
    if add:
        add(folder)
    s = Settings(data_dir=root / "data", _env_file=None, embedder="fake", embedder_runtime="fake", **settings)
    index = Index(s, backend=MemoryBackend(), embedder=create_embedder(s))
    assert not Ingestor(index).ingest([folder]).failed
    return index
