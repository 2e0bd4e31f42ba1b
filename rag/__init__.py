"""docqa's library: settings, errors, the index, retrieval and answering. No UI imports here."""

import os

# Offline by default: any code path that tries a model hub fails fast instead of hanging.
for _k, _v in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    # idle OpenMP threads sleep instead of spinning: on 2 busy cores spinning made torch
    # encodes ~8x slower (measured); must be set before torch loads
    "OMP_WAIT_POLICY": "PASSIVE",
}.items():
    os.environ.setdefault(_k, _v)

from .errors import ConfigError, DocumentError, GeneratorError, IndexMismatchError, RagError  # noqa: E402
from .settings import Settings  # noqa: E402

__all__ = ["ConfigError", "DocumentError", "GeneratorError", "IndexMismatchError", "RagError", "Settings"]
