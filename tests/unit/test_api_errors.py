"""The HTTP API's edges without a model: error mapping and the answering endpoints (FastAPI TestClient);
access and limits are in test_api_access.py."""

from __future__ import annotations

import json

import pytest
from apikit import assert_error, auth, make_client

from rag import errors


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
