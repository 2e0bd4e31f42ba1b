"""Fixtures for tests/unit: hermetic, so the deterministic fake embedder stands in for the real model
(tests/integration runs the real one). The AppTest helpers themselves live in appkit.py."""

import pytest
from apikit import keyed  # noqa: F401  (fixture: settings with API keys and the fake embedder)
from appkit import app_env  # noqa: F401  (fixture: a fresh data dir and env per AppTest)
from fakeocr import engine  # noqa: F401  (fixture: the fake OCR engine, patched in)

from rag import Settings


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data", _env_file=None, embedder="fake", embedder_runtime="fake")
