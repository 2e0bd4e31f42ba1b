"""Every registered loader passes the loader contract, on a sample of its own format."""

import pytest

from ingest.loaders import loaders
from tests.contracts.loader import SAMPLES, LoaderContract


@pytest.fixture(params=loaders.names())
def name(request) -> str:
    if request.param not in SAMPLES:
        pytest.fail(f"loader {request.param!r} has no sample in tests/contracts/loader.py SAMPLES")
    return request.param


class TestEveryLoader(LoaderContract):
    @pytest.fixture
    def loader(self, name):
        return loaders.create(name)

    @pytest.fixture
    def suffix(self, name):
        return SAMPLES[name][0]

    @pytest.fixture
    def sample(self, name, suffix, tmp_path):
        path = tmp_path / f"zorblat{suffix}"
        SAMPLES[name][1](path)
        return path
