from .base import Reranker, rerankers

__all__ = ["Reranker", "rerankers"]
