"""Who the HTTP API serves and how much: keys, admin operations, loopback names and origins, bind policy,
request and upload limits (FastAPI TestClient, no model)."""

from __future__ import annotations

import json

import pytest
from apikit import ADMIN, USER, assert_error, auth, make_client

from rag import errors


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
