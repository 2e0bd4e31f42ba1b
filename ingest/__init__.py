"""Ingestion: files -> chunks -> embeddings -> the vector store, incremental and atomic."""

from .pipeline import FileResult, Ingestor, IngestReport
from .reindex import reindex

__all__ = ["FileResult", "IngestReport", "Ingestor", "reindex"]
