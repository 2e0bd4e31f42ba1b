"""Time to first token and decode speed of the local GGUF models on a RAG-shaped ~500-token prompt:
llama.cpp in process (OpenMP threads spinning by default, or OMP_WAIT_POLICY=PASSIVE) vs the managed
model server the `local` generator uses, and optionally the in-process runs under another interpreter
(e.g. a throwaway venv holding a -march=native build of llama-cpp-python).

    .venv/bin/python benchmarks/local_generator.py [NAME ...] [--repeat N] [--omp both|passive]
        [--native-python PATH]

Every runtime gets one unmeasured warm-up answer (page-in of the weights), then `--repeat` answers
whose prompts start with a different nonce, so no run reuses the previous run's KV cache; medians are
printed as a Markdown table for docs/benchmarks.md, with ratios against the first row of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.local_models import MODELS  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.types import Message, system, user  # noqa: E402

FACTS = [
    "The Zorblat footbridge opened in {y} after {n} years of construction.",
    "Its main span is {n}0 metres long and carries about {n}00 pedestrians a day.",
    "The town council of Velmora approved a repaint in {y}, choosing a dark green colour.",
    "Engineers inspect the cables every {n} months and replaced the deck boards in {y}.",
]
N_CTX = 2048


def rag_prompt(count, target_tokens: int, nonce: int) -> list[Message]:
    passages, i = [], 0
    while True:
        passages.append(f"[{i + 1}] " + FACTS[i % len(FACTS)].format(y=1900 + i, n=i % 9 + 1))
        msgs = [
            system(f"Run {nonce}. Answer using only the numbered context passages and cite them like [1]."),
            user(
                "Context:\n"
                + "\n".join(passages)
                + "\n\nQuestion: Describe the history of the Zorblat footbridge in detail."
            ),
        ]
        if count("\n".join(m.content for m in msgs)) >= target_tokens:
            return msgs
        i += 1


class InProcess:
    """llama_cpp.Llama in this interpreter (what the `local` generator did before the server)."""

    def __init__(self, path: Path, threads: int) -> None:
        from llama_cpp import Llama

        self.llm = Llama(
            model_path=str(path), n_ctx=N_CTX, n_threads=threads, n_threads_batch=threads, verbose=False
        )

    def count(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode(), add_bos=False, special=True)) if text else 0

    def stream(self, msgs: list[Message], max_tokens: int):
        for chunk in self.llm.create_chat_completion(
            messages=[{"role": m.role, "content": m.content} for m in msgs],
            max_tokens=max_tokens,
            temperature=0.0,
            stream=True,
        ):
            if text := chunk["choices"][0]["delta"].get("content"):
                yield text


class Server:
    """The `local` generator: a managed llama_cpp.server child, spoken to over loopback HTTP."""

    def __init__(self, path: Path, threads: int) -> None:
        from rag.generators.local import LocalGenerator

        self.gen = LocalGenerator(path, context_window=N_CTX, threads=threads)

    def count(self, text: str) -> int:
        return self.gen.count_tokens(text)

    def stream(self, msgs: list[Message], max_tokens: int):
        return self.gen.chat(msgs, max_tokens)


def measure(runtime, repeat: int, max_tokens: int, target_tokens: int, load: float) -> dict:
    runs = []
    for nonce in range(repeat):
        msgs = rag_prompt(runtime.count, target_tokens, nonce)
        start, first, pieces = time.perf_counter(), None, []
        for piece in runtime.stream(msgs, max_tokens):
            first = first or time.perf_counter()
            pieces.append(piece)
        end = time.perf_counter()
        out = runtime.count("".join(pieces))
        runs.append((first - start, (out - 1) / (end - first) if out > 1 else 0.0, out))
    return {
        "prompt": runtime.count("\n".join(m.content for m in msgs)),
        "load": load,
        "ttft": statistics.median(r[0] for r in runs),
        "tps": statistics.median(r[1] for r in runs),
        "out": statistics.median(r[2] for r in runs),
    }


def run(kind: str, path: Path, args) -> dict:
    t0 = time.perf_counter()
    runtime = InProcess(path, args.threads) if kind == "in-process" else Server(path, args.threads)
    "".join(runtime.stream([user("Say hello.")], 8))
    load = time.perf_counter() - t0
    return measure(runtime, args.repeat, args.max_tokens, args.prompt_tokens, load)


def run_elsewhere(python: str, name: str, args, omp: str | None) -> dict:
    """The in-process measurement in a child interpreter (maybe another llama_cpp build), with
    OMP_WAIT_POLICY set (or unset: libgomp's default, spinning a while between tokens)."""
    cmd = [
        python,
        __file__,
        name,
        "--json",
        "--threads",
        str(args.threads),
        "--repeat",
        str(args.repeat),
        "--max-tokens",
        str(args.max_tokens),
        "--prompt-tokens",
        str(args.prompt_tokens),
    ]
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if omp:
        env["OMP_WAIT_POLICY"] = omp
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def build_info() -> str:
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    parts = info.replace("|", ";").split(";")
    feats = [f.split(" = ")[0].strip() for f in parts if f.strip().endswith("= 1")]
    return f"llama-cpp-python {llama_cpp.__version__} at {Path(llama_cpp.__file__).parent}: {' '.join(feats)}"


def cpu_name() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main() -> None:
    settings = Settings()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=list(MODELS))
    ap.add_argument("--threads", type=int, default=settings.local_threads)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--prompt-tokens", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--native-python",
        metavar="PATH",
        help="also measure in process under this interpreter (a venv with another llama.cpp)",
    )
    ap.add_argument(
        "--omp",
        choices=["both", "passive"],
        default="both",
        help="in-process runs with libgomp's default (spinning) and/or OMP_WAIT_POLICY=PASSIVE",
    )
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one in-process run, as JSON
    args = ap.parse_args()
    if args.json:
        r = run("in-process", settings.models_dir / f"{args.names[0]}.gguf", args)
        print(json.dumps(r | {"build": build_info()}))
        return

    print(
        f"{cpu_name()}, {args.threads} threads, n_ctx {N_CTX}, temperature 0, median of {args.repeat}, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    print(f"this venv: {build_info()}")
    print(
        "\n| model | runtime | prompt tokens | ttft s | tok/s | ttft ratio | tok/s ratio | output tokens "
        "| load+warm-up s |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    native_build = None
    for name in args.names:
        path = settings.models_dir / f"{name}.gguf"
        if not path.is_file():
            print(f"| {name} | missing: run `python -m rag.local_models {name}` | | | | | | | |")
            continue
        # in-process runs go to child interpreters: libgomp reads OMP_WAIT_POLICY once, at load
        policies = (None, "PASSIVE") if args.omp == "both" else ("PASSIVE",)
        results = {
            f"in-process, OMP {(omp or 'default').lower()}": run_elsewhere(sys.executable, name, args, omp)
            for omp in policies
        }
        results["managed server (OMP passive)"] = run("server", path, args)
        if args.native_python:
            for omp in policies:
                r = results[f"native build in-process, OMP {(omp or 'default').lower()}"] = run_elsewhere(
                    args.native_python, name, args, omp
                )
                native_build = r.pop("build")
        base = next(iter(results.values()))
        for kind, r in results.items():
            print(
                f"| {name} | {kind} | {r['prompt']} | {r['ttft']:.2f} | {r['tps']:.1f} "
                f"| {r['ttft'] / base['ttft']:.2f} | {r['tps'] / base['tps']:.2f} | {r['out']:g} "
                f"| {r['load']:.1f} |",
                flush=True,
            )
    if native_build:
        print(f"\nnative: {native_build}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
