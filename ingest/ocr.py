"""OCR role: a page image in, its text out. Runs inside the parse worker, one page at a time.

Two engines, picked by `benchmarks/ocr.py` (figures in docs/benchmarks.md): Debian's tesseract
(`tesseract-ocr` + `tesseract-ocr-eng`, installed by `make setup`) as a subprocess with a per-page time
limit, and rapidocr (PP-OCR ONNX models inside the wheel) in-process when installed. `--psm 6` reads a
page as one block of lines, which keeps a table row's label and values on one line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Callable, Protocol

from rag.errors import DocumentError

DEFAULT_ENGINE = "tesseract"


class OcrTimeout(DocumentError):
    pass


class OcrEngine(Protocol):
    name: str

    def read(self, image, timeout_s: float = 60.0) -> str: ...


_ENGINES: dict[str, Callable[..., OcrEngine]] = {}


def register(name: str):
    def deco(factory):
        _ENGINES[name] = factory
        return factory

    return deco


def create(name: str = DEFAULT_ENGINE, threads: int = 1) -> OcrEngine:
    try:
        factory = _ENGINES[name]
    except KeyError:
        raise DocumentError(f"unknown OCR engine {name!r}; choose one of {sorted(_ENGINES)}") from None
    return factory(threads=threads)


def available(name: str = DEFAULT_ENGINE) -> bool:
    if name == "tesseract":
        return shutil.which("tesseract") is not None
    try:
        __import__(name)
        return True
    except ImportError:
        return False


def render(page, dpi: int = 300):
    """A pdfium page as a grayscale PIL image at `dpi`."""
    return page.render(scale=dpi / 72, grayscale=True).to_pil()


@register("tesseract")
class Tesseract:
    name = "tesseract"

    def __init__(self, threads: int = 1) -> None:
        self.exe = shutil.which("tesseract")
        if self.exe is None:
            raise DocumentError("OCR unavailable: tesseract is not installed (run `make setup`)")
        self.env = {**os.environ, "OMP_THREAD_LIMIT": str(threads)}

    def read(self, image, timeout_s: float = 60.0) -> str:
        import io

        buf = io.BytesIO()
        image.save(buf, format="PNG")
        try:
            done = subprocess.run(
                [self.exe, "stdin", "stdout", "--psm", "6", "-l", "eng"],
                input=buf.getvalue(),
                capture_output=True,
                timeout=timeout_s,
                env=self.env,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise OcrTimeout(f"OCR timed out after {timeout_s:g} s") from None
        if done.returncode != 0:
            err = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise DocumentError(f"OCR failed ({err[-1][:100] if err else f'exit {done.returncode}'})")
        return done.stdout.decode("utf-8", "replace")


@register("rapidocr")
class RapidOcr:
    """rapidocr 3.x; lines are rebuilt from its text boxes (top to bottom, then left to right)."""

    name = "rapidocr"

    def __init__(self, threads: int = 1) -> None:
        from rapidocr import RapidOCR

        self.engine = RapidOCR(
            params={
                "Global.log_level": "error",
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )

    def read(self, image, timeout_s: float = 60.0) -> str:
        import numpy as np

        out = self.engine(np.asarray(image.convert("RGB")))
        boxes, txts = getattr(out, "boxes", None), getattr(out, "txts", None)
        if boxes is None or txts is None:
            return ""
        items = sorted(
            (
                (float(min(p[1] for p in b)), float(max(p[1] for p in b)), float(min(p[0] for p in b)), t)
                for b, t in zip(boxes, txts)
            ),
            key=lambda x: (x[0], x[2]),
        )
        lines: list[list[tuple[float, float, float, str]]] = []
        for it in items:
            if lines and it[0] < (lines[-1][0][0] + lines[-1][0][1]) / 2:  # starts above the line's middle
                lines[-1].append(it)
            else:
                lines.append([it])
        return "\n".join(" ".join(t for *_, t in sorted(ln, key=lambda x: x[2])) for ln in lines)
