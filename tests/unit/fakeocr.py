"""A fake OCR engine for hermetic tests of which pages get OCR'd, failures and progress (the real engine,
tesseract, is tested in tests/integration). tests/unit/conftest.py registers the `engine` fixture."""

from __future__ import annotations

import pytest

from ingest import ocr


class FakeOcr:
    """Reads no pixels: returns a numbered sentence, times out on the calls in `fail_on`, and records what
    `watch` shows while it is 'reading' (e.g. an ingest job's progress)."""

    name = "fake"

    def __init__(self) -> None:
        self.calls = 0
        self.fail_on: set[int] = set()
        self.watch = lambda: ""
        self.seen: list = []

    def read(self, image, timeout_s: float = 60.0) -> str:
        self.calls += 1
        self.seen.append(self.watch())
        if self.calls in self.fail_on:
            raise ocr.OcrTimeout(f"OCR timed out after {timeout_s:g} s")
        return f"Text read from scanned image number {self.calls}."


@pytest.fixture
def engine(monkeypatch) -> FakeOcr:
    fake = FakeOcr()
    monkeypatch.setattr(ocr, "available", lambda name="tesseract": True)
    monkeypatch.setattr(ocr, "create", lambda name="tesseract", threads=1: fake)
    return fake
