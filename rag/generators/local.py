"""In-process llama.cpp generator over a GGUF model in models/ (see rag.local_models)."""
from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import GeneratorError
from ..prompt import build_messages
from ..settings import Settings
from ..types import Hit, Message
from .base import generators

_FIX = "run `make setup` (or `pip install llama-cpp-python[server]==0.3.36 && python -m rag.local_models`)"


class LocalGenerator:
    name = "local"

    def __init__(self, model_path: Path, context_window: int = 4096, threads: int = 2) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise GeneratorError(f"llama-cpp-python is not installed: {_FIX}")
        if not model_path.is_file():
            raise GeneratorError(f"local model {model_path} is missing: {_FIX}")
        self.model_path = model_path
        self.model = model_path.stem
        self.context_window = context_window
        self.threads = threads
        self._llm = None
        self._load_lock = threading.Lock()
        # One llama context cannot serve two generations at once; Streamlit sessions share this object.
        # A plain Lock, not an RLock: an abandoned stream may be finalised (and release) on another thread.
        self._busy = threading.Lock()

    def _llama(self):
        with self._load_lock:
            if self._llm is None:
                from llama_cpp import Llama

                try:
                    self._llm = Llama(model_path=str(self.model_path), n_ctx=self.context_window,
                                      n_threads=self.threads, n_threads_batch=self.threads, verbose=False)
                except (ValueError, RuntimeError) as e:
                    raise GeneratorError(f"cannot load {self.model_path.name} ({e}): {_FIX}") from e
            return self._llm

    def count_tokens(self, text: str) -> int:
        return len(self._llama().tokenize(text.encode(), add_bos=False, special=True))

    def generate(self, question: str, hits: Sequence[Hit], max_tokens: int = 256) -> Iterator[str]:
        return self.chat(build_messages(question, hits), max_tokens)

    def chat(self, messages: list[Message], max_tokens: int = 256) -> Iterator[str]:
        """Raw chat completion over already rendered messages."""
        llm = self._llama()
        with self._busy:
            try:
                stream = llm.create_chat_completion(
                    messages=[{"role": m.role, "content": m.content} for m in messages],
                    max_tokens=max_tokens, temperature=0.0, stream=True)
                for chunk in stream:
                    if text := chunk["choices"][0]["delta"].get("content"):
                        yield text
            except ValueError as e:  # llama_cpp reports an over-long prompt this way
                raise GeneratorError(f"local model: {e}; lower RAG_MAX_CONTEXT_TOKENS") from e


@generators.register("local")
def local_generator(settings: Settings, *, embedder=None) -> LocalGenerator:
    path = settings.local_model_path or settings.models_dir / f"{settings.local_model}.gguf"
    return LocalGenerator(path, settings.local_context, settings.local_threads)
