"""One evaluation cache: `rag eval` and the admin page's evaluation both use Settings.eval_cache."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.eval import retrieval
from app.services import admin
from rag import Settings


class Stop(Exception):
    pass


@pytest.fixture
def seen(monkeypatch):
    caches = []

    def prepare(folder, settings, cache, log=None):
        caches.append(cache)
        raise Stop  # nothing to index: only where it would go matters here

    monkeypatch.setattr(retrieval, "prepare", prepare)
    return caches


def test_cli_and_admin_page_share_the_configured_cache(seen, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    CliRunner().invoke(
        app,
        ["eval", "retrieval", str(tmp_path), "--methods", "bm25"],
        env={"RAG_EVAL_CACHE": str(tmp_path / "c")},
    )
    with pytest.raises(Stop):
        settings = Settings(_env_file=None, data_dir=tmp_path / "d", eval_cache=tmp_path / "c")
        admin.retrieval_eval(tmp_path, settings)
    assert seen == [tmp_path / "c", tmp_path / "c"]


def test_the_cache_option_overrides_it_and_home_is_expanded(seen, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    CliRunner().invoke(app, ["eval", "retrieval", str(tmp_path), "--cache", str(tmp_path / "x")])
    assert seen == [tmp_path / "x"]
    assert Settings(_env_file=None, eval_cache="~/ev").eval_cache == Path.home() / "ev"


def test_a_second_build_of_the_same_entry_waits_and_reuses_the_first(settings, tmp_path):
    """Two evaluations needing one cache entry at once: one indexes, the other waits and reuses it (it
    used to fail on the index's write lock)."""
    import threading

    from app.eval.cache import cached_index

    docs = tmp_path / "docs"
    docs.mkdir()
    paths = []
    for i in range(6):
        (docs / f"d{i}.md").write_text(f"# Doc {i}\n\n" + " ".join(f"word{i}x{j}" for j in range(400)))
        paths.append(docs / f"d{i}.md")
    logs: list[str] = []
    results, errors = [], []

    def build():
        try:
            index, summary = cached_index(settings, tmp_path / "c", "qa/x", "h", paths, logs.append)
            results.append((str(index.settings.data_dir), summary["indexed"]))
        except Exception as e:  # the assertion below reports it
            errors.append(repr(e))

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and len(results) == 2 and results[0] == results[1] and results[0][1] == 6
    assert sum(m.startswith("indexing into") for m in logs) == 1
