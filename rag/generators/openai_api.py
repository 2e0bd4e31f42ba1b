"""Generator over any OpenAI-compatible chat endpoint (OpenAI, llama.cpp server, vLLM, Ollama...)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..errors import ConfigError, GeneratorError
from ..prompt import build_messages
from ..safety import redact_url
from ..settings import Settings
from ..types import Hit, Message
from .base import generators


class OpenAIGenerator:
    name = "openai"

    def __init__(
        self,
        base_url: str | None,
        model: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        context_window: int = 8192,
    ) -> None:
        try:
            import openai
        except ImportError:
            raise GeneratorError("the openai package is not installed: run `make setup`") from None
        # Offered only when configured, and with both passed explicitly: given None, the client would
        # read OPENAI_BASE_URL / OPENAI_API_KEY and send passages to api.openai.com on the operator's key.
        if not base_url:
            raise ConfigError("the openai generator needs RAG_OPENAI_BASE_URL (where passages are sent)")
        api_key = api_key or "not-needed"  # local endpoints ignore the key but the client insists on one
        try:
            self._client = openai.OpenAI(
                base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries
            )
        except openai.OpenAIError as e:
            raise GeneratorError(f"no API key for api.openai.com: set RAG_OPENAI_API_KEY ({e})") from e
        self.model = model
        self.context_window = context_window
        self.timeout = timeout

    def generate(self, question: str, hits: Sequence[Hit], max_tokens: int = 256) -> Iterator[str]:
        return self.chat(build_messages(question, hits), max_tokens)

    def chat(self, messages: list[Message], max_tokens: int = 256) -> Iterator[str]:
        """Raw chat completion over already rendered messages."""
        import httpx
        import openai

        started = False  # a failure after the first token is a broken answer, not a failed connection
        try:
            # `with`: an abandoned stream closes its connection now, so the server stops generating
            with self._client.chat.completions.create(
                model=self.model,
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=max_tokens,
                temperature=0,
                stream=True,
            ) as stream:
                for chunk in stream:
                    if chunk.choices and (text := chunk.choices[0].delta.content):
                        started = True
                        yield text
        except (openai.OpenAIError, httpx.TransportError) as e:  # httpx's: the stream broke off midway
            if started and isinstance(e, (openai.APIConnectionError, httpx.TransportError)):
                raise GeneratorError(
                    f"{redact_url(self._client.base_url).rstrip('/')} broke off the answer midway: try again"
                ) from e
            raise GeneratorError(self._explain(e)) from e

    def _explain(self, e: Exception) -> str:
        import httpx
        import openai

        url = redact_url(self._client.base_url).rstrip("/")  # never a user:password@ to chat users
        if isinstance(e, openai.AuthenticationError):
            return f"{url} rejected the API key: check RAG_OPENAI_API_KEY"
        if isinstance(e, openai.APITimeoutError):  # before APIConnectionError, its base class
            tries = self._client.max_retries + 1  # the client retried before giving up: say so
            spent = (
                f" on any of {tries} attempts ({tries * self.timeout:g} s or more in all)"
                if tries > 1
                else ""
            )
            return (
                f"{url} did not answer within {self.timeout:g} s{spent}: check the server, "
                "RAG_OPENAI_TIMEOUT_S or RAG_OPENAI_MAX_RETRIES"
            )
        if isinstance(e, openai.APIConnectionError):
            return f"cannot connect to {url}: is the server running? check RAG_OPENAI_BASE_URL"
        if isinstance(e, openai.NotFoundError):
            return (
                f"{url} answered 404 for model {self.model!r}: check RAG_OPENAI_MODEL, and that "
                "RAG_OPENAI_BASE_URL ends in /v1"
            )
        if isinstance(e, httpx.TransportError):
            return f"{url} broke off the answer ({type(e).__name__}: {e})"
        if isinstance(e, openai.RateLimitError):
            return f"{url} is rate limiting us or the quota is used up: try again later"
        message = getattr(e, "message", None) or str(e)
        return f"{url} failed: {message}"


@generators.register("openai")
def openai_generator(settings: Settings, *, embedder=None) -> OpenAIGenerator:
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return OpenAIGenerator(
        settings.openai_base_url,
        settings.openai_model,
        key,
        settings.openai_timeout_s,
        settings.openai_max_retries,
    )
