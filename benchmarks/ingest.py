"""Ingestion throughput on the FinanceBench slice, in one run, into a throwaway data dir.

    .venv/bin/python benchmarks/ingest.py [--pdfs DIR] [--files N] [--limit-pages N] [--json OUT]

Measures, on the same files and the same machine:
  (a) parse pages/s: the Parser alone (worker process, pypdf), no chunking or embedding;
  (b) end to end: `Ingestor.ingest` into a fresh Chroma index, chunks/s and pages/s;
  (c) the raw embedder: `embed_documents` replayed on exactly the texts (b) embedded, in the same
      calls (so the same batching), with no parsing, chunking or storage around it;
  (d) an unchanged re-ingest with a fresh `Index` (as a new `rag ingest` process would have).
The model is loaded and warmed up before (b) and (c) are timed, so neither pays for it.
`--files` / `--limit-pages` take a quick slice: the first N files (smallest first), each cut to its
first N pages (cut copies are written unencrypted to the temp dir).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
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
    with Parser(settings.parse_timeout_s, settings.max_pages) as parser:
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
    args = ap.parse_args()
    if not args.pdfs.is_dir():
        print(f"no PDFs at {args.pdfs}", file=sys.stderr)
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    try:
        files = prepare(args.pdfs, tmp / "docs", args.files, args.limit_pages)
        settings = Settings(data_dir=tmp / "data", _env_file=None)
        r: dict = {"files": len(files), "batch_size": settings.embed_batch_size,
                   "chunk_tokens": settings.chunk_tokens, "machine": f"{platform.machine()}, {os.cpu_count()} cores"}

        pages, secs = parse_only(files, settings)
        r.update(parse_pages=pages, parse_s=secs, parse_pages_per_s=pages / secs)
        print(f"(a) parsed {pages} pages in {secs:.1f} s", file=sys.stderr, flush=True)

        t = time.perf_counter()
        raw = create_embedder(settings)
        raw.embed_documents(["warm up the model"] * 4)
        r["model_load_s"] = time.perf_counter() - t

        rec = RecordingEmbedder(raw)
        index = Index(settings, embedder=rec)
        t = time.perf_counter()
        report = Ingestor(index).ingest([tmp / "docs"])
        e2e = time.perf_counter() - t
        s = report.summary()
        if s["failed"]:
            print(f"failures: {s['failed']}", file=sys.stderr)
        r.update(e2e_s=e2e, chunks=s["chunks"], pages=s["pages"], e2e_chunks_per_s=s["chunks"] / e2e,
                 e2e_pages_per_s=s["pages"] / e2e, e2e_embed_s=rec.seconds)
        print(f"(b) ingested {s['pages']} pages, {s['chunks']} chunks in {e2e:.1f} s "
              f"(of which embed_documents {rec.seconds:.1f} s)", file=sys.stderr, flush=True)

        t = time.perf_counter()
        for batch in rec.calls:
            raw.embed_documents(batch)
        raw_s = time.perf_counter() - t
        n = sum(len(b) for b in rec.calls)
        r.update(raw_s=raw_s, raw_chunks=n, raw_chunks_per_s=n / raw_s)
        r["ratio"] = r["e2e_chunks_per_s"] / r["raw_chunks_per_s"]
        print(f"(c) raw embedder: {n} texts in {raw_s:.1f} s", file=sys.stderr, flush=True)

        fresh = Index(settings)
        t = time.perf_counter()
        again = Ingestor(fresh).ingest([tmp / "docs"]).summary()
        r["unchanged_s"] = time.perf_counter() - t
        r["unchanged_ratio"] = r["unchanged_s"] / e2e
        r["unchanged_loaded_model"] = fresh._embedder is not None
        assert again["unchanged"] == len(files) - len(s["failed"]), again
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(table(r))
    if args.json:
        args.json.write_text(json.dumps(r, indent=2))
    return 0


def table(r: dict) -> str:
    rows = [
        ("files / pages / chunks", f"{r['files']} / {r['pages']} / {r['chunks']}"),
        ("(a) parse only (Parser, 1 worker)", f"{r['parse_pages_per_s']:.1f} pages/s ({r['parse_s']:.1f} s)"),
        ("(b) end to end (Ingestor.ingest)",
         f"{r['e2e_chunks_per_s']:.1f} chunks/s, {r['e2e_pages_per_s']:.1f} pages/s ({r['e2e_s']:.1f} s)"),
        ("(c) raw embedder, same texts and batches", f"{r['raw_chunks_per_s']:.1f} chunks/s ({r['raw_s']:.1f} s)"),
        ("ratio (b)/(c) — target ≥ 0.90", f"{r['ratio']:.2f}"),
        ("(d) unchanged re-ingest", f"{r['unchanged_s']:.2f} s (model loaded: {r['unchanged_loaded_model']})"),
        ("(d)/(b) — target ≤ 0.01", f"{r['unchanged_ratio']:.4f}"),
        ("model load + warm-up (not in b or c)", f"{r['model_load_s']:.1f} s"),
        ("machine, batch size, chunk tokens", f"{r['machine']}, {r['batch_size']}, {r['chunk_tokens']}"),
    ]
    return "\n".join(["| measure | result |", "|---|---:|"] + [f"| {a} | {b} |" for a, b in rows])


if __name__ == "__main__":
    raise SystemExit(main())
