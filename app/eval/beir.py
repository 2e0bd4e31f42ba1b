"""BEIR-layout datasets: `corpus.jsonl`, `queries.jsonl`, `qrels/test.tsv` (any BEIR folder works).

Each corpus document becomes a small Markdown file (`# Title` then the text) so it goes through the
same loader, chunker, embedder and store as a user's files; the file name maps back to the BEIR id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ConfigError

from .cache import fingerprint


@dataclass
class BeirDataset:
    name: str
    corpus_path: Path
    queries: dict[str, str]  # judged queries only
    qrels: dict[str, dict[str, int]]

    @property
    def corpus_hash(self) -> str:
        return fingerprint([self.corpus_path])


def read_jsonl(path: Path, key: str | None = None) -> list[dict]:
    """The rows of a JSON-lines file (objects; with `key`, each must carry it); a malformed line is a
    one-line ConfigError naming it."""
    rows, n = [], 0
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    rows.append(json.loads(line))
                    if not isinstance(rows[-1], dict) or (key and key not in rows[-1]):
                        raise ValueError(f'not an object with an "{key}"' if key else "not an object")
    except ValueError as e:  # JSON and UTF-8 decoding errors are ValueErrors
        raise ConfigError(f"{path} line {n}: {str(e)[:120]}") from None
    return rows


def load(folder: Path, split: str = "test") -> BeirDataset:
    corpus, queries = folder / "corpus.jsonl", folder / "queries.jsonl"
    qrels_path = folder / "qrels" / f"{split}.tsv"
    missing = [p.name for p in (corpus, queries, qrels_path) if not p.is_file()]
    if missing:
        raise ConfigError(
            f"{folder} is not a BEIR-layout folder: missing {', '.join(missing)} "
            f"(expected corpus.jsonl, queries.jsonl, qrels/{split}.tsv)"
        )
    qrels: dict[str, dict[str, int]] = {}
    with open(qrels_path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or (i == 0 and not parts[2].strip().lstrip("-").isdigit()):
                continue  # header or blank line
            try:
                qrels.setdefault(parts[0].strip(), {})[parts[1].strip()] = int(float(parts[2]))
            except ValueError:
                raise ConfigError(
                    f"{qrels_path} line {i + 1}: the score {parts[2]!r} is not a number"
                ) from None
    texts = {str(q["_id"]): str(q.get("text") or "") for q in read_jsonl(queries, "_id")}
    judged = {q: texts[q] for q in qrels if q in texts}
    if not judged:
        raise ConfigError(f"no query in {queries} has a judgement in {qrels_path}")
    return BeirDataset(folder.resolve().name, corpus, judged, {q: qrels[q] for q in judged})


def _markdown(doc: dict) -> str:
    title = " ".join(str(doc.get("title") or "").split())
    text = str(doc.get("text") or "").strip()
    return f"# {title}\n\n{text}\n" if title else f"{text}\n"


def materialize(ds: BeirDataset, folder: Path) -> tuple[list[Path], dict[str, str]]:
    """Write each document as `<n>.md` under `folder`; files already there with
    the same bytes are left alone, so their mtimes (and the ingest cache) stay valid.
    Returns the files and a file-stem -> BEIR doc id map."""
    folder.mkdir(parents=True, exist_ok=True)
    paths, ids = [], {}
    for n, doc in enumerate(read_jsonl(ds.corpus_path, "_id")):
        did = str(doc["_id"])
        body = _markdown(doc)
        if not body.strip():
            continue  # nothing to index; it simply can't be retrieved
        path = folder / f"{n:07d}.md"
        data = body.encode("utf-8")
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        paths.append(path)
        ids[path.stem] = did
    return paths, ids
