"""Retriever role: a question in, ranked chunk hits out."""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

from ..registry import Registry
from ..types import Hit


@runtime_checkable
class Retriever(Protocol):
    name: str

    def retrieve(self, query: str, k: int, doc_ids: Sequence[str] | None = None) -> list[Hit]: ...


retrievers: Registry[Retriever] = Registry("retriever")
