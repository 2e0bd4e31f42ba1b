"""A tiny name -> factory registry, one per role (embedder, store, retriever, reranker, generator, loader)."""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, role: str) -> None:
        self.role = role
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def deco(factory: Callable[..., T]) -> Callable[..., T]:
            self._factories[name] = factory
            return factory

        return deco

    def names(self) -> list[str]:
        return sorted(self._factories)

    def factory(self, name: str) -> Callable[..., T]:
        try:
            return self._factories[name]
        except KeyError:
            raise ConfigError(f"unknown {self.role} {name!r}; choose one of {self.names()}") from None

    def create(self, name: str, *args, **kwargs) -> T:
        return self.factory(name)(*args, **kwargs)
