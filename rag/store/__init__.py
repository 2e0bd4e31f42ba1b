from ..settings import Settings
from . import chroma, memory  # noqa: F401  (register built-ins)
from .base import COLLECTION_PREFIX, StoreBackend, VectorStore, backends


def create_backend(settings: Settings, name: str = "chroma") -> StoreBackend:
    return backends.create(name, settings)


__all__ = ["COLLECTION_PREFIX", "StoreBackend", "VectorStore", "backends", "create_backend"]
