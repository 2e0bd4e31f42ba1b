"""A bad HNSW setting stops the CLI with exit 2 and one line naming it, like every bounded setting."""

import os

import pytest
from typer.testing import CliRunner

from app.cli import app
from rag import Settings


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    for k in list(os.environ):
        if k.startswith("RAG_"):
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.mark.parametrize(
    "name,value",
    [
        ("RAG_HNSW_SPACE", "euclid"),
        ("RAG_HNSW_M", "1"),
        ("RAG_HNSW_M", "1000"),
        ("RAG_HNSW_CONSTRUCTION_EF", "0"),
        ("RAG_HNSW_SEARCH_EF", "-5"),
        ("RAG_HNSW_SEARCH_EF", "ten"),
    ],
)
def test_a_bad_hnsw_value_exits_2_naming_the_setting(clean_env, name, value):
    result = CliRunner().invoke(app, ["status"], env={name: value})
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], result.stderr


def test_the_settings_are_read_from_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("RAG_HNSW_SPACE", "l2")
    monkeypatch.setenv("RAG_HNSW_SEARCH_EF", "77")
    s = Settings()
    assert (s.hnsw_space, s.hnsw_search_ef) == ("l2", 77)
