"""Issue 14 item 12: what an OpenAI-compatible endpoint's failures tell a chat user (loopback servers)."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag.errors import GeneratorError
from rag.generators.openai_api import OpenAIGenerator
from rag.types import user


@pytest.fixture
def server():
    """Answers a chat completion with `server.mode`: "500", or "cut" (one streamed token, then the
    connection drops)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.server.mode == "500":
                body = b'{"error": {"message": "stub", "type": "stub", "code": null}}'
                self.send_response(500)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            event = (
                b'data: {"id":"1","object":"chat.completion.chunk","created":0,"model":"m",'
                b'"choices":[{"index":0,"delta":{"content":"The answer "},"finish_reason":null}]}\n\n'
            )
            self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)  # cut mid-answer, no terminating chunk

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_credentials_in_the_base_url_never_reach_the_message(server):
    server.mode = "500"
    gen = OpenAIGenerator(f"http://alice:hunter2@127.0.0.1:{server.server_port}/v1", model="m", max_retries=0)
    with pytest.raises(GeneratorError) as e:
        list(gen.chat([user("Hi")]))
    assert "hunter2" not in str(e.value) and "alice" not in str(e.value)
    assert f"http://127.0.0.1:{server.server_port}/v1" in str(e.value)


def test_a_stream_cut_mid_answer_is_not_called_a_connection_failure(server):
    server.mode = "cut"
    gen = OpenAIGenerator(f"http://127.0.0.1:{server.server_port}/v1", model="m", max_retries=0)
    got = []
    with pytest.raises(GeneratorError) as e:
        for piece in gen.chat([user("Hi")]):
            got.append(piece)
    assert got == ["The answer "]
    assert "cannot connect" not in str(e.value) and "broke off" in str(e.value)


def test_a_timeout_after_retries_says_how_many_attempts():
    with socket.socket() as s:  # accepts connections (backlog) but never answers
        s.bind(("127.0.0.1", 0))
        s.listen()
        gen = OpenAIGenerator(
            f"http://127.0.0.1:{s.getsockname()[1]}/v1", model="m", timeout=0.2, max_retries=1
        )
        with pytest.raises(GeneratorError, match="within 0.2 s on any of 2 attempts"):
            list(gen.chat([user("Hi")]))
