"""Ingestion: files -> chunks -> embeddings -> the vector store, incremental and atomic."""
from .pipeline import FileResult, IngestReport, Ingestor
from .reindex import reindex

__all__ = ["FileResult", "IngestReport", "Ingestor", "reindex"]
