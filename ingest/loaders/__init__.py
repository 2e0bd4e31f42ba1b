from . import docx, html, pdf, text  # noqa: F401  (register built-in loaders)
from .base import LoadedDocument, Loader, loader_for, loaders, supported_suffixes

__all__ = ["LoadedDocument", "Loader", "loader_for", "loaders", "supported_suffixes"]
