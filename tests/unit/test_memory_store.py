import pytest

from rag.store.memory import MemoryBackend
from tests.contracts.store import StoreContract


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def backend(self):
        return MemoryBackend()
