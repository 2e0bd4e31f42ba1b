"""PDF text extraction: the loader (pdfium, pypdf fallback) against pypdf alone, same files, same run.

    .venv/bin/python benchmarks/pdf_parse.py [DIR ...] [--json OUT] [--show N] [--ocr]

DIR defaults to the FinanceBench slice; folders are searched recursively. For every PDF three paths run
in this process, alternating, so machine load hits them alike: `pdf` as shipped (tables rebuilt as
labelled rows), `pdf, no tables` (RAG_PDF_TABLES=false), and `pypdf`, the same loader with pdfium
switched off (what the loader did before pdfium). OCR is off unless --ocr (the target is parse speed
without OCR; `benchmarks/ocr.py` measures OCR). Reports CPU and wall
pages/s, outcomes that differ, and pages whose visible (non-whitespace) character count differs by
more than 10 % and 20 characters, with how many pages the loader read with pypdf and why.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.loaders import ParseOptions, pdf  # noqa: E402
from rag.errors import DocumentError  # noqa: E402

DEFAULT_PDFS = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "financebench" / "pdfs"
MAX_PAGES = 2000


class Probe:
    """Counts the loader's fallbacks: whole documents pdfium could not give, pages it lost text on."""

    def __init__(self) -> None:
        self.docs = self.pages = 0
        self.pdfium_off = False
        real_pages, real_lost = pdf._pdfium_pages, pdf._lost_text

        def pages(path, n, *rest):
            out = None if self.pdfium_off else real_pages(path, n, *rest)
            self.docs += out is None and not self.pdfium_off
            return out

        def lost(text, objects):
            hit = real_lost(text, objects)
            self.pages += hit
            return hit

        pdf._pdfium_pages, pdf._lost_text = pages, lost


def run(loader: pdf.PdfLoader, path: Path) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        doc = loader.load(path, MAX_PAGES)
        out = {
            "pages": [sum(not c.isspace() for c in p) for p in doc.pages],
            "title": doc.title,
            "tables": sum(p.count("Table: ") for p in doc.pages),
            "table_pages": sum("Table: " in p for p in doc.pages),
            "ocr_pages": sorted(doc.ocr_pages),
        }
    except DocumentError as e:
        out = {"error": str(e)}
    return {**out, "cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="*", type=Path, default=[DEFAULT_PDFS])
    ap.add_argument("--json", type=Path, help="write per-file results here")
    ap.add_argument("--show", type=int, default=20, help="list at most this many differing pages")
    ap.add_argument("--ocr", action="store_true", help="OCR scanned pages (off by default)")
    a = ap.parse_args()
    files = [f for d in a.dirs for f in sorted(d.rglob("*.pdf"))]
    loader, probe = pdf.PdfLoader(), Probe()
    plain = pdf.PdfLoader()
    loader.options = ParseOptions(tables=True, ocr=a.ocr)
    plain.options = ParseOptions(tables=False, ocr=a.ocr)
    import pypdf  # noqa: F401  (imports paid before timing)
    import pypdfium2  # noqa: F401

    rows, load_before = [], os.getloadavg()
    for f in files:
        probe.pdfium_off = False
        docs, pages = probe.docs, probe.pages
        new = run(loader, f)
        new_fallback = {"docs": probe.docs - docs, "pages": probe.pages - pages}
        notab = run(plain, f)
        probe.pdfium_off = True
        old = run(plain, f)
        rows.append({"file": str(f), "new": new, "notab": notab, "old": old, "fallback": new_fallback})
    load_after = os.getloadavg()

    total = {k: {"pages": 0, "cpu": 0.0, "wall": 0.0} for k in ("new", "notab", "old")}
    outcome_diff, page_diff, files_diff = [], [], set()
    for r in rows:
        both_ok = "pages" in r["new"] and "pages" in r["old"]
        if r["new"].get("error") != r["old"].get("error") or (
            both_ok and len(r["new"]["pages"]) != len(r["old"]["pages"])
        ):
            outcome_diff.append(r)
        for k in total:
            total[k]["pages"] += len(r[k].get("pages", []))
            total[k]["cpu"] += r[k]["cpu"]
            total[k]["wall"] += r[k]["wall"]
        if both_ok and "pages" in r["notab"]:  # text differences pdfium vs pypdf, tables aside
            for i, (x, y) in enumerate(zip(r["notab"]["pages"], r["old"]["pages"])):
                if abs(x - y) > max(20, 0.1 * max(x, y)):
                    page_diff.append((r["file"], i, x, y))
                    files_diff.add(r["file"])

    print(f"{len(files)} PDFs; 1-min load average before / after: {load_before[0]:.2f} / {load_after[0]:.2f}")
    for k, label in (
        ("new", "pdf loader (pdfium + tables)"),
        ("notab", "pdf loader, no tables"),
        ("old", "pypdf only"),
    ):
        t = total[k]
        print(
            f"  {label:<32} {t['pages']:6d} pages"
            f"  CPU {t['cpu']:7.1f} s ({t['pages'] / max(t['cpu'], 1e-9):6.1f} pages/s)"
            f"  wall {t['wall']:7.1f} s ({t['pages'] / max(t['wall'], 1e-9):6.1f} pages/s)"
        )
    print(
        f"  tables / no tables CPU time: {total['new']['cpu'] / max(total['notab']['cpu'], 1e-9):.2f}x; "
        f"table blocks: {sum(r['new'].get('tables', 0) for r in rows)} on "
        f"{sum(r['new'].get('table_pages', 0) for r in rows)} pages"
    )
    fb_docs = sum(r["fallback"]["docs"] for r in rows)
    fb_pages = sum(r["fallback"]["pages"] for r in rows)
    print(
        f"  fallback to pypdf: {fb_docs} whole document(s) (pdfium could not open / other page count), "
        f"{fb_pages} page(s) flagged as possible text loss"
    )
    print(f"  outcomes that differ: {len(outcome_diff)}")
    for r in outcome_diff:
        print(
            f"    {r['file']}: new {r['new'].get('error') or len(r['new']['pages'])} | "
            f"old {r['old'].get('error') or len(r['old']['pages'])}"
        )
    print(
        f"  pages whose visible characters differ by > 10 % and > 20: {len(page_diff)}"
        f" in {len(files_diff)} file(s)"
    )
    for f, i, x, y in page_diff[: a.show]:
        print(f"    {f} page {i}: new {x} old {y}")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
