"""Tables on PDF pages, found from pdfium's text lines plus the x positions of their numbers.

pdfium writes a table row as one line ("Net sales $ 14,694 $ 14,544 $ 12,861") with its column headers
lines above ("For the years ended June 30, 2023 2022 2021"): indexed as is, a number has no label. Here
a table is a run of lines ending in numbers; the numbers' right edges (they are right-aligned) give the
columns, the short lines above the first row give each column its header (a phrase over some columns
labels those; one over all columns or left of them is the table's caption, with the units), and each
row becomes `label | header: value | header: value`. Only character boxes of numbers and header lines
are read (pdfium's per-character calls cost ~15 us each), and only on pages whose text already shows
three or more number rows, so a text page costs nothing extra.

The block is rendered as `TABLE_MARK caption` then one row per line; `ingest.chunker` packs such a
block by rows and repeats the caption line in every chunk of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from ..tables import TABLE_MARK, render_table

Box = tuple[float, float, float, float]  # left, right, bottom, top (PDF points, y up)
BoxOf = Callable[[int], Box | None]  # box of the character at a text index

# a cell value: 1,234 (1,234) -1.5 12.3% $5 (12)% or a dash for nil; "$" and "%" alone are glued on
_VALUE = re.compile(r"^[($]*[-+]?\$?\(?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?\)?%?\)?[*]?$|^[—–-]+$")
_YEAR = re.compile(r"^\(?(19|20)\d\d\)?,?$")
_PERIOD = re.compile(
    r"\b((19|20)\d\d|ended|months|weeks|quarter|fiscal|year|as of|january|february|march|"
    r"april|may|june|july|august|september|october|november|december)\b",
    re.I,
)
_MONTH = re.compile(r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?$", re.I)
MIN_ROWS = 3  # value rows for a table; also the page pre-check
MAX_HEADER_LINES = 7
MAX_HEADER_CHARS = 80  # longer lines above a table are prose, not its title or headers
MAX_GAP_LINES = 2  # label-only lines (section names, wrapped labels) allowed between rows
MAX_LABEL_WORDS = 18  # a longer "label" is a prose line that happens to end in a number


@dataclass
class Tok:
    text: str
    pos: int  # text index of its first character
    end: int  # text index of its last character


@dataclass
class Line:
    text: str
    start: int  # text index where the line starts
    toks: list[Tok] = field(default_factory=list)


@dataclass
class Table:
    first: int  # line range [first, last) that the block replaces
    last: int
    text: str


def split_lines(text: str, sep: str = "\r\n") -> list[Line]:
    """Lines with their tokens; positions count UTF-16 units like pdfium's text indexes."""
    out, pos = [], 0
    for raw in text.split(sep):
        line = Line(raw, pos)
        for m in re.finditer(r"\S+", raw):
            a = pos + _u16(raw[: m.start()])
            line.toks.append(Tok(m.group(), a, a + _u16(m.group()) - 1))
        out.append(line)
        pos += _u16(raw) + _u16(sep)
    return out


def _u16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _is_value(t: str) -> bool:
    return t not in ("", "$", "%") and bool(_VALUE.match(t)) and any(c.isdigit() or c in "—–-" for c in t)


def trailing_values(line: Line) -> int:
    """How many tokens at the end of the line are cell values ($ and % signs skipped)."""
    n = 0
    for t in reversed(line.toks):
        if t.text in ("$", "%"):
            continue
        if not _is_value(t.text):
            break
        n += 1
    return n


def _is_years(line: Line) -> bool:
    """A header line such as "(Millions) 2022 2021 2020": it ends in years only."""
    vals = [t.text for t in line.toks if t.text not in ("$", "%")]
    n = trailing_values(line)
    return n >= 1 and all(_YEAR.match(v) for v in vals[-n:])


def looks_tabular(lines: list[Line]) -> bool:
    """Cheap pre-check on text alone: enough lines ending in two or more values."""
    return sum(trailing_values(ln) >= 2 for ln in lines) >= MIN_ROWS


def find_tables(lines: list[Line], box: BoxOf) -> list[Table]:
    tables: list[Table] = []
    i, floor = 0, 0
    while i < len(lines):
        if not _row(lines[i]):
            i += 1
            continue
        first, j, rows, gap = i, i, [], 0
        while j < len(lines) and gap <= MAX_GAP_LINES:
            if _row(lines[j]):
                rows.append(j)
                gap = 0
            elif lines[j].toks and len(lines[j].toks) <= MAX_LABEL_WORDS:
                gap += 1
            else:
                break
            j += 1
        last = rows[-1] + 1 if rows else i + 1
        t = _build(lines, first, last, floor, box) if len(rows) >= MIN_ROWS else None
        if t is not None:
            tables.append(t)
            floor = t.last
        i = last
    return tables


def _row(line: Line) -> bool:
    n = trailing_values(line)
    if n < 1 or _is_years(line) or len(line.toks) - n > MAX_LABEL_WORDS:
        return False
    # "Years ended December 31" is a header, not a row whose value is 31
    return not (n == 1 and len(line.toks) >= 2 and _MONTH.match(line.toks[-2].text))


@dataclass
class _Cell:
    text: str
    left: float
    right: float


def _span(line: Line, toks: list[Tok], box: BoxOf) -> tuple[float, float] | None:
    a, b = box(toks[0].pos), box(toks[-1].end)
    if a is None or b is None:
        return None
    return a[0], b[1]


def _values(line: Line, box: BoxOf) -> tuple[str, list[_Cell]]:
    """The row's label and its value cells with x extents (a lone $ joins the next value)."""
    n, k = trailing_values(line), len(line.toks)
    while n:
        k -= 1
        if line.toks[k].text not in ("$", "%"):
            n -= 1
    while k and line.toks[k - 1].text == "$":
        k -= 1
    cells: list[_Cell] = []
    for t in line.toks[k:]:
        if t.text == "%" and cells:
            cells[-1].text += "%"
        if t.text in ("$", "%"):
            continue
        s = _span(line, [t], box)
        if s is not None:
            cells.append(_Cell(t.text, *s))
    return " ".join(t.text for t in line.toks[:k]), cells


def _columns(rights: list[float], tol: float) -> list[float]:
    """Right edges clustered: one column per group of edges closer than `tol` to each other."""
    groups: list[list[float]] = []
    for r in sorted(rights):
        if groups and r - groups[-1][-1] <= tol:
            groups[-1].append(r)
        else:
            groups.append([r])
    return [max(g) for g in groups if len(g) >= 2]


def _phrases(line: Line, box: BoxOf, gap: float) -> list[_Cell]:
    """Runs of a header line's words closer than `gap`: "Twelve Months Ended June 30, 2023" is one."""
    out: list[_Cell] = []
    for t in line.toks:
        s = _span(line, [t], box)
        if s is None:
            continue
        if out and s[0] - out[-1].right <= gap:
            out[-1] = _Cell(out[-1].text + " " + t.text, out[-1].left, max(out[-1].right, s[1]))
        else:
            out.append(_Cell(t.text, *s))
    return out


def _height(line: Line, box: BoxOf) -> float | None:
    b = box(line.toks[0].pos) if line.toks else None
    return b[3] - b[2] if b and b[3] > b[2] else None


def _build(lines: list[Line], first: int, last: int, floor: int, box: BoxOf) -> Table | None:
    body = lines[first:last]
    heights = sorted(h for ln in body[:10] if (h := _height(ln, box)))
    em = heights[len(heights) // 2] if heights else 8.0
    parsed = [(ln, *_values(ln, box)) if _row(ln) else (ln, None, None) for ln in body]
    cols = _columns([c.right for _, _, cells in parsed if cells for c in cells], tol=0.9 * em)
    if not cols:
        return None
    col_left = list(cols)
    for _, _, cells in parsed:
        for c in cells or ():
            i = min(range(len(cols)), key=lambda i: abs(cols[i] - c.right))
            if abs(cols[i] - c.right) <= em:
                col_left[i] = min(col_left[i], c.left)
    centers = [(a + b) / 2 for a, b in zip(col_left, cols)]
    left_edge = col_left[0] - em

    # header lines: short, non-row lines right above the first row, below the previous table
    head: list[Line] = []
    k, top = first - 1, first
    while k >= floor and len(head) < MAX_HEADER_LINES:
        ln = lines[k]
        if ln.toks and ln.text.strip().lower() != "table of contents":  # a link atop every 10-K page
            if (_row(ln) or len(ln.text) > MAX_HEADER_CHARS) and not _is_years(ln):
                break  # a row of another table, or a line of prose
            head.insert(0, ln)
            top = k
        k -= 1
    caption: list[str] = []
    labels = [[] for _ in cols]
    for ln in head:
        for ph in _phrases(ln, box, gap=1.2 * em):
            # a phrase heads the columns it overlaps by a quarter of the narrower, else the nearest one
            over = [
                i
                for i, (a, b) in enumerate(zip(col_left, cols))
                if min(b, ph.right) - max(a, ph.left) >= 0.25 * min(b - a, ph.right - ph.left)
            ]
            if not over and ph.right >= left_edge:
                mid = (ph.left + ph.right) / 2
                over = [min(range(len(cols)), key=lambda i: abs(centers[i] - mid))]
            if ph.left < left_edge - em or not over:  # a title or stub text starts left of the numbers
                caption.append(ph.text)
            elif len(over) == len(cols) and len(cols) > 1 and not _PERIOD.search(ph.text):
                caption.append(ph.text)
            else:
                for i in over:
                    labels[i].append(ph.text)
    common = _common_prefix(labels) if len(cols) > 1 else []
    if common:
        caption.append(" ".join(common))
        labels = [ls[len(common) :] for ls in labels]
    names = [" ".join(ls) or f"column {i + 1}" for i, ls in enumerate(labels)]

    rows: list[str] = []
    for ln, label, cells in parsed:
        if cells is None:
            rows.append(ln.text.strip())
            continue
        vals: dict[int, str] = {}
        extra: list[str] = []
        for c in cells:
            i = min(range(len(cols)), key=lambda i: abs(cols[i] - c.right))
            if abs(cols[i] - c.right) <= em or (col_left[i] - em / 2 <= c.left and c.right <= cols[i] + em):
                vals[i] = (vals[i] + " " + c.text) if i in vals else c.text
            else:
                extra.append(c.text)  # a footnote mark or a number in the label, not a column value
        label = " ".join([label] + extra).strip() if not vals else (label or "").strip()
        if not vals:
            rows.append(label)
            continue
        rows.append(" | ".join([label or "(total)"] + [f"{names[i]}: {v}" for i, v in sorted(vals.items())]))
    # the caption keeps the units as written ("($ in millions, except per share data)")
    text = render_table(" ; ".join(dict.fromkeys(c for c in caption if c)), rows)
    return Table(top, last, text) if rows else None


def _common_prefix(labels: list[list[str]]) -> list[str]:
    out: list[str] = []
    for parts in zip(*labels):
        if len(set(parts)) != 1:
            break
        out.append(parts[0])
    return out


__all__ = ["TABLE_MARK", "Table", "find_tables", "looks_tabular", "split_lines"]
