"""Throughput and latency of POST /v1/ask (extractive) over loopback HTTP vs the same AnswerService called
in-process, at 1, 4 and 16 concurrent clients, in the same run.

    .venv/bin/python benchmarks/api.py [--requests N] [--clients 1,4,16] [--rounds 2]

The sample corpus (data/sample: the user guide as Markdown and PDF) is indexed with the real packaged
embedder into a temporary data dir by `rag ingest`; `rag serve` then runs in its own process on a free
loopback port, and this process opens the same index for the in-process baseline. Each level runs
`--rounds` times alternating which mode goes first (the machine is shared: load drifts), and pools
the latencies. HTTP clients are threads with one keep-alive httpx client each. Printed as a Markdown
table for docs/benchmarks.md, with the HTTP/in-process ratios.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

QUESTIONS = [
    "How do I add documents from the command line?",
    "Which generators can answer questions?",
    "What happens when I reindex?",
    "Which file types can I upload?",
    "How is the admin page unlocked?",
    "Does docqa send my documents anywhere?",
    "What does exit code 2 mean?",
    "How do I run a retrieval evaluation?",
    "Who won the 1998 football world cup?",  # unanswerable: the refusal path
    "What is the capital of Australia?",  # unanswerable
    "How large may an uploaded file be?",
    "Which embedding model is used?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run_level(call, clients: int, requests: int) -> tuple[float, list[float]]:
    """`requests` calls spread over `clients` threads; (wall seconds, per-call latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker(state):
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t0 = time.perf_counter()
            call(state, QUESTIONS[i % len(QUESTIONS)])
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)

    states = [{} for _ in range(clients)]
    threads = [threading.Thread(target=worker, args=(s,)) for s in states]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    for s in states:
        if "client" in s:
            s["client"].close()
    return wall, latencies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=96, help="requests per level and round")
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    levels = [int(c) for c in args.clients.split(",")]

    home = Path(tempfile.mkdtemp(prefix="docqa-api-bench-"))
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(home / "data"),
        "RAG_GENERATOR": "extractive",
        "PYTHONPATH": str(ROOT),
    }
    for k in ("RAG_API_KEYS", "RAG_API_ADMIN_KEYS", "RAG_CHROMA_HOST"):
        env.pop(k, None)
    cli = [sys.executable, "-m", "app.cli"]
    subprocess.run(
        [*cli, "ingest", str(ROOT / "data" / "sample"), "--json"],
        cwd=home,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )

    port = free_port()
    log = open(home / "server.log", "wb")
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port)], cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"rag serve did not start; see {home / 'server.log'}")
            time.sleep(0.3)

        from rag.service import AnswerService
        from rag.settings import Settings

        service = AnswerService(Settings(_env_file=None, data_dir=home / "data", generator="extractive"))

        def in_process(state, q):
            a = service.answer(q).collect()
            assert a.text

        def over_http(state, q):
            client = state.setdefault("client", httpx.Client(base_url=url, timeout=120))
            r = client.post("/v1/ask", json={"question": q})
            r.raise_for_status()
            assert r.json()["answer"]

        in_process({}, QUESTIONS[0])  # open the store on one thread first (lazy opening races)
        modes = {"in-process": in_process, "HTTP": over_http}
        for call in modes.values():  # warm-up: models loaded, connections and caches primed
            run_level(call, 2, 2 * len(QUESTIONS))

        load_before = os.getloadavg()
        results: dict[tuple[str, int], tuple[float, list[float]]] = {}
        for c in levels:
            for rnd in range(args.rounds):
                order = list(modes) if rnd % 2 == 0 else list(modes)[::-1]
                for name in order:
                    wall, lat = run_level(modes[name], c, max(args.requests, 4 * c))
                    w0, l0 = results.get((name, c), (0.0, []))
                    results[(name, c)] = (w0 + wall, l0 + lat)
        load_after = os.getloadavg()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    print(
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (2 cores); "
        f"{args.rounds} rounds x {args.requests} requests per level\n"
    )
    print(
        "| clients | in-process req/s | HTTP req/s | HTTP/in-process | in-process p50 / p95 ms "
        "| HTTP p50 / p95 ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for c in levels:
        (wi, li), (wh, lh) = results[("in-process", c)], results[("HTTP", c)]
        ri, rh = len(li) / wi, len(lh) / wh
        print(
            f"| {c} | {ri:.1f} | {rh:.1f} | {rh / ri:.2f} | {1000 * statistics.median(li):.0f} / "
            f"{1000 * pct(li, 0.95):.0f} | {1000 * statistics.median(lh):.0f} / {1000 * pct(lh, 0.95):.0f} |"
        )


if __name__ == "__main__":
    main()
