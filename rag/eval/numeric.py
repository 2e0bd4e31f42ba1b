"""Numeric-answer metric for FinanceBench-style sets: does the answer state the gold number?

Numbers are compared by value after normalisation: `2,018` = `2018` = `$2,018 million` = `2018.00`; `16.5%` =
`16.5 percent` = `16.5`; accounting negatives `(1,234)` and `-1,234` and `−1,234` all read 1234, because prose
carries the sign in words ("a decline of 42%") as often as in a minus. Years (a bare 1900-2099) and numbers
glued to letters (FY2022, Q2, 10-K's 10 is kept: it is not glued) are not answers and are skipped.
"""

from __future__ import annotations

import re
from typing import Iterable

_NUM = re.compile(
    r"(?<![\w.])\(?[-\u2212]?[$€£]?\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\)?\s?(%|percent\b)?(?![\w])"
)


def numbers(text: str) -> set[float]:
    """Absolute values of the numbers in a text (years and codes like FY2022 left out)."""
    out = set()
    for m in _NUM.finditer(text):
        whole, frac, pct = m.group(1), m.group(2) or "", m.group(3)
        digits = whole.replace(",", "")
        if (
            not frac
            and not pct
            and "," not in whole
            and len(digits) == 4
            and digits[:2] in ("19", "20")
            and "$" not in m.group(0)
        ):
            continue  # a year
        out.add(round(float(digits + frac), 6))
    return out


def gold_numbers(answer: str, evidence_texts: Iterable[str]) -> set[float]:
    """The gold answer's numbers that are printed on an evidence page (a number the answer computed, like a
    ratio, is not something an extractive system can quote and is not counted)."""
    printed = set()
    for t in evidence_texts:
        printed |= numbers(t)
    return {n for n in numbers(answer) if n in printed}


def states_numbers(answer: str, gold: set[float]) -> bool:
    """Every gold number appears in the answer (by value)."""
    return bool(gold) and gold <= numbers(answer)
