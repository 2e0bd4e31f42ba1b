"""`rag serve` for real: a uvicorn server in its own process on a free loopback port, driven by the
`openai` client, raw SSE and multipart uploads, with the fake embedder (fast) and the extractive generator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
USER, ADMIN = "user-key-0123456789abcdef", "admin-key-0123456789abcdef"
EIFFEL = (
    "# Eiffel Tower\n\nThe Eiffel Tower is a wrought-iron lattice tower in Paris. It opened in 1889 "
    "for the World Fair.\n\nIt is 330 metres tall and was designed by the company of Gustave Eiffel.\n"
)
NILE = (
    "# The Nile\n\nThe Nile is a major river in northeastern Africa. It flows north into the "
    "Mediterranean Sea.\n\nThe Aswan High Dam on the Nile was completed in 1970.\n"
)
REFUSAL = "The documents do not contain the answer."


@dataclass
class Api:
    url: str
    proc: subprocess.Popen
    log: Path

    def client(self, key: str | None = USER) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, timeout=60, headers={"Authorization": f"Bearer {key}"} if key else {}
        )


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """`rag serve` as a user starts it, configured through the environment."""
    home = tmp_path_factory.mktemp("api")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RAG_DATA_DIR": str(home / "data"),
        "RAG_EMBEDDER": "fake",
        "RAG_EMBEDDER_RUNTIME": "fake",
        "RAG_GENERATOR": "extractive",
        "RAG_API_KEYS": USER,
        "RAG_API_ADMIN_KEYS": ADMIN,
        "RAG_UPLOAD_MAX_MB": "0.05",
        "RAG_UPLOAD_MAX_FILES": "3",
    }
    log = home / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Api(f"http://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"rag serve did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.3)
    yield server
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def wait_job(c: httpx.Client, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = c.get(f"/v1/jobs/{job_id}").json()
        if job["state"] != "running" or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


@pytest.fixture(scope="module")
def library(api) -> dict:
    """The Eiffel document, uploaded and indexed; returns its document record."""
    with api.client() as c:
        r = c.post("/v1/documents", params={"wait": 60}, files=[("files", ("eiffel.md", EIFFEL.encode()))])
        assert r.status_code == 200, r.text
        assert r.json()["files"][0]["status"] == "indexed"
        return next(d for d in c.get("/v1/documents").json()["documents"] if d["title"] == "Eiffel Tower")


def openai_client(api, key: str = USER):
    from openai import OpenAI

    return OpenAI(base_url=f"{api.url}/v1", api_key=key, max_retries=0, timeout=60)


# OpenAI-compatible ---------------------------------------------------------------------------------------
def test_openai_client_gets_a_cited_answer_with_a_sources_list(api, library):
    client = openai_client(api)
    assert "docqa" in [m.id for m in client.models.list()]
    done = client.chat.completions.create(
        model="docqa", messages=[{"role": "user", "content": "When did the Eiffel Tower open?"}]
    )
    content = done.choices[0].message.content
    assert "1889" in content and "[1]" in content
    assert content.endswith("Sources:\n[1] Eiffel Tower")
    cites = done.model_extra["citations"]
    assert cites[0]["n"] == 1 and cites[0]["doc"] == "Eiffel Tower" and cites[0]["source"] == "eiffel.md"
    assert "1889" in cites[0]["text"] and done.model_extra["docqa"]["refused"] is False


def test_openai_client_streaming_gives_the_same_checked_content(api, library):
    client = openai_client(api)
    messages = [{"role": "user", "content": "When did the Eiffel Tower open?"}]
    whole = client.chat.completions.create(model="docqa", messages=messages).choices[0].message.content
    chunks = list(client.chat.completions.create(model="docqa:extractive", messages=messages, stream=True))
    streamed = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert streamed == whole
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].model_extra["citations"][0]["n"] == 1


def test_openai_client_gets_a_refusal_as_a_normal_message(api, library):
    done = openai_client(api).chat.completions.create(
        model="docqa",
        messages=[{"role": "user", "content": "Who painted the ceiling of the Sistine Chapel?"}],
    )
    assert done.choices[0].message.content.startswith(REFUSAL)
    assert done.choices[0].finish_reason == "stop" and done.model_extra["docqa"]["refused"] is True


def test_openai_client_with_a_wrong_key_is_refused(api):
    import openai

    with pytest.raises(openai.AuthenticationError):
        openai_client(api, "wrong-key-0123456789abcdef").models.list()


# /v1/ask -------------------------------------------------------------------------------------------------
def read_sse(response: httpx.Response) -> list[tuple[str, dict]]:
    events, fields = [], {}
    for line in response.iter_lines():
        if not line:
            if fields:
                events.append((fields.get("event", "message"), json.loads(fields["data"])))
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
    return events


def test_ask_streams_pieces_then_the_checked_answer(api, library):
    with (
        api.client() as c,
        c.stream("POST", "/v1/ask", json={"question": "How tall is the Eiffel Tower?", "stream": True}) as r,
    ):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = read_sse(r)
    kinds = [e for e, _ in events]
    assert kinds[-1] == "answer" and set(kinds[:-1]) == {"delta"} and len(kinds) >= 2
    final = events[-1][1]
    assert "330" in final["answer"] and not final["refused"]
    assert final["citations"][0]["doc_id"] == library["id"] and final["citations"][0]["page"] == 1
    assert "330" in "".join(d["text"] for e, d in events if e == "delta")


def test_ask_json_matches_the_cli_shape(api, library):
    with api.client() as c:
        body = c.post("/v1/ask", json={"question": "How tall is the Eiffel Tower?", "top_k": 2}).json()
    assert set(body) == {"answer", "refused", "citations", "sources", "notes", "timings"}
    assert "330" in body["answer"] and body["sources"] and body["timings"]["total_s"] > 0


# documents, jobs, admin --------------------------------------------------------------------------------
def test_upload_job_ask_delete(api, library):
    with api.client() as c, api.client(ADMIN) as admin:
        r = c.post("/v1/documents", params={"wait": 0}, files=[("files", ("nile.md", NILE.encode()))])
        assert r.status_code in (200, 202), r.text
        job = r.json()["job"]
        if r.status_code == 202:
            assert r.headers["location"] == f"/v1/jobs/{job['id']}"
            assert r.json()["files"] == [
                {
                    "name": "nile.md",
                    "status": "queued",
                    "detail": "",
                    "doc_id": "",
                    "title": "",
                    "pages": 0,
                    "chunks": 0,
                }
            ]
            job = wait_job(c, job["id"])
        assert job["state"] == "done", job
        [result] = job["files"]
        assert result["status"] == "indexed" and result["title"] == "The Nile"
        nile = result["doc_id"]
        assert nile in [d["id"] for d in c.get("/v1/documents").json()["documents"]]

        answer = c.post(
            "/v1/ask", json={"question": "When was the Aswan High Dam completed?", "doc_ids": [nile]}
        ).json()
        assert "1970" in answer["answer"] and {x["doc_id"] for x in answer["citations"]} == {nile}

        forbidden = c.delete(f"/v1/documents/{nile}")
        assert forbidden.status_code == 403 and forbidden.json()["error"] == "forbidden"
        removed = admin.delete(f"/v1/documents/{nile}")
        assert removed.status_code == 200 and removed.json() == {"id": nile, "title": "The Nile"}
        assert nile not in [d["id"] for d in c.get("/v1/documents").json()["documents"]]
        assert admin.delete(f"/v1/documents/{nile}").status_code == 404
        after = c.post("/v1/ask", json={"question": "When was the Aswan High Dam completed?"}).json()
        assert all(x["doc_id"] != nile for x in after["citations"] + after["sources"])


def test_reindex_is_admin_only_and_runs_as_a_job(api, library):
    with api.client() as c, api.client(ADMIN) as admin:
        assert c.post("/v1/reindex").status_code == 403
        r = admin.post("/v1/reindex")
        assert r.status_code == 202, r.text
        job = wait_job(c, r.json()["id"])
        assert job["state"] == "done" and job["kind"] == "reindex", job
        assert (
            "1889" in c.post("/v1/ask", json={"question": "When did the Eiffel Tower open?"}).json()["answer"]
        )


def test_auth_failures(api):
    with api.client(key=None) as anon, api.client("wrong-key-0123456789abcdef") as wrong:
        assert anon.get("/healthz").json() == {"status": "ok"}
        for r in (
            anon.get("/v1/status"),
            wrong.get("/v1/status"),
            anon.post("/v1/ask", json={"question": "x"}),
            wrong.post("/v1/chat/completions", json={"model": "docqa", "messages": []}),
        ):
            assert r.status_code == 401 and r.json()["error"] == "unauthorized"
            assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "files, status, error",
    [
        ([("tool.exe", b"MZ\x90\x00")], 415, "unsupported_type"),
        ([("report.pdf", b"<html>not a pdf</html>")], 422, "bad_document"),
        ([("empty.md", b"")], 422, "bad_document"),
        ([("big.txt", b"word " * 20_000)], 413, "too_large"),  # 100 kB > RAG_UPLOAD_MAX_MB=0.05
        ([(f"{i}.txt", b"hello") for i in range(4)], 413, "too_large"),  # > RAG_UPLOAD_MAX_FILES=3
    ],
)
def test_bad_uploads_are_refused_with_a_reason(api, files, status, error):
    with api.client() as c:
        r = c.post("/v1/documents", files=[("files", f) for f in files])
    assert r.status_code == status, r.text
    assert r.json()["error"] == error and r.json()["detail"]


def test_one_bad_file_does_not_stop_the_others(api, library):
    with api.client() as c:
        r = c.post(
            "/v1/documents",
            params={"wait": 60},
            files=[("files", ("tool.exe", b"MZ")), ("files", ("eiffel.md", EIFFEL.encode()))],
        )
    assert r.status_code == 200, r.text
    assert [(f["name"], f["status"]) for f in r.json()["files"]] == [
        ("tool.exe", "rejected"),
        ("eiffel.md", "unchanged"),
    ]


def test_status_and_openapi_docs(api, library):
    with api.client() as c:
        status = c.get("/v1/status").json()
        assert (
            status["documents"] >= 1 and status["embedder"] == "fake" and "extractive" in status["generators"]
        )
        spec = c.get("/openapi.json").json()
        assert {"/v1/ask", "/v1/chat/completions", "/v1/documents", "/v1/jobs/{job_id}"} <= set(spec["paths"])
        docs = c.get("/docs")
        assert docs.status_code == 200 and "swagger-ui" in docs.text and "cdn." not in docs.text
        assert c.get(docs.text.split('<script src="')[1].split('"')[0]).status_code == 200  # served locally
