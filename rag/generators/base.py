"""Generator role: messages in, a stream of text pieces out."""
from __future__ import annotations

from typing import Iterator, Protocol, runtime_checkable

from ..registry import Registry
from ..types import Message


@runtime_checkable
class Generator(Protocol):
    name: str
    context_window: int  # tokens the model accepts (prompt + answer)

    def generate(self, messages: list[Message], max_tokens: int = 256) -> Iterator[str]: ...


generators: Registry[Generator] = Registry("generator")
