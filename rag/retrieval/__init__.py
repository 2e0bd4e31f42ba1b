from . import retrievers as _builtin  # noqa: F401  (register built-ins)
from .base import Retriever, retrievers
from .sources import SearchSources

__all__ = ["Retriever", "SearchSources", "retrievers"]
