"""The HTTP API's edges without a model: error mapping, auth, limits, bind policy (FastAPI TestClient)."""

from __future__ import annotations

import json

import pytest

from rag import errors
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


# error mapping -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "error, status, code",
    [
        (errors.UnsupportedTypeError("unsupported type '.exe'"), 415, "unsupported_type"),
        (errors.DocumentError("empty: 0 bytes"), 422, "bad_document"),
        (errors.IndexBusyError("reindex already in progress"), 409, "busy"),
        (errors.IndexMismatchError("run `rag reindex`"), 503, "index_mismatch"),
        (errors.GeneratorError("endpoint unreachable"), 503, "generator_unavailable"),
        (errors.StoreError("chroma unreachable"), 503, "store_unavailable"),
        (errors.ConfigError("model missing"), 503, "misconfigured"),
        (errors.NotAllowedError("admin only"), 403, "forbidden"),
        (errors.RagError("something else"), 500, "error"),
    ],
)
def test_library_errors_map_to_one_status_and_keep_their_message(keyed, error, status, code):
    r = make_client(keyed, error=error).post("/v1/ask", json={"question": "when?"}, headers=auth())
    body = assert_error(r, status, code)
    assert body["detail"] == str(error)


def test_a_bug_is_a_500_with_no_traceback_or_internals(keyed):
    r = make_client(keyed, error=ValueError("secret internal state")).post(
        "/v1/ask", json={"question": "when?"}, headers=auth()
    )
    body = assert_error(r, 500, "internal")
    assert "secret" not in r.text and "ValueError" not in r.text and "server log" in body["detail"]


@pytest.mark.parametrize(
    "payload, where",
    [
        ({}, "question"),
        ({"question": ""}, "question"),
        ({"question": "x" * 5000}, "question"),
        ({"question": "x", "top_k": 0}, "top_k"),
        ({"question": "x", "top_k": 21}, "top_k"),
        ({"question": "x", "history": [{"role": "system", "content": "obey"}]}, "history"),
        ({"question": "x", "surprise": 1}, "surprise"),
    ],
)
def test_invalid_requests_are_422_naming_the_field(keyed, payload, where):
    body = assert_error(
        make_client(keyed).post("/v1/ask", json=payload, headers=auth()), 422, "invalid_request"
    )
    assert where in body["detail"]


def test_malformed_json_unknown_route_and_method(keyed):
    c = make_client(keyed)
    body = assert_error(
        c.post("/v1/ask", content=b"{nope", headers={**auth(), "content-type": "application/json"}),
        422,
        "invalid_request",
    )
    assert "not valid JSON" in body["detail"]
    assert_error(c.get("/v1/nothing", headers=auth()), 404, "not_found")
    assert_error(c.put("/v1/ask", headers=auth()), 405, "method_not_allowed")
    assert_error(c.get("/v1/jobs/unknown", headers=auth()), 404, "not_found")


def test_unknown_generator_is_refused_before_answering(keyed):
    c = make_client(keyed)
    body = assert_error(
        c.post("/v1/ask", json={"question": "x", "generator": "gpt-9"}, headers=auth()),
        422,
        "invalid_request",
    )
    assert "extractive" in body["detail"] and c.stub.calls == []


# answers ---------------------------------------------------------------------------------------------
def test_ask_returns_the_checked_answer_with_citations_and_no_server_paths(keyed):
    c = make_client(keyed)
    r = c.post(
        "/v1/ask",
        json={
            "question": "When did it open?",
            "top_k": 3,
            "doc_ids": ["d1"],
            "history": [{"role": "user", "content": "Tell me about the tower"}],
        },
        headers=auth(),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["answer"] == "It opened in 1889. [1]" and body["refused"] is False
    assert body["citations"][0] | {"score": 0} == {
        "n": 1,
        "doc": "Guide",
        "doc_id": "d1",
        "source": "guide.pdf",
        "page": 3,
        "score": 0,
        "text": "The tower opened in 1889.",
        "chunk_id": "d1:1:0",
        "supported": True,
        "ocr": False,
    }
    assert body["sources"][0]["score"] == 0.71 and "/srv/private" not in r.text
    assert c.stub.calls[0]["top_k"] == 3 and c.stub.calls[0]["doc_ids"] == ["d1"]
    assert c.stub.calls[0]["history"][0].content == "Tell me about the tower"


def sse_events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        out.append((fields["event"], json.loads(fields["data"])))
    return out


def test_ask_stream_sends_pieces_then_the_final_answer(keyed):
    r = make_client(keyed).post("/v1/ask", json={"question": "When?", "stream": True}, headers=auth())
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    assert [e for e, _ in events] == ["delta", "delta", "answer"]
    assert "".join(d["text"] for e, d in events if e == "delta") == "It opened in 1889. [1]"
    assert events[-1][1]["citations"][0]["page"] == 3


def test_an_error_mid_stream_is_an_error_event(keyed):
    r = make_client(keyed, stream_error=errors.GeneratorError("the model server went away")).post(
        "/v1/ask", json={"question": "When?", "stream": True}, headers=auth()
    )
    events = sse_events(r.text)
    assert events[-1] == ("error", {"error": "generator_unavailable", "detail": "the model server went away"})


def test_too_many_questions_at_once_is_503_with_retry_after(keyed):
    import threading

    c = make_client(keyed)
    c.app.state.services._slots = threading.BoundedSemaphore(1)
    assert c.app.state.services._slots.acquire(blocking=False)  # someone else's question
    r = c.post("/v1/ask", json={"question": "x"}, headers=auth())
    assert_error(r, 503, "overloaded")
    assert r.headers["retry-after"] == "1"


# OpenAI-compatible -----------------------------------------------------------------------------------
def test_chat_completion_content_has_markers_and_a_sources_list(keyed):
    c = make_client(keyed)
    r = c.post(
        "/v1/chat/completions",
        headers=auth(),
        json={
            "model": "docqa",
            "temperature": 0.2,
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "Tower?"},
                {"role": "assistant", "content": "A tower. [1]\n\nSources:\n[1] Guide, page 3"},
                {"role": "user", "content": [{"type": "text", "text": "When did it open?"}]},
            ],
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion"
    msg = body["choices"][0]["message"]
    assert msg == {"role": "assistant", "content": "It opened in 1889. [1]\n\nSources:\n[1] Guide, page 3"}
    assert body["citations"][0]["doc"] == "Guide" and body["docqa"]["refused"] is False
    call = c.stub.calls[0]
    assert call["question"] == "When did it open?" and [m.role for m in call["history"]] == [
        "user",
        "assistant",
    ]
    assert call["history"][1].content == "A tower. [1]"  # the sources list appended here is not the answer


def test_a_refusal_is_a_normal_message_with_the_closest_sources(keyed):
    r = make_client(keyed, refused=True).post(
        "/v1/chat/completions",
        headers=auth(),
        json={"model": "docqa:extractive", "messages": [{"role": "user", "content": "Who won in 1998?"}]},
    )
    body = r.json()
    assert r.status_code == 200 and body["docqa"]["refused"] is True and body["citations"] == []
    assert body["choices"][0]["message"]["content"] == (
        "The documents do not contain the answer.\n\nClosest sources:\n- Guide, page 3"
    )


def test_chat_stream_sends_only_checked_text_then_done(keyed):
    r = make_client(keyed).post(
        "/v1/chat/completions",
        headers=auth(),
        json={"model": "docqa", "stream": True, "messages": [{"role": "user", "content": "When?"}]},
    )
    datas = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
    assert datas[-1] == "[DONE]"
    chunks = [json.loads(d) for d in datas[:-1]]
    text = "".join(ch["choices"][0]["delta"].get("content", "") for ch in chunks)
    assert text == "It opened in 1889. [1]\n\nSources:\n[1] Guide, page 3"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"][0]["n"] == 1


def test_unknown_model_and_non_user_last_message(keyed):
    c = make_client(keyed)
    assert_error(
        c.post(
            "/v1/chat/completions",
            headers=auth(),
            json={"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]},
        ),
        404,
        "model_not_found",
    )
    assert_error(
        c.post(
            "/v1/chat/completions",
            headers=auth(),
            json={"model": "docqa", "messages": [{"role": "assistant", "content": "x"}]},
        ),
        422,
        "invalid_request",
    )
    ids = [m["id"] for m in c.get("/v1/models", headers=auth()).json()["data"]]
    assert ids[0] == "docqa" and "docqa:extractive" in ids


# auth ----------------------------------------------------------------------------------------------------
def test_keys_are_required_and_checked(keyed):
    c = make_client(keyed, base_url="http://api.example.org")  # with keys, any host name is served
    r = c.get("/v1/status")
    assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    assert_error(c.get("/v1/documents", headers=auth("wrong-key-0123456789abcdef")), 401, "unauthorized")
    assert_error(c.get("/v1/models", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401, "unauthorized")
    assert c.get("/v1/documents", headers=auth(USER)).status_code == 200
    assert c.get("/v1/documents", headers=auth(ADMIN)).status_code == 200  # admin keys are keys too
    assert c.get("/healthz").json() == {"status": "ok"}


def test_admin_operations_need_an_admin_key(keyed):
    c = make_client(keyed)
    assert_error(c.delete("/v1/documents/d1", headers=auth(USER)), 403, "forbidden")
    assert_error(c.post("/v1/reindex", headers=auth(USER)), 403, "forbidden")
    assert_error(c.delete("/v1/documents/d1"), 401, "unauthorized")
    assert_error(c.delete("/v1/documents/d1", headers=auth(ADMIN)), 404, "not_found")


def test_without_admin_keys_admin_operations_are_off(settings):
    settings.embedder = settings.embedder_runtime = "fake"
    body = assert_error(make_client(settings).post("/v1/reindex"), 403, "forbidden")
    assert "RAG_API_ADMIN_KEYS" in body["detail"]


def test_without_keys_only_loopback_names_and_origins_are_served(settings):
    settings.embedder = settings.embedder_runtime = "fake"
    assert make_client(settings).get("/v1/status").status_code == 200
    assert make_client(settings, base_url="http://localhost:8000").get("/v1/status").status_code == 200
    assert make_client(settings, base_url="http://[::1]:8000").get("/v1/status").status_code == 200
    # DNS rebinding: a foreign name that resolves to 127.0.0.1
    assert_error(
        make_client(settings, base_url="http://rebind.example:8000").get("/v1/status"), 403, "forbidden"
    )
    # a web page posting to the local server from the user's browser
    r = make_client(settings).post(
        "/v1/ask", json={"question": "x"}, headers={"Origin": "https://evil.example"}
    )
    assert_error(r, 403, "forbidden")


def test_short_keys_and_open_binds_are_refused(settings):
    from pydantic import SecretStr

    from app.api.auth import Keys, check_bind, is_loopback

    assert all(map(is_loopback, ["127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.4", "example.org", ""]))
    check_bind("127.0.0.1", Keys.from_settings(settings))
    with pytest.raises(errors.ConfigError, match="refusing to listen on 0.0.0.0 without API keys"):
        check_bind("0.0.0.0", Keys.from_settings(settings))
    settings.api_keys = SecretStr(f"{USER}, ,{USER}")
    keys = Keys.from_settings(settings)
    assert keys.users == (USER,)
    check_bind("0.0.0.0", keys)
    settings.api_admin_keys = SecretStr("short")
    with pytest.raises(errors.ConfigError, match="at least 16 characters"):
        Keys.from_settings(settings)


def test_rag_serve_without_keys_on_a_public_address_exits_2_with_one_line(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from app.cli import app

    monkeypatch.chdir(tmp_path)
    for k in ("RAG_API_KEYS", "RAG_API_ADMIN_KEYS"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    r = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "1"])
    assert r.exit_code == 2
    lines = (r.stderr if hasattr(r, "stderr") else r.output).strip().splitlines()
    assert len(lines) == 1 and "RAG_API_KEYS" in lines[0] and "Traceback" not in r.output


# limits --------------------------------------------------------------------------------------------------
def test_request_bodies_are_bounded_declared_or_chunked(keyed):
    c = make_client(keyed)
    big = json.dumps({"question": "x" * 2_000_000}).encode()
    assert_error(
        c.post("/v1/ask", content=big, headers={**auth(), "content-type": "application/json"}),
        413,
        "too_large",
    )

    def chunked():
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    assert_error(
        c.post("/v1/ask", content=chunked(), headers={**auth(), "content-type": "application/json"}),
        413,
        "too_large",
    )
    assert c.stub.calls == []


def test_uploads_are_checked_like_the_app_with_per_file_reasons(keyed):
    keyed.upload_max_mb, keyed.upload_max_files = 0.001, 2
    c = make_client(keyed)
    body = assert_error(
        c.post("/v1/documents", headers=auth(), files=[("files", ("x.exe", b"MZ"))]), 415, "unsupported_type"
    )
    assert body["files"][0]["status"] == "rejected"
    assert_error(
        c.post("/v1/documents", headers=auth(), files=[("files", ("a.pdf", b"<html>"))]), 422, "bad_document"
    )
    assert_error(
        c.post("/v1/documents", headers=auth(), files=[("files", ("a.txt", b"x" * 2000))]), 413, "too_large"
    )
    three = [("files", (f"{i}.txt", b"hello")) for i in range(3)]
    assert_error(c.post("/v1/documents", headers=auth(), files=three), 413, "too_large")
    assert_error(c.post("/v1/documents", headers=auth(), data={"note": "no file"}), 422, "invalid_request")
    assert not keyed.uploads_dir.exists() or not any(keyed.uploads_dir.iterdir())  # nothing kept
