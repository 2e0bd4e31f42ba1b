"""Refusal calibration on a QA set: replay every threshold of the refusal score on one set of answers.

    .venv/bin/python benchmarks/refusal_calibration.py [DATASET_DIR] [--limit N] [--records OUT.jsonl]
        [--score answerability|evidence]

Asks every question once through `rag eval answers`' own code with the thresholds at 0 (the generator may
still decline), recording both refusal scores of each question: `evidence` (top cosine + 0.45 x rare-term
coverage, the score before answerability) and `answerability` (rag/answerability.py, P(answerable)). Then
replays thresholds: a question is refused at t if it was refused at 0 or its score is below t. Rows give the
refusal rate for both unanswerable constructions (held_out: questions about documents left out of the index;
in_domain: the answer's passages masked, the topic kept) and the false-refusal rate, for the whole set and the
two halves by question id (the halves `benchmarks/answerability_fit.py` fits on and validates on).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.eval import answers  # noqa: E402
from rag.answerability import FEATURES, Answerability, LibraryProfile  # noqa: E402
from rag.settings import load_settings  # noqa: E402


def construction(r: dict) -> str:
    return r.get("construction") or ("answerable" if r["answerable"] else "held_out")


def at(records: list[dict], t: float, key: str) -> dict:
    out = {"t": t}
    for c in ("answerable", "held_out", "in_domain"):
        rs = [r for r in records if construction(r) == c]
        out[c] = sum(r["refused"] or r.get(key, 0.0) < t for r in rs) / len(rs) if rs else None
    ok = [r for r in records if r["answerable"]]
    kept = [r for r in ok if not (r["refused"] or r.get(key, 0.0) < t)]
    out["containment"] = sum(r["contained"] for r in kept) / max(len(ok), 1)
    nums = [r for r in ok if "numeric" in r]  # FinanceBench-style: gold number printed on an evidence page
    out["numeric"] = sum(r["numeric"] for r in kept if "numeric" in r) / len(nums) if nums else None
    return out


def rescore(r: dict) -> float:
    """P(answerable) from the record's features with the coefficients now in rag/answerability.py (the records
    may have been taken before the fit)."""
    null = {k.split(".")[-1]: v for k, v in r.items() if k.startswith("answerability.null.")}
    a = Answerability(profile=LibraryProfile(null))
    return a.score({k: r.get(f"answerability.{k}", 0.0) for k in FEATURES})


def half(r: dict) -> int:
    return int(hashlib.sha1(r["id"].encode()).hexdigest(), 16) % 2


def record(dataset: Path, limit: int | None) -> list[dict]:
    settings = load_settings()
    update = {"refusal_threshold": 0.0}
    if "answerability_threshold" in type(settings).model_fields:
        update["answerability_threshold"] = 0.0
    s = settings.model_copy(update=update)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    return answers.ask_all(s, answers.load(dataset), "extractive", limit, s.eval_cache, log)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", nargs="?", default=str(ROOT.parent / "shared" / "eval" / "xquad_en"))
    ap.add_argument("--limit", type=int)
    ap.add_argument("--records", help="write (or, if it exists, reuse) the per-question records")
    ap.add_argument("--score", default="answerability", choices=["answerability", "evidence"])
    a = ap.parse_args()
    path = Path(a.records) if a.records else None
    if path and path.exists():
        records = [json.loads(x) for x in path.read_text().splitlines()]
    else:
        records = record(Path(a.dataset), a.limit)
        if path:
            path.write_text("".join(json.dumps(r) + "\n" for r in records))
    for r in records:
        r["answerability"] = rescore(r)
    n = {c: sum(construction(r) == c for r in records) for c in ("answerable", "held_out", "in_domain")}
    print(f"{Path(a.dataset).name}: score {a.score}; {n}")
    f = lambda v: "    -" if v is None else f"{v:.3f}"  # noqa: E731
    print(
        f"{'t':>6} | refusal held_out in_domain | false | contain | numeric | half A: held in_dom false | "
        "half B: held in_dom false"
    )
    grid = (
        [round(0.05 * i, 2) for i in range(1, 20)]
        if a.score == "answerability"
        else [round(0.3 + 0.025 * i, 4) for i in range(17)]
    )
    for t in grid:
        w = at(records, t, a.score)
        ha, hb = (at([r for r in records if half(r) == h], t, a.score) for h in (0, 1))
        print(
            f"{t:>6} | {f(w['held_out']):>16} {f(w['in_domain']):>9} | {f(w['answerable'])} |"
            f" {w['containment']:.3f}   |"
            f" {f(w['numeric']):>7} |"
            f" {f(ha['held_out'])} {f(ha['in_domain'])} {f(ha['answerable'])} |"
            f" {f(hb['held_out'])} {f(hb['in_domain'])} {f(hb['answerable'])}"
        )


if __name__ == "__main__":
    main()
