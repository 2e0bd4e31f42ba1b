"""Shared fixtures. Every test runs offline: sockets to anything but loopback are refused."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = ROOT.parent / "shared" / "eval"
_real_connect = socket.socket.connect
_LOOPBACK = ("127.", "::1", "localhost", "0.0.0.0")


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and not str(host).startswith(_LOOPBACK):
        raise RuntimeError(f"test tried to reach {host!r}: only loopback is allowed")
    return _real_connect(self, address)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for a test server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_pdf(path: Path, pages: list[str], font_size: int = 12, line_height: float = 8) -> Path:
    """A text PDF with one page per string (an empty string gives a blank page); returns `path`."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=font_size)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, line_height, text)
    path.write_bytes(bytes(pdf.output()))
    return path


@pytest.fixture(autouse=True)
def _block_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    if not SHARED_EVAL.is_dir():
        why = f"evaluation data not found at {SHARED_EVAL} (../shared/eval beside the repo)"
        if os.environ.get("CI", "").lower() == "true":  # CI must run the evaluation tests, not skip them
            pytest.fail(why)
        pytest.skip(why)
    return SHARED_EVAL


@pytest.fixture
def settings(tmp_path):
    from rag import Settings

    return Settings(data_dir=tmp_path / "data", _env_file=None)


@pytest.fixture(scope="session")
def embedder():
    """The real packaged MiniLM in the default runtime, loaded once per test session."""
    from rag import Settings
    from rag.embedders import create_embedder

    return create_embedder(Settings(_env_file=None))


@pytest.fixture(scope="session")
def torch_embedder():
    """The sentence-transformers reference runtime."""
    from rag import Settings
    from rag.embedders import create_embedder

    return create_embedder(Settings(_env_file=None, embedder_runtime="torch"))
