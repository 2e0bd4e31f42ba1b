"""Time to first token and decode speed of the local GGUF models on a RAG-shaped ~500-token prompt.

    .venv/bin/python benchmarks/local_generator.py [NAME ...] [--threads N] [--max-tokens N]

Prints a Markdown table for docs/benchmarks.md. Each model gets one unmeasured warm-up generation
on an unrelated prompt first, so page-in of the weights is not counted as prompt processing.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.generators.local import LocalGenerator  # noqa: E402
from rag.local_models import MODELS  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.types import system, user  # noqa: E402

FACTS = [
    "The Zorblat footbridge opened in {y} after {n} years of construction.",
    "Its main span is {n}0 metres long and carries about {n}00 pedestrians a day.",
    "The town council of Velmora approved a repaint in {y}, choosing a dark green colour.",
    "Engineers inspect the cables every {n} months and replaced the deck boards in {y}.",
]


def rag_prompt(gen: LocalGenerator, target_tokens: int) -> list:
    passages, i = [], 0
    while True:
        passages.append(f"[{i + 1}] " + FACTS[i % len(FACTS)].format(y=1900 + i, n=i % 9 + 1))
        msgs = [system("Answer using only the numbered context passages and cite them like [1]."),
                user("Context:\n" + "\n".join(passages)
                     + "\n\nQuestion: Describe the history of the Zorblat footbridge in detail.")]
        if gen.count_tokens("\n".join(m.content for m in msgs)) >= target_tokens:
            return msgs
        i += 1


def measure(path: Path, threads: int, max_tokens: int, target_tokens: int) -> dict:
    t0 = time.perf_counter()
    gen = LocalGenerator(path, context_window=2048, threads=threads)
    "".join(gen.chat([user("Say hello.")], max_tokens=8))
    load = time.perf_counter() - t0
    msgs = rag_prompt(gen, target_tokens)
    start, first, pieces = time.perf_counter(), None, []
    for piece in gen.chat(msgs, max_tokens=max_tokens):
        first = first or time.perf_counter()
        pieces.append(piece)
    end = time.perf_counter()
    out_tokens = gen.count_tokens("".join(pieces))
    return {"name": path.stem, "prompt": gen.count_tokens("\n".join(m.content for m in msgs)),
            "load": load, "ttft": first - start, "out": out_tokens,
            "tps": (out_tokens - 1) / (end - first) if out_tokens > 1 else 0.0}


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
    args = ap.parse_args()
    import llama_cpp

    print(f"{cpu_name()}, {args.threads} threads, "
          f"llama-cpp-python {llama_cpp.__version__}, n_ctx 2048, temperature 0\n")
    print("| model | prompt tokens | ttft s | tok/s | output tokens | load+warm-up s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in args.names:
        path = settings.models_dir / f"{name}.gguf"
        if not path.is_file():
            print(f"| {name} | missing: run `python -m rag.local_models {name}` | | | | |")
            continue
        r = measure(path, args.threads, args.max_tokens, args.prompt_tokens)
        print(f"| {r['name']} | {r['prompt']} | {r['ttft']:.2f} | {r['tps']:.1f} | {r['out']} "
              f"| {r['load']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
