"""OCR engines on pages rendered from known text: character accuracy and seconds per page, same run.

    .venv/bin/python benchmarks/ocr.py [--pages 6] [--dpi 200,300] [--engines tesseract,rapidocr] [--json OUT]

Pages are made here (never copied from a filing): the project's own guide (data/sample/guide.md) as
prose, plus a synthetic financial table per page, typeset with fpdf2 in Helvetica, rasterised by pdfium
(as the PDF loader does for a scanned page) and read back by each engine on one thread. Character
accuracy = 1 - Levenshtein(OCR, truth) / len(truth) after collapsing whitespace; "table rows kept"
counts table rows whose label and values come back in order on one line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest import ocr  # noqa: E402
from ingest.sample_pdf import latin1  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def make_pages(n: int, seed: int = 0) -> tuple[bytes, list[str], list[list[str]]]:
    """A PDF of n pages: ~250 words of the guide, then a 6-row table. Returns (pdf, page truths, rows)."""
    from fpdf import FPDF

    words = re.sub(r"[`*#|>\[\]()_]", " ", (ROOT / "data/sample/guide.md").read_text()).split()
    rnd = random.Random(seed)
    pdf = FPDF()
    truths, tables = [], []
    for p in range(n):
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        start = rnd.randrange(0, max(1, len(words) - 260))
        prose = latin1(" ".join(words[start : start + 250]))
        pdf.multi_cell(0, 6, prose)
        pdf.ln(4)
        rows = []
        pdf.set_font("Helvetica", size=10)
        head = ["(in millions)", "2023", "2022", "2021"]
        for j, h in enumerate(head):
            pdf.cell(90 if j == 0 else 30, 6, h, align="L" if j == 0 else "R")
        pdf.ln()
        for r in range(6):
            label = rnd.choice(
                [
                    "Net sales",
                    "Cost of sales",
                    "Gross profit",
                    "Operating income",
                    "Interest expense",
                    "Income tax expense",
                    "Net income",
                    "Capital expenditures",
                ]
            )
            vals = [f"{rnd.randint(10, 99999):,}" for _ in range(3)]
            pdf.cell(90, 6, label)
            for v in vals:
                pdf.cell(30, 6, v, align="R")
            pdf.ln()
            rows.append(" ".join([label] + vals))
        truths.append(prose + " " + " ".join(head) + " " + " ".join(rows))
        tables.append(rows)
    return bytes(pdf.output()), truths, tables


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def norm(s: str) -> str:
    return " ".join(s.split())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=6)
    ap.add_argument("--dpi", default="200,300")
    ap.add_argument("--engines", default="tesseract,rapidocr")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    import pypdfium2 as pdfium

    data, truths, tables = make_pages(a.pages)
    doc = pdfium.PdfDocument(data)
    results, load = [], os.getloadavg()[0]
    for dpi in (int(x) for x in a.dpi.split(",")):
        images = [ocr.render(doc[i], dpi) for i in range(len(doc))]
        for name in a.engines.split(","):
            engine = ocr.create(name, threads=1)
            engine.read(images[0])  # warm-up: model load is paid once per worker, not per page
            secs, acc, kept = [], [], 0
            for img, truth, rows in zip(images, truths, tables):
                t = time.perf_counter()
                text = engine.read(img)
                secs.append(time.perf_counter() - t)
                acc.append(1 - levenshtein(norm(text), norm(truth)) / len(norm(truth)))
                lines = [norm(x) for x in text.splitlines()]
                kept += sum(any(r in x for x in lines) for r in rows)
            row = {
                "engine": name,
                "dpi": dpi,
                "pages": len(images),
                "char_accuracy": round(sum(acc) / len(acc), 4),
                "min_page_accuracy": round(min(acc), 4),
                "s_per_page": round(sum(secs) / len(secs), 2),
                "table_rows_kept": f"{kept}/{sum(len(r) for r in tables)}",
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    print(f"1-min load average at start: {load:.2f}")
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
