"""Load (issue 14): concurrent HTTP API clients on loopback while a large ingest writes to the same index on
a `chroma run` server; every request must succeed. p50/p95 are printed (figures in docs/reliability.md).

RAG_LOAD_CLIENTS (default 20), RAG_LOAD_SECONDS (default 10, sized for CI; the documented run is 60) and
RAG_LOAD_FILES (default 400) for the ingest.
The fake embedder keeps the figures about the service, the store and the locking, not the model.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CLIENTS = int(os.environ.get("RAG_LOAD_CLIENTS", "20"))
SECONDS = float(os.environ.get("RAG_LOAD_SECONDS", "10"))
FILES = int(os.environ.get("RAG_LOAD_FILES", "400"))  # the ingest running meanwhile
WORDS = (
    "harbour ledger survey coastal tide ferry granite quarry lantern orchard meadow canal bridge market "
    "weaver copper timber mill council archive festival choir museum garden railway"
).split()
QUESTIONS = [
    "When did the Zephyr turbine open?",
    "What does the harbour ledger record?",
    "Which council runs the museum garden?",
    "How long is the canal bridge?",
]


def _corpus(folder: Path, n: int, seed: int) -> Path:
    import random

    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        paras = [
            "\n".join(" ".join(rnd.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(6))
            for _ in range(4)
        ]
        (folder / f"doc-{seed}-{i:04d}.md").write_text(
            f"# Document {seed}-{i}\n\n" + "\n\n".join(paras) + "\n"
        )
    (folder / f"zephyr-{seed}.md").write_text(
        "# Zephyr\n\nThe Zephyr turbine opened in 2011 at the harbour.\n"
    )
    return folder


def _post(url: str, body: dict, timeout: float = 120) -> tuple[int, dict]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, {"error": e.read()[:200].decode(errors="replace")}


def test_concurrent_api_clients_during_a_large_ingest_on_a_chroma_server(tmp_path, chroma_server):
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(tmp_path / "data"),
        "RAG_EMBEDDER_RUNTIME": "fake",
        "RAG_CHROMA_HOST": "127.0.0.1",
        "RAG_CHROMA_PORT": str(chroma_server.port),
    }
    for k in ("RAG_API_KEYS", "RAG_API_ADMIN_KEYS"):
        env.pop(k, None)
    subprocess.run(
        [sys.executable, "-m", "app.cli", "ingest", str(_corpus(tmp_path / "first", 20, 1))],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    port = free_port()
    api = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    ingest = None
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/v1/status", timeout=5).read()
                break
            except OSError:
                assert api.poll() is None and time.monotonic() < deadline, "the API did not start"
                time.sleep(0.5)
        big = _corpus(tmp_path / "big", FILES, 2)
        ingest = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "ingest", str(big)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop = time.monotonic() + SECONDS

        def client(n: int) -> None:
            i = n
            while time.monotonic() < stop:
                q = QUESTIONS[i % len(QUESTIONS)]
                i += 1
                t0 = time.perf_counter()
                try:
                    code, body = _post(f"{base}/v1/ask", {"question": q})
                    ok = code == 200 and "answer" in body
                    problem = None if ok else f"{code}: {str(body)[:160]}"
                except Exception as e:  # a dropped connection counts as an error too
                    problem = f"{type(e).__name__}: {e}"
                with lock:
                    (errors.append(problem) if problem else latencies.append(time.perf_counter() - t0))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ingest_running = ingest.poll() is None
        _, err = ingest.communicate(timeout=900)
        assert ingest.returncode == 0, err
    finally:
        if ingest is not None and ingest.poll() is None:
            ingest.kill()
        api.terminate()
        try:
            api.wait(timeout=10)
        except subprocess.TimeoutExpired:
            api.kill()
    assert not errors, f"{len(errors)} errors, first: {errors[:3]}"
    assert latencies
    q = statistics.quantiles(latencies, n=20)
    print(
        f"\nload: {CLIENTS} clients x {SECONDS:g} s: {len(latencies)} answers, 0 errors, "
        f"p50 {statistics.median(latencies):.2f} s, p95 {q[18]:.2f} s; ingest still running at the end: "
        f"{ingest_running}"
    )
