"""OpenAIGenerator against a real `llama_cpp.server` on 127.0.0.1, plus tiny stub servers for errors."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rag.errors import ConfigError, GeneratorError
from rag.generators.base import generators
from rag.generators.openai_api import OpenAIGenerator
from rag.settings import Settings
from rag.types import user
from tests.contracts.generator import ESSAY, QUESTION, GeneratorContract
from tests.integration.conftest import free_port

# Only the tests that start llama_cpp.server are marked llm/slow; the error mapping needs no model.

MODEL = Settings().models_dir / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


@dataclass
class LlamaServer:
    url: str
    log: Path


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory) -> LlamaServer:
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] not installed (make setup)")
    if not MODEL.is_file():
        pytest.skip(f"{MODEL} missing: run `rag setup models`")
    port, log = free_port(), tmp_path_factory.mktemp("llama_server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(MODEL),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
                "--n_threads",
                "2",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server not ready after 120 s:\n{log.read_text()[-2000:]}")
                time.sleep(0.25)
        yield LlamaServer(url, log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.llm
@pytest.mark.slow
class TestOpenAIGenerator(GeneratorContract):
    @pytest.fixture
    def generator(self, llama_server):
        return OpenAIGenerator(llama_server.url, model="local", timeout=60, max_retries=0)


@pytest.mark.llm
@pytest.mark.slow
def test_streams_in_several_pieces(llama_server):
    gen = OpenAIGenerator(llama_server.url, model="local", max_retries=0)
    assert len(list(gen.generate(*ESSAY, max_tokens=16))) > 1


@pytest.mark.llm
@pytest.mark.slow
def test_llama_server_ignores_an_unknown_model_name(llama_server):
    # llama_cpp.server falls back to its only model for any name; real OpenAI would answer 404.
    gen = OpenAIGenerator(llama_server.url, model="no-such-model", max_retries=0)
    assert "1923" in "".join(gen.generate(*QUESTION, max_tokens=32))


def test_wrong_port_is_a_connection_error():
    gen = OpenAIGenerator(f"http://127.0.0.1:{free_port()}/v1", model="local", timeout=5, max_retries=0)
    with pytest.raises(GeneratorError, match="cannot connect to http://127.0.0.1"):
        list(gen.chat([user("Hi")]))


def test_silent_server_is_a_timeout_error():
    with socket.socket() as s:  # accepts connections (backlog) but never answers
        s.bind(("127.0.0.1", 0))
        s.listen()
        gen = OpenAIGenerator(
            f"http://127.0.0.1:{s.getsockname()[1]}/v1", model="m", timeout=0.5, max_retries=0
        )
        with pytest.raises(GeneratorError, match="did not answer within 0.5 s"):
            list(gen.chat([user("Hi")]))


@pytest.fixture
def status_server():
    """An HTTP server on 127.0.0.1 that answers every request with `server.status` and an OpenAI error."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.dumps({"error": {"message": "stub", "type": "stub", "code": None}}).encode()
            self.send_response(self.server.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "status, message",
    [
        (401, "rejected the API key: check RAG_OPENAI_API_KEY"),
        (404, "404 for model 'm': check RAG_OPENAI_MODEL"),
        (429, "rate limiting"),
        (500, "failed: Error code: 500 - stub"),
    ],
)
def test_http_errors_become_one_line_generator_errors(status_server, status, message):
    status_server.status = status
    gen = OpenAIGenerator(f"http://127.0.0.1:{status_server.server_port}/v1", model="m", max_retries=0)
    with pytest.raises(GeneratorError, match=message):
        list(gen.chat([user("Hi")]))


def test_factory_reads_settings_and_needs_no_key_for_a_local_endpoint():
    gen = generators.create(
        "openai",
        Settings(
            _env_file=None, openai_base_url="http://127.0.0.1:1/v1", openai_model="m", openai_timeout_s=3
        ),
    )
    assert (gen.model, gen.timeout, str(gen._client.base_url)) == ("m", 3, "http://127.0.0.1:1/v1/")


def test_no_base_url_is_refused_even_with_the_openai_libraries_own_env(monkeypatch):
    # never a silent fallback to api.openai.com on OPENAI_API_KEY (issue 14, item 4)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-operator")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(ConfigError, match="RAG_OPENAI_BASE_URL"):
        generators.create("openai", Settings(_env_file=None, openai_base_url=None, openai_api_key=None))
