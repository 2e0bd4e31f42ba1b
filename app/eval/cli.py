"""`rag eval ...` commands: retrieval quality on BEIR folders, answer quality on QA sets."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from rag.errors import RagError
from rag.settings import load_settings

from . import answers as a
from . import retrieval as r

app = typer.Typer(help="Measure retrieval and answer quality.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)  # one line per message, whatever the width
out = Console()
_CACHE = typer.Option(
    None,
    "--cache",
    help="Where evaluation indexes are kept between runs (default: RAG_EVAL_CACHE, ~/.cache/docqa-eval).",
)


def _log(quiet: bool):
    return (lambda msg: None) if quiet else (lambda msg: err.print(f"[dim]{msg}[/dim]", highlight=False))


def _fail(e: RagError) -> None:
    err.print(f"[red]error:[/red] {e}", highlight=False)
    raise typer.Exit(e.exit_code)


def _cell(v) -> str:
    return "" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def _table(title: str, rows: list[dict], columns: list[str]) -> Table:
    t = Table(title=title)
    for c in columns:
        t.add_column(c, justify="left" if c == columns[0] else "right")
    for row in rows:
        t.add_row(*(_cell(row.get(c)) for c in columns))
    return t


@app.command()
def retrieval(
    dataset_dir: Path = typer.Argument(
        ..., help="BEIR-layout folder: corpus.jsonl, queries.jsonl, qrels/test.tsv."
    ),
    methods: Optional[str] = typer.Option(
        None,
        help="Comma-separated: bm25,dense,hybrid,"
        "hybrid+rerank (default: the first three, plus the app's "
        "own method).",
    ),
    k: int = typer.Option(10, "--k", help="Cut-off for nDCG, Recall and MRR (Recall@100 always)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    cache: Optional[Path] = _CACHE,
) -> None:
    """Index a BEIR dataset with the real ingestion path (cached) and score every retrieval method."""
    try:
        settings = load_settings()
        names = [m.strip() for m in (methods or "").split(",") if m.strip()] or r.default_methods(settings)
        for m in names:  # fail on a typo before minutes of indexing
            r.check_method(settings, m)
        prep = r.prepare(dataset_dir, settings, cache or settings.eval_cache, _log(as_json))
        result = r.run(prep, names, k, _log(as_json))
    except RagError as e:
        _fail(e)
    if as_json:
        print(json.dumps(result))
        return
    cols = ["method", f"ndcg@{k}", f"recall@{k}", "recall@100", f"mrr@{k}", "p50_ms"]
    rows = [
        {"method": m + (" (default)" if m == result["default"] else ""), **v}
        for m, v in result["methods"].items()
    ]
    depth = r.depth(prep.index.settings)
    out.print(
        _table(
            f"{result['dataset']}: {result['queries']} queries, {depth} chunks per query collapsed "
            "to documents",
            rows,
            cols,
        )
    )


@app.command()
def answers(
    dataset_dir: Path = typer.Argument(..., help="A QA set in the xquad_en or financebench layout."),
    generator: Optional[str] = typer.Option(None, "--generator", "-g", help="extractive, local or openai."),
    limit: Optional[int] = typer.Option(
        None, "--limit", help="Ask at most N answerable (and N unanswerable) questions."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    cache: Optional[Path] = _CACHE,
) -> None:
    """Ask a QA set's questions end to end and score answers, citations, pages, refusals and latency."""
    try:
        settings = load_settings()
        cache = cache or settings.eval_cache
        result = a.evaluate(dataset_dir, settings, generator, limit, cache, _log(as_json))
    except RagError as e:
        _fail(e)
    if as_json:
        print(json.dumps(result))
        return
    # refusal_rate: questions about documents left out of the index; refusal_in_domain: the answer's passages
    # masked, the topic kept (app/eval/answers.py); numeric: the gold number stated (FinanceBench-style sets)
    cols = [
        "containment",
        "f1",
        "citation_precision",
        "page_hit@5",
        "numeric",
        "refusal_rate",
        "refusal_in_domain",
        "false_refusal_rate",
        "p50_s",
    ]
    out.print(_table(f"{result['dataset']}: {result['questions']} questions", [result], cols))
    if result.get("questions", 0) == 0:
        sys.exit(1)
