"""The evaluation harness: indexes BEIR folders and QA sets with the real ingestion path, then scores
retrieval (`rag eval retrieval`) and answers (`rag eval answers`). The metrics themselves are in rag.eval."""

from pathlib import Path

DEFAULT_CACHE = Path("~/.cache/docqa-eval").expanduser()  # evaluation indexes kept between runs
