"""Chroma passes the store contract embedded (PersistentClient) and as a `chroma run` server."""

import pytest

from rag import Settings
from rag.store.chroma import ChromaBackend
from tests.contracts.store import StoreContract


class TestChromaEmbedded(StoreContract):
    @pytest.fixture
    def backend(self, tmp_path):
        return ChromaBackend(Settings(data_dir=tmp_path, _env_file=None))


class TestChromaServer(StoreContract):
    @pytest.fixture
    def backend(self, chroma_server):
        b = ChromaBackend(
            Settings(
                data_dir=chroma_server.path,
                chroma_host="127.0.0.1",
                chroma_port=chroma_server.port,
                _env_file=None,
            )
        )
        for name in b.names():
            b.drop(name)
        return b


def test_unreachable_server_is_a_clear_store_error(tmp_path):
    from rag.errors import StoreError

    with pytest.raises(StoreError, match="cannot open the Chroma store at 127.0.0.1:9"):
        ChromaBackend(Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=9, _env_file=None))
