"""Manifest write cost as the library grows: ms per recorded document, first vs last thousand.

    .venv/bin/python benchmarks/manifest_writes.py [--docs 25000]

One `Manifest.record` per document (one path each), as ingestion does after every file; the ratio of the
last thousand's mean to the first thousand's (same run) shows whether a write grows with the library.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rag.manifest import IndexConfig, Manifest, NewDocument  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=25_000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        m = Manifest(Path(tmp) / "manifest.sqlite3")
        m.create_collection("docs-bench", IndexConfig("fake", "fake", 8, {"tokens": 200}), "active")
        ms = []
        for i in range(a.docs):
            doc = f"doc{i:07d}"
            t = time.perf_counter()
            m.record(
                "docs-bench", doc, [(f"/files/{doc}.txt", 10, 0.0)], NewDocument(doc, doc, "text", 1, 4, 10)
            )
            ms.append((time.perf_counter() - t) * 1000)
        m.close()
    first, last = sum(ms[:1000]) / 1000, sum(ms[-1000:]) / 1000
    print(
        f"{a.docs:,} documents: total {sum(ms) / 1000:.1f} s; ms per record first 1,000 {first:.2f}, "
        f"last 1,000 {last:.2f}, last/first {last / first:.2f}"
    )


if __name__ == "__main__":
    main()
