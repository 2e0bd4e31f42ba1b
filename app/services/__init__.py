"""What the entry points (CLI, web app) compose from rag and ingest: the document library, background jobs,
admin helpers and PDF page previews."""
