"""Generator role: a question and its retrieved hits in, a stream of text pieces out.

Source n is hits[n - 1]: an answer cites it as [n]. Generators get structured input; only the LLM
backends render a prompt (rag.prompt), so nothing has to parse a prompt back.
Factories take the settings and, by keyword, the parts they may use (`embedder`): every factory
accepts them, so the service builds any generator the same way.
"""

from __future__ import annotations

from typing import Iterator, Protocol, Sequence, runtime_checkable

from ..registry import Registry
from ..types import Hit


@runtime_checkable
class Generator(Protocol):
    name: str
    context_window: int  # tokens the model accepts (prompt + answer)

    def generate(self, question: str, hits: Sequence[Hit], max_tokens: int = 256) -> Iterator[str]: ...


generators: Registry[Generator] = Registry("generator")
