"""Generators: `extractive` (no LLM), `local` (llama.cpp GGUF, served out of process), `openai` (any
compatible API), `fake` (scripted, for tests)."""

from . import extractive, fake  # noqa: F401
from .base import Generator, generators

# the LLM backends import heavy clients lazily inside their factories, so registering them is cheap
for _mod in ("local", "openai_api"):
    try:
        __import__(f"{__name__}.{_mod}")
    except ImportError:  # pragma: no cover - optional extra not installed
        pass

__all__ = ["Generator", "generators"]
