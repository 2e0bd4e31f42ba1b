"""Ingestion throughput on the FinanceBench slice, in one run, into a throwaway data dir.

    .venv/bin/python benchmarks/ingest.py [--pdfs DIR] [--files N] [--limit-pages N] [--json OUT]

Measures, on the same files and the same machine:
  (a) parse pages/s: the Parser alone (worker process, pypdf), no chunking or embedding;
  (b) end to end: `Ingestor.ingest` into a fresh Chroma index, chunks/s and pages/s;
  (c) the raw embedder: `embed_documents` replayed on exactly the texts (b) embedded, in the same
      calls (so the same batching), with no parsing, chunking or storage around it;
  (d) an unchanged re-ingest with a fresh `Index` (as a new `rag ingest` process would have).
The model is loaded and warmed up before (b) and (c) are timed, so neither pays for it.
Wall-clock figures move with whatever else the machine runs, so the table also gives CPU seconds
(this process and the parse worker): their ratio is the pipeline's efficiency independent of load.
`--parse-workers 1,2` repeats (a) and (b) with each further pool size (RAG_PARSE_WORKERS) into a fresh
data dir, after (c) and (d), and reports each against the same raw-embedder figure (c).
`--files` / `--limit-pages` take a quick slice: the first N files (smallest first), each cut to its
first N pages (cut copies are written unencrypted to the temp dir).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from ingest import Ingestor  # noqa: E402
from ingest.parsing import Parser  # noqa: E402
from rag import Settings  # noqa: E402
from rag.embedders import create_embedder  # noqa: E402
from rag.index import Index  # noqa: E402

DEFAULT_PDFS = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "financebench" / "pdfs"


class RecordingEmbedder:
    """Passes everything through to the real embedder and keeps the document batches it was given."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self.calls: list[list[str]] = []
        self.seconds = 0.0

    def embed_documents(self, texts):
        self.calls.append(list(texts))
        t = time.perf_counter()
        try:
            return self._inner.embed_documents(texts)
        finally:
            self.seconds += time.perf_counter() - t

    def __getattr__(self, name):
        return getattr(self._inner, name)


class Timings:
    """Wall time the pipeline's main thread spends in each stage (wrapped around the real calls)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, owner, attr: str, label: str) -> None:
        real = getattr(owner, attr)

        def timed(*a, **kw):
            t = time.perf_counter()
            try:
                return real(*a, **kw)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t

        setattr(owner, attr, timed)


def cpu_seconds() -> float:
    """CPU time of this process (all threads) plus its finished children (the parse worker)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def prepare(src: Path, dst: Path, files: int | None, limit_pages: int | None) -> list[Path]:
    pdfs = sorted(src.glob("*.pdf"), key=lambda p: (p.stat().st_size, p.name))
    if files:
        pdfs = pdfs[:files]
    dst.mkdir(parents=True)
    out = []
    for p in pdfs:
        target = dst / p.name
        if limit_pages:
            from pypdf import PdfReader, PdfWriter

            reader = PdfReader(p)
            if reader.is_encrypted:
                reader.decrypt("")
            writer = PdfWriter()
            for page in reader.pages[:limit_pages]:
                writer.add_page(page)
            with open(target, "wb") as f:
                writer.write(f)
        else:
            shutil.copy2(p, target)
        out.append(target)
    return out


def parse_only(files: list[Path], settings: Settings) -> tuple[int, float]:
    t = time.perf_counter()
    pages = 0
    with Parser(settings.parse_timeout_s, settings.max_pages, workers=settings.parse_workers) as parser:
        futures = [parser.submit(p) for p in files]
        for f in futures:
            pages += len(parser.result(f).pages)
    return pages, time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS)
    ap.add_argument("--files", type=int, default=None, help="only the N smallest files")
    ap.add_argument("--limit-pages", type=int, default=None, help="cut each file to its first N pages")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (prints its path)")
    ap.add_argument("--parse-workers", default="1", help="comma-separated pool sizes; the first is (b)")
    args = ap.parse_args()
    if not args.pdfs.is_dir():
        print(f"no PDFs at {args.pdfs}", file=sys.stderr)
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    try:
        files = prepare(args.pdfs, tmp / "docs", args.files, args.limit_pages)
        pools = [int(w) for w in args.parse_workers.split(",")]
        settings = Settings(data_dir=tmp / "data", _env_file=None, parse_workers=pools[0])
        r: dict = {
            "files": len(files),
            "batch_size": settings.embed_batch_size,
            "chunk_tokens": settings.chunk_tokens,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        }

        r["load_before"] = os.getloadavg()[0]
        pages, secs = parse_only(files, settings)
        r.update(parse_pages=pages, parse_s=secs, parse_pages_per_s=pages / secs)
        print(f"(a) parsed {pages} pages in {secs:.1f} s", file=sys.stderr, flush=True)

        t = time.perf_counter()
        raw = create_embedder(settings)
        raw.embed_documents(["warm up the model"] * 4)
        r["model_load_s"] = time.perf_counter() - t

        rec = RecordingEmbedder(raw)
        index = Index(settings, embedder=rec)
        import ingest.pipeline as pipeline
        from rag.store.chroma import ChromaStore

        timings = Timings()
        timings.wrap(pipeline.Parser, "result", "waiting for the parser")
        timings.wrap(ChromaStore, "upsert", "Chroma upsert")
        timings.wrap(pipeline, "chunk_text", "chunking")
        t, cpu = time.perf_counter(), cpu_seconds()
        report = Ingestor(index).ingest([tmp / "docs"])
        e2e, e2e_cpu = time.perf_counter() - t, cpu_seconds() - cpu
        s = report.summary()
        if s["failed"]:
            print(f"failures: {s['failed']}", file=sys.stderr)
        r.update(
            e2e_s=e2e,
            chunks=s["chunks"],
            pages=s["pages"],
            e2e_chunks_per_s=s["chunks"] / e2e,
            e2e_pages_per_s=s["pages"] / e2e,
            e2e_embed_s=rec.seconds,
        )
        r["stages"] = {"embed_documents": rec.seconds, **timings.seconds}
        r["stages"]["other"] = e2e - sum(r["stages"].values())
        print(
            f"(b) ingested {s['pages']} pages, {s['chunks']} chunks in {e2e:.1f} s "
            f"(of which embed_documents {rec.seconds:.1f} s)",
            file=sys.stderr,
            flush=True,
        )

        t, cpu = time.perf_counter(), cpu_seconds()
        for batch in rec.calls:
            raw.embed_documents(batch)
        raw_s, raw_cpu = time.perf_counter() - t, cpu_seconds() - cpu
        n = sum(len(b) for b in rec.calls)
        r.update(raw_s=raw_s, raw_chunks=n, raw_chunks_per_s=n / raw_s)
        r["ratio"] = r["e2e_chunks_per_s"] / r["raw_chunks_per_s"]
        r.update(e2e_cpu_s=e2e_cpu, raw_cpu_s=raw_cpu, cpu_ratio=raw_cpu / e2e_cpu)
        print(f"(c) raw embedder: {n} texts in {raw_s:.1f} s", file=sys.stderr, flush=True)

        fresh = Index(settings)
        t = time.perf_counter()
        again = Ingestor(fresh).ingest([tmp / "docs"]).summary()
        r["unchanged_s"] = time.perf_counter() - t
        r["unchanged_ratio"] = r["unchanged_s"] / e2e
        r["unchanged_loaded_model"] = fresh._embedder is not None
        assert again["unchanged"] == len(files) - len(s["failed"]), again
        r["pools_first"] = pools[0]
        r["pools"] = {pools[0]: pool_row(r["parse_pages_per_s"], s, e2e, e2e_cpu, r)}
        for w in pools[1:]:
            sw = Settings(data_dir=tmp / f"data-w{w}", _env_file=None, parse_workers=w)
            pages_w, secs_w = parse_only(files, sw)
            recw = RecordingEmbedder(raw)
            t, cpu = time.perf_counter(), cpu_seconds()
            sum_w = Ingestor(Index(sw, embedder=recw)).ingest([tmp / "docs"]).summary()
            e2e_w, cpu_w = time.perf_counter() - t, cpu_seconds() - cpu
            r["pools"][w] = pool_row(pages_w / secs_w, sum_w, e2e_w, cpu_w, r)
            print(f"(b, {w} parse workers) {e2e_w:.1f} s", file=sys.stderr, flush=True)
        r["load_after"] = os.getloadavg()[0]
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(table(r))
    print("\nparse workers (same files, same run; ratio = (b) chunks/s over (c) raw embedder chunks/s):\n")
    print(
        "| parse workers | (a) parse only pages/s | (b) pages/s | (b) chunks/s | ratio (b)/(c) | CPU s (b) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for w, p in r["pools"].items():
        print(
            f"| {w} | {p['parse_pages_per_s']:.1f} | {p['pages_per_s']:.1f} | {p['chunks_per_s']:.1f} "
            f"| {p['ratio']:.2f} | {p['cpu_s']:.0f} |"
        )
    print("\nwhere (b) spent its wall time (main thread):\n")
    print("| stage | seconds | share |\n|---|---:|---:|")
    for k, v in r["stages"].items():
        print(f"| {k} | {v:.1f} | {v / r['e2e_s']:.0%} |")
    if args.json:
        args.json.write_text(json.dumps(r, indent=2))
    return 0


def pool_row(parse_pages_per_s: float, s: dict, e2e: float, cpu: float, r: dict) -> dict:
    return {
        "parse_pages_per_s": parse_pages_per_s,
        "pages_per_s": s["pages"] / e2e,
        "chunks_per_s": s["chunks"] / e2e,
        "ratio": s["chunks"] / e2e / r["raw_chunks_per_s"],
        "cpu_s": cpu,
        "chunks": s["chunks"],
    }


def table(r: dict) -> str:
    rows = [
        ("files / pages / chunks", f"{r['files']} / {r['pages']} / {r['chunks']}"),
        (
            f"(a) parse only (Parser, {r['pools_first']} worker(s))",
            f"{r['parse_pages_per_s']:.1f} pages/s ({r['parse_s']:.1f} s)",
        ),
        (
            "(b) end to end (Ingestor.ingest)",
            f"{r['e2e_chunks_per_s']:.1f} chunks/s, {r['e2e_pages_per_s']:.1f} pages/s ({r['e2e_s']:.1f} s)",
        ),
        (
            "(c) raw embedder, same texts and batches",
            f"{r['raw_chunks_per_s']:.1f} chunks/s ({r['raw_s']:.1f} s)",
        ),
        ("ratio (b)/(c) — target ≥ 0.90", f"{r['ratio']:.2f}"),
        (
            "CPU seconds (b) incl. parse worker / (c); ratio (c)/(b)",
            f"{r['e2e_cpu_s']:.0f} / {r['raw_cpu_s']:.0f}; {r['cpu_ratio']:.2f}",
        ),
        (
            "(d) unchanged re-ingest",
            f"{r['unchanged_s']:.2f} s (model loaded: {r['unchanged_loaded_model']})",
        ),
        ("(d)/(b) — target ≤ 0.01", f"{r['unchanged_ratio']:.4f}"),
        ("model load + warm-up (not in b or c)", f"{r['model_load_s']:.1f} s"),
        ("machine, batch size, chunk tokens", f"{r['machine']}, {r['batch_size']}, {r['chunk_tokens']}"),
        ("1-min load average before / after", f"{r['load_before']:.1f} / {r['load_after']:.1f}"),
    ]
    return "\n".join(["| measure | result |", "|---|---:|"] + [f"| {a} | {b} |" for a, b in rows])


if __name__ == "__main__":
    raise SystemExit(main())
