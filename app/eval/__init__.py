"""The evaluation harness: indexes BEIR folders and QA sets with the real ingestion path, then scores
retrieval (`rag eval retrieval`) and answers (`rag eval answers`). The metrics themselves are in rag.eval."""

from rag.settings import EVAL_CACHE

# callers' default only: the one cache location is Settings.eval_cache (RAG_EVAL_CACHE), which defaults to it
DEFAULT_CACHE = EVAL_CACHE
