"""Settings are bounded, finite and Literal-typed; a bad value stops the CLI with exit 2 and one line."""

from __future__ import annotations

import os
import subprocess
import sys
import typing

import pytest
from typer.testing import CliRunner

from app.cli import app
from rag import Settings
from rag.embedders import embedders
from rag.generators import generators
from rag.rerankers import rerankers
from rag.retrieval import retrievers
from rag.settings import EmbedderRuntime, GeneratorName, RerankerName, RetrieverName

BAD = [
    ("RAG_TOP_K", "-2"),
    ("RAG_TOP_K", "0"),
    ("RAG_REFUSAL_THRESHOLD", "nan"),
    ("RAG_REFUSAL_THRESHOLD", "inf"),
    ("RAG_MAX_FILE_MB", "nan"),
    ("RAG_MAX_FILE_MB", "inf"),
    ("RAG_MAX_FILE_MB", "0"),
    ("RAG_EMBED_BATCH_SIZE", "0"),
    ("RAG_UPLOAD_MAX_MB", "-1"),
    ("RAG_FUSION_WEIGHT", "1.5"),
    ("RAG_FUSION", "weighed"),
    ("RAG_RETRIEVER", "hybird"),
    ("RAG_GENERATOR", "gpt"),
    ("RAG_EMBEDDER_RUNTIME", "cuda"),
    ("RAG_CHUNK_OVERLAP", "400"),
    ("RAG_PARSE_TIMEOUT_S", "nan"),
    ("RAG_CHROMA_PORT", "70000"),
]


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    for k in list(os.environ):
        if k.startswith("RAG_"):
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.mark.parametrize("name,value", BAD)
def test_a_bad_value_exits_2_with_one_line_naming_the_setting(clean_env, name, value):
    result = CliRunner().invoke(app, ["status"], env={name: value})
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and "Traceback" not in result.output, result.stderr


def test_the_installed_command_reports_it_the_same_way(clean_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    # a narrow terminal: the message must still be one line
    env.update(RAG_TOP_K="-2", RAG_DATA_DIR=str(clean_env / "data"), COLUMNS="40")
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "ask", "anything"],
        env=env,
        cwd=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "RAG_TOP_K" in proc.stderr


def test_the_defaults_are_valid(clean_env):
    s = Settings(_env_file=None)
    assert s.top_k >= 1 and 0 <= s.refusal_threshold <= 2


@pytest.mark.parametrize(
    "literal,registry",
    [
        (EmbedderRuntime, embedders),
        (RetrieverName, retrievers),
        (RerankerName, rerankers),
        (GeneratorName, generators),
    ],
)
def test_each_literal_names_exactly_what_its_registry_holds(literal, registry):
    assert sorted(typing.get_args(literal)) == registry.names()
