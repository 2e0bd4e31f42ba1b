"""Evaluation: retrieval (BEIR layout) and answer quality (QA sets) as first-class commands."""

from pathlib import Path

DEFAULT_CACHE = Path("~/.cache/docqa-eval").expanduser()  # evaluation indexes kept between runs
