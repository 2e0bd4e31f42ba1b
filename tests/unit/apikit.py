"""Helpers for the HTTP API's hermetic tests: a stub answering service, a TestClient over it, keys."""

from __future__ import annotations

import pytest

from rag.types import Answer, Chunk, Citation, Hit

USER, ADMIN = "user-key-0123456789abcdef", "admin-key-0123456789abcdef"
CHUNK = Chunk(
    id="d1:1:0",
    doc_id="d1",
    text="The tower opened in 1889. It is 330 metres tall.",
    source="/srv/private/guide.pdf",
    title="Guide",
    page=3,
    start=0,
    end=48,
    doc_type="pdf",
)


class StubAnswers:
    """Stands in for AnswerService: a fixed answer, or the error it was given (before or mid-stream)."""

    def __init__(
        self,
        index,
        error: Exception | None = None,
        stream_error: Exception | None = None,
        refused: bool = False,
    ) -> None:
        self.index, self.error, self.stream_error, self.refused = index, error, stream_error, refused
        self.calls: list[dict] = []

    def answer(self, question, history=(), generator=None, top_k=None, doc_ids=None):
        from rag.service import AnswerStream

        self.calls.append(
            {
                "question": question,
                "history": list(history),
                "generator": generator,
                "top_k": top_k,
                "doc_ids": doc_ids,
            }
        )
        if self.error:
            raise self.error
        hit = Hit(CHUNK, 0.9, dense=0.71)
        if self.refused:
            a = Answer(question, text="The documents do not contain the answer.", refused=True, sources=[hit])
            return AnswerStream(a, iter([a.text]), lambda text: None)
        a = Answer(
            question,
            text="It opened in 1889. [1]",
            sources=[hit],
            timings={"total_s": 0.01},
            citations=[Citation(1, CHUNK, "The tower opened in 1889.", 0.93)],
        )

        def pieces():
            yield "It opened "
            if self.stream_error:
                raise self.stream_error
            yield "in 1889. [1]"

        return AnswerStream(a, pieces(), lambda text: None)


def make_client(settings, base_url="http://127.0.0.1", **stub):
    from fastapi.testclient import TestClient

    from app.api import create_app
    from rag.index import Index

    answers = StubAnswers(Index(settings), **stub)
    client = TestClient(
        create_app(settings, answers=answers), base_url=base_url, raise_server_exceptions=False
    )
    client.stub = answers
    return client


@pytest.fixture
def keyed(settings):
    from pydantic import SecretStr

    settings.api_keys, settings.api_admin_keys = SecretStr(USER), SecretStr(ADMIN)
    settings.embedder = settings.embedder_runtime = "fake"
    return settings


def auth(key: str = USER) -> dict:
    return {"Authorization": f"Bearer {key}"}


def assert_error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code and body["detail"] and "Traceback" not in r.text
    return body
