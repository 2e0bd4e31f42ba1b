from . import docx, html, pdf, sheets, text  # noqa: F401  (register built-in loaders)
from .base import LoadedDocument, Loader, ParseOptions, loader_for, loaders, supported_suffixes

__all__ = ["LoadedDocument", "Loader", "ParseOptions", "loader_for", "loaders", "supported_suffixes"]
