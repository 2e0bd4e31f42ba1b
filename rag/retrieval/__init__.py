from . import retrievers as _builtin  # noqa: F401  (register built-ins)
from .base import Retriever, retrievers
from .retrievers import glossary_note
from .sources import SearchSources

__all__ = ["Retriever", "SearchSources", "glossary_note", "retrievers"]
