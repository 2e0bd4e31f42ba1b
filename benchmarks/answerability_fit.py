"""Fit the answerability score (rag/answerability.py COEF) on per-question eval records, and validate it.

    .venv/bin/python benchmarks/answerability_fit.py --records /tmp/ans/xquad.jsonl,/tmp/ans/fb.jsonl \
        [--fit-on xquad_en,financebench] [--raw] [--l2 1.0] [--threshold 0.5]

Records come from `benchmarks/refusal_calibration.py DATASET --records OUT.jsonl` (every question asked once
with the refusal threshold at 0, so `refused` is the generator's own decline, with the answerability
features recorded). Labels: answerable questions 1; both unanswerable constructions (held_out, in_domain) 0.
Each set weighs the same in the fit, and inside a set positives and negatives weigh the same. Questions are
split in two halves by id hash (a question's answerable and in_domain copies stay together): the model is
fitted on half A and every figure below is on half B, the half it was not fitted on; with --fit-on one set
only, the other set is a transfer test (a library the fit never saw). --raw fits uncentred features (no
library profile), the ablation for the per-library normalisation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answerability import CENTRED, COEF, FEATURES  # noqa: E402

NAMES = list(FEATURES)


def half(rec: dict) -> int:
    return int(hashlib.sha1(rec["id"].encode()).hexdigest(), 16) % 2


def x_of(rec: dict, raw: bool) -> list[float]:
    out = []
    for k in NAMES:
        v = rec.get(f"answerability.{k}", 0.0)
        if k in CENTRED and not raw:
            v -= rec.get(f"answerability.null.{k}", 0.0)
        out.append(v)
    return out


def fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float, iters: int = 50) -> np.ndarray:
    """L2-regularised logistic regression by Newton steps (IRLS); the bias is not penalised."""
    A = np.hstack([np.ones((len(X), 1)), X])
    beta = np.zeros(A.shape[1])
    pen = np.full(A.shape[1], l2)
    pen[0] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(A @ beta, -40, 40)))
        g = A.T @ (w * (p - y)) + pen * beta
        H = (A * (w * p * (1 - p))[:, None]).T @ A + np.diag(pen)
        step = np.linalg.solve(H, g)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def prob(beta: np.ndarray, X: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(beta[0] + X @ beta[1:], -40, 40)))


def rates(recs: list[dict], refused: list[bool]) -> dict:
    out = {}
    for c in ("answerable", "held_out", "in_domain"):
        r = [
            f
            for rec, f in zip(recs, refused)
            if rec.get("construction", "held_out" if not rec["answerable"] else "answerable") == c
        ]
        out[c] = (sum(r) / len(r), len(r)) if r else (None, 0)
    return out


def fmt(rt: dict) -> str:
    f = lambda c: "   -  " if rt[c][0] is None else f"{rt[c][0]:.3f}"  # noqa: E731
    return f"refusal held_out {f('held_out')} in_domain {f('in_domain')} | false refusal {f('answerable')}"


def construction(rec: dict) -> str:
    return rec.get("construction") or ("answerable" if rec["answerable"] else "held_out")


def weights(recs: list[dict], y: np.ndarray, sets: list[str]) -> np.ndarray:
    """Each set weighs the same; inside a set the answerable questions weigh as much as the unanswerable ones,
    and the two unanswerable constructions weigh the same (held-out documents are the easy half)."""
    w = np.zeros(len(recs))
    for s in set(sets):
        negs = {construction(r) for r, si in zip(recs, sets) if si == s and not r["answerable"]}
        for group, share in [("answerable", 1.0)] + [(c, 1.0 / len(negs)) for c in negs]:
            idx = [i for i, r in enumerate(recs) if sets[i] == s and construction(r) == group]
            if idx:
                w[idx] = share / len(idx)
    return w * len(recs) / w.sum()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", required=True, help="comma-separated record files, one per set")
    ap.add_argument("--fit-on", help="comma-separated set names (file stems) to fit on (default: all)")
    ap.add_argument("--raw", action="store_true", help="no per-library centring")
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--all", action="store_true", help="fit on both halves (the final coefficients)")
    a = ap.parse_args()
    data = {}
    for p in a.records.split(","):
        data[Path(p).stem] = [json.loads(x) for x in Path(p).read_text().splitlines() if x.strip()]
    fit_sets = a.fit_on.split(",") if a.fit_on else list(data)
    train = [(s, r) for s in fit_sets for r in data[s] if a.all or half(r) == 0]
    X = np.array([x_of(r, a.raw) for _, r in train])
    y = np.array([1.0 if r["answerable"] else 0.0 for _, r in train])
    beta = fit(X, y, weights([r for _, r in train], y, [s for s, _ in train]), a.l2)
    coef = {"bias": round(float(beta[0]), 3), **{k: round(float(b), 3) for k, b in zip(NAMES, beta[1:])}}
    print(
        "fitted on",
        ",".join(fit_sets),
        "(both halves)" if a.all else "(half A)",
        "raw" if a.raw else "centred",
    )
    print("COEF =", json.dumps(coef))
    print("in code:", json.dumps(COEF))
    for s, recs in data.items():
        test = recs if (s not in fit_sets) else [r for r in recs if half(r) == 1]
        Xt = np.array([x_of(r, a.raw) for r in test])
        p = prob(beta, Xt)
        print(
            f"\n{s}: {'transfer (not fitted on)' if s not in fit_sets else 'half B (held out of the fit)'}, "
            f"{len(test)} records"
        )
        base = rates(test, [r["refused"] or r["evidence"] < 0.57 for r in test])
        print(f"  before (evidence < 0.57)   {fmt(base)}")
        for t in (0.3, 0.4, a.threshold, 0.6, 0.7) if a.threshold == 0.5 else (a.threshold,):
            rt = rates(test, [r["refused"] or pi < t for r, pi in zip(test, p)])
            print(f"  answerability < {t:.2f}     {fmt(rt)}")
        y_t = np.array([r["answerable"] for r in test], float)
        ll = -np.mean(y_t * np.log(np.clip(p, 1e-9, 1)) + (1 - y_t) * np.log(np.clip(1 - p, 1e-9, 1)))
        print(
            f"  log loss {ll:.3f}; reliability (mean p -> share answerable):",
            " ".join(
                f"{lo:.1f}-{lo + 0.2:.1f}: {np.mean(p[m]):.2f}->{np.mean(y_t[m]):.2f} (n={m.sum()})"
                for lo in (0.0, 0.2, 0.4, 0.6, 0.8)
                if (m := (p >= lo) & (p < lo + 0.2 + 1e-9 * (lo == 0.8))).any()
            ),
        )
    if not math.isfinite(float(np.abs(beta).sum())):
        sys.exit("fit diverged")


if __name__ == "__main__":
    main()
