"""Calibrating `refusal_threshold` (top-1 raw cosine of the retrieved chunks) on a QA set.

    .venv/bin/python benchmarks/refusal_calibration.py [DATASET_DIR] [--limit N] [--records OUT.jsonl]

Asks every question once through `rag eval answers`' own code with the threshold at 0 (the extractive
generator may still decline), records the evidence score of each, then replays thresholds: a question
is refused at threshold t if it was refused at 0 or its evidence is below t. Questions are split in
two halves by id so the chosen threshold can be checked on questions it was not picked on.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.eval import DEFAULT_CACHE, answers  # noqa: E402
from rag import Settings  # noqa: E402


def at(records: list[dict], t: float) -> dict:
    ok = [r for r in records if r["answerable"]]
    no = [r for r in records if not r["answerable"]]
    kept = [r for r in ok if not r["refused"] and r["evidence"] >= t]
    cites = sum(r["citations"] for r in kept)
    return {"t": t, "refusal": sum(r["refused"] or r["evidence"] < t for r in no) / max(len(no), 1),
            "false_refusal": 1 - len(kept) / max(len(ok), 1),
            "containment": sum(r["contained"] for r in kept) / max(len(ok), 1),
            "citation_precision": sum(r["good_citations"] for r in kept) / cites if cites else None}


def half(r: dict) -> int:
    return int(hashlib.sha1(r["id"].encode()).hexdigest(), 16) % 2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", nargs="?", default=str(ROOT.parent / "shared" / "eval" / "xquad_en"))
    ap.add_argument("--limit", type=int)
    ap.add_argument("--records", help="write (or, if it exists, reuse) the per-question records")
    a = ap.parse_args()
    path = Path(a.records) if a.records else None
    if path and path.exists():
        records = [json.loads(x) for x in path.read_text().splitlines()]
    else:
        s = Settings().model_copy(update={"refusal_threshold": 0.0})
        log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
        records = answers.ask_all(s, answers.load(Path(a.dataset)), "extractive", a.limit, DEFAULT_CACHE, log)
        if path:
            path.write_text("".join(json.dumps(r) + "\n" for r in records))
    print(f"{'t':>6} | {'refusal':>8} {'false':>6} {'contain':>8} {'cite_p':>7} | half A: refusal false | half B: refusal false")
    for i in range(0, 33):
        t = round(0.3 + 0.0125 * i, 4)
        allr = at(records, t)
        ha, hb = (at([r for r in records if half(r) == h], t) for h in (0, 1))
        cp = f"{allr['citation_precision']:.3f}" if allr["citation_precision"] is not None else "-"
        print(f"{t:>6} | {allr['refusal']:>8.3f} {allr['false_refusal']:>6.3f} {allr['containment']:>8.3f} {cp:>7} | "
              f"{ha['refusal']:>14.3f} {ha['false_refusal']:>5.3f} | {hb['refusal']:>14.3f} {hb['false_refusal']:>5.3f}")


if __name__ == "__main__":
    main()
