"""Local llama.cpp generator over a GGUF model in models/ (see rag.local_models), run out of process.

The model is served by a supervised `llama_cpp.server` child (rag.generators.llama_server), shared by
every generator, session and CLI command of this process, and spoken to with the `openai` generator's
client: a crash in llama.cpp costs one answer ("the local model stopped; restarting"), not the app.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import GeneratorError
from ..prompt import build_messages
from ..settings import Settings
from ..types import Hit, Message
from .base import generators
from .llama_server import server_for
from .openai_api import OpenAIGenerator

_FIX = "run `make setup` (or `pip install llama-cpp-python[server]==0.3.36 && rag setup models`)"


class LocalGenerator:
    name = "local"

    def __init__(
        self, model_path: Path, context_window: int = 4096, threads: int = 2, timeout: float = 300.0
    ) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise GeneratorError(f"llama-cpp-python is not installed: {_FIX}")
        if not model_path.is_file():
            raise GeneratorError(f"local model {model_path} is missing: {_FIX}")
        self.model_path = model_path
        self.model = model_path.stem
        self.context_window = context_window
        self.threads = threads
        self.timeout = timeout  # generous: a request may queue behind other sessions' answers
        self.server = server_for(model_path, context_window, threads)  # started by the first request
        self._api: tuple[int, OpenAIGenerator] | None = None  # client for the server's current start
        self._http = None
        # the prompt budget counts the same system prompt and sources again and again
        self.count_tokens = functools.lru_cache(maxsize=512)(self._count_tokens)

    def _client(self) -> tuple[OpenAIGenerator, int]:
        url, start = self.server.endpoint()
        api = self._api
        if api is None or api[0] != start:  # a restarted server listens on a new port
            api = self._api = (
                start,
                OpenAIGenerator(
                    url,
                    self.server.alias,
                    timeout=self.timeout,
                    max_retries=0,
                    context_window=self.context_window,
                ),
            )
        return api[1], start

    def _count_tokens(self, text: str) -> int:
        """Tokens of `text` by the model's own tokenizer (special tokens count as one), asked of the
        server."""
        if not text:
            return 0
        import httpx

        api, start = self._client()
        url = str(api._client.base_url).removesuffix("/").removesuffix("/v1") + "/extras/tokenize/count"
        try:
            self._http = self._http or httpx.Client(timeout=self.timeout)
            r = self._http.post(url, json={"input": text, "model": self.server.alias})
            r.raise_for_status()
            return int(r.json()["count"])
        except (httpx.HTTPError, ValueError, KeyError) as e:
            raise GeneratorError(self.server.failure(start) or f"local model tokenizer failed: {e}") from e

    def generate(self, question: str, hits: Sequence[Hit], max_tokens: int = 256) -> Iterator[str]:
        return self.chat(build_messages(question, hits), max_tokens)

    def chat(self, messages: list[Message], max_tokens: int = 256) -> Iterator[str]:
        """Raw chat completion over already rendered messages."""
        # llama_cpp.server ends an over-long prompt's stream silently (no error event): check first
        if (need := sum(self.count_tokens(m.content) + 8 for m in messages)) >= self.context_window:
            raise GeneratorError(
                f"the prompt (~{need} tokens) does not fit the local model's context "
                f"({self.context_window}): lower RAG_MAX_CONTEXT_TOKENS or raise "
                "RAG_LOCAL_CONTEXT"
            )
        api, start = self._client()
        try:
            yield from api.chat(messages, max_tokens)
        except GeneratorError as e:
            raise GeneratorError(self.server.failure(start) or str(e)) from e
        self.server.answered()


@generators.register("local")
def local_generator(settings: Settings, *, embedder=None) -> LocalGenerator:
    path = settings.local_model_path or settings.models_dir / f"{settings.local_model}.gguf"
    return LocalGenerator(path, settings.local_context, settings.local_threads)
