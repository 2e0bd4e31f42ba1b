"""Issue 16: the docker-compose topology on loopback. One `chroma run` server, two `rag serve` processes
sharing one data dir (manifest + BM25 files), and a CLI `rag ingest` as the separate writer: right after the
ingest, both API processes answer about the new document with a citation of it, one question at a time and
both at once (each process notices the manifest revision and rebuilds its BM25 from the server)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
KEY = "scale-key-0123456789abcdef"
TOWER = "# Eiffel Tower\n\nThe Eiffel Tower is a wrought-iron lattice tower in Paris. It opened in 1889.\n"
NILE = (
    "# The Nile\n\nThe Nile is a major river in northeastern Africa. The Aswan High Dam on the Nile was "
    "completed in 1970.\n"
)
ZEBRA = (
    "# Zebras\n\nZebras are African equines with black and white stripes. The Grevy's zebra was named "
    "after Jules Grevy in 1882.\n"
)


def _env(data_dir: Path, chroma_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RAG_DATA_DIR": str(data_dir),
        "RAG_EMBEDDER": "fake",
        "RAG_EMBEDDER_RUNTIME": "fake",
        "RAG_GENERATOR": "extractive",
        "RAG_API_KEYS": KEY,
        "RAG_CHROMA_HOST": "127.0.0.1",
        "RAG_CHROMA_PORT": str(chroma_port),
    }


def _ingest(env: dict[str, str], cwd: Path, folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "ingest", str(folder / name)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _start_api(env: dict[str, str], home: Path, n: int) -> tuple[str, subprocess.Popen, Path]:
    port, log = free_port(), home / f"api{n}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return f"http://127.0.0.1:{port}", proc, log


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"rag serve did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.3)


def _ask(url: str, question: str) -> dict:
    r = httpx.post(
        f"{url}/v1/ask", json={"question": question}, timeout=120, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert r.status_code == 200, r.text
    return r.json()


def _cited(answer: dict) -> set[str]:
    return {c["doc"] for c in answer["citations"]}


@pytest.fixture
def topology(tmp_path, chroma_server):
    home = tmp_path
    env = _env(home / "data", chroma_server.port)
    # the index exists before the API processes start, as in a deployment that is already serving
    _ingest(env, home, home / "docs", "tower.md", TOWER)
    apis = [_start_api(env, home, n) for n in (1, 2)]
    try:
        for url, proc, log in apis:
            _wait_healthy(url, proc, log)
        yield env, home, [url for url, _, _ in apis]
    finally:
        for _, proc, _ in apis:
            proc.terminate()
        for _, proc, _ in apis:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    for _, _, log in apis:
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def test_two_api_processes_answer_about_a_document_a_cli_ingest_just_added(topology):
    env, home, urls = topology
    for url in urls:  # both serve the existing index (and hold its BM25 in memory)
        assert _cited(_ask(url, "When did the Eiffel Tower open?")) == {"Eiffel Tower"}

    _ingest(env, home, home / "more", "nile.md", NILE)
    for url in urls:  # one after the other: the first rebuilds BM25 for the new revision, the second loads it
        a = _ask(url, "When was the Aswan High Dam completed?")
        assert not a["refused"] and "1970" in a["answer"] and _cited(a) == {"The Nile"}, a

    _ingest(env, home, home / "more", "zebra.md", ZEBRA)
    with ThreadPoolExecutor(len(urls)) as pool:  # both at once: both may rebuild the same revision
        answers = list(pool.map(lambda u: _ask(u, "When was the Grevy's zebra named?"), urls))
    for a in answers:
        assert not a["refused"] and "1882" in a["answer"] and _cited(a) == {"Zebras"}, a
