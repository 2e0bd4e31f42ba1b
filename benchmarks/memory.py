"""Resident memory (RSS) of the answering service: after load, and after N questions.

    .venv/bin/python benchmarks/memory.py [--docs DIR] [--queries 200] [--runtimes torch,onnx] [--json OUT]

Indexes DIR (default: ../shared/eval/xquad_en/docs, 48 Markdown articles) once per embedder runtime
into a throwaway data dir, then measures each runtime in a fresh child process, so imports and model
weights are counted from zero: `baseline` (python + rag imported), `loaded` (AnswerService built and
one question answered: embedder, Chroma and BM25 in memory), `after N` (N more extractive answers),
and the peak (VmHWM). Ratios are against torch in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DOCS = ROOT.parent / "shared" / "eval" / "xquad_en" / "docs"


def rss_mb() -> dict:
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, val = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = round(int(val.split()[0]) / 1024, 1)
    return fields


def child(data_dir: str, runtime: str, n: int, questions: list[str]) -> None:
    from rag import Settings

    out = {"baseline": rss_mb()["VmRSS"]}
    from rag.service import AnswerService

    s = Settings(data_dir=Path(data_dir), embedder_runtime=runtime, generator="extractive", chroma_host=None)
    service = AnswerService(s)
    service.ask(questions[0])
    out["loaded"] = rss_mb()["VmRSS"]
    t = time.perf_counter()
    for i in range(n):
        service.ask(questions[i % len(questions)] + ("" if i < len(questions) else f" ({i})"))
    out["seconds"] = round(time.perf_counter() - t, 1)
    m = rss_mb()
    out["after"], out["peak"] = m["VmRSS"], m["VmHWM"]
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", default=str(DEFAULT_DOCS))
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--runtimes", default="torch,onnx")
    ap.add_argument("--json")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    qa = Path(a.docs).parent / "qa.jsonl"
    questions = (
        [json.loads(x)["question"] for x in qa.read_text().splitlines()[:300]]
        if qa.is_file()
        else ["What is this document about?", "Who wrote it?", "When did it happen?"]
    )
    if a.child:
        return child(a.child[0], a.child[1], a.queries, questions)

    from ingest import Ingestor
    from rag import Settings
    from rag.index import Index

    tmp = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, no GPU",
        "date": time.strftime("%Y-%m-%d"),
        "docs": a.docs,
        "queries": a.queries,
        "runtimes": {},
    }
    try:
        for runtime in a.runtimes.split(","):
            data = tmp / runtime
            s = Settings(data_dir=data, embedder_runtime=runtime, chroma_host=None)
            report = Ingestor(Index(s)).ingest([Path(a.docs)])
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--queries",
                    str(a.queries),
                    "--docs",
                    a.docs,
                    "--child",
                    str(data),
                    runtime,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            r["chunks"] = report.summary()["chunks"]
            result["runtimes"][runtime] = r
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"{'runtime':<9}{'baseline MB':>13}{'loaded MB':>11}"
        f"{f'after {a.queries} MB':>15}{'peak MB':>9}{'x torch':>9}"
    )
    torch = result["runtimes"].get("torch")
    for rt, r in result["runtimes"].items():
        ratio = f"{r['after'] / torch['after']:.2f}" if torch else "-"
        print(f"{rt:<9}{r['baseline']:>13}{r['loaded']:>11}{r['after']:>15}{r['peak']:>9}{ratio:>9}")
    print(f"{result['machine']}; {result['docs']} ({r['chunks']} chunks); extractive generator")
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
