"""The one text form of a table, shared by every loader and the chunker.

A table is a paragraph: a caption line starting with `TABLE_MARK` (title, units, headers common to
every column), then one line per row, `row label | column header: value | ...`. Every value keeps its
labels, so a row read alone (a search hit, a citation) still says what the number is. The chunker
packs such a paragraph by rows and repeats the caption line at the top of each chunk of it.
"""

from __future__ import annotations

TABLE_MARK = "Table: "


def clean_cell(text: str) -> str:
    return " ".join(str(text).replace("|", "/").split())


def render_table(caption: str, rows: list[str]) -> str:
    lines = [TABLE_MARK + clean_cell(caption)] + [r for r in (" ".join(r.split()) for r in rows) if r]
    return "\n".join(lines)


def table_summary(block: str) -> str:
    """A table block (`render_table`'s form) reduced to its caption and its row labels, one table block
    of a single row: a question that names a concept ("gross margin") rather than a figure can match the
    statement whose rows it needs. Empty when the table has no labelled row."""
    lines = block.split("\n")
    caption = lines[0][len(TABLE_MARK) :] if lines and lines[0].startswith(TABLE_MARK) else ""
    labels = [ln.split(" | ")[0].strip() for ln in lines[1:]]
    labels = [x for x in dict.fromkeys(labels) if x and x != "(total)" and any(c.isalpha() for c in x)]
    return render_table(caption, ["Rows: " + "; ".join(labels)]) if labels else ""


def labelled_rows(header: list[list[str]], body: list[list[str]], label_cols: int = 1) -> list[str]:
    """Grid rows to labelled lines: the first `label_cols` cells label the row; each other non-empty
    cell is prefixed by its column's header (header rows joined top-down, repeats dropped)."""
    width = max((len(r) for r in header + body), default=0)
    names = []
    for j in range(width):
        parts = [clean_cell(h[j]) for h in header if j < len(h) and clean_cell(h[j])]
        names.append(" ".join(dict.fromkeys(parts)))
    out = []
    for r in body:
        cells = [clean_cell(c) for c in r]
        label = " ".join(c for c in cells[:label_cols] if c)
        vals = [f"{names[j]}: {c}" if names[j] else c for j, c in enumerate(cells) if j >= label_cols and c]
        if label or vals:
            out.append(" | ".join(([label] if label else []) + vals))
    return out


def _pipe_cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip() for c in s.split("|")]


def _is_rule(line: str) -> bool:
    cells = _pipe_cells(line)
    return bool(cells) and all(c and set(c) <= set("-: ") and "-" in c for c in cells)


def markdown_tables(text: str) -> str:
    """Pipe tables (`| a | b |` lines with a `|---|` rule under the header) rewritten as table blocks;
    the short line right above a table, if any, becomes its caption."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].lstrip().startswith("|") and i + 1 < len(lines) and _is_rule(lines[i + 1]):
            header = [_pipe_cells(lines[i])]
            j = i + 2
            body = []
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                body.append(_pipe_cells(lines[j]))
                j += 1
            caption = ""
            while out and not out[-1].strip():
                out.pop()
            alone = len(out) < 2 or not out[-2].strip()  # a one-line paragraph, not a prose ending
            if out and alone and len(out[-1]) <= 150 and not out[-1].lstrip().startswith(("|", "-", "*")):
                # a heading stays (it structures the document) and names the table too
                caption = (
                    (out[-1] if out[-1].lstrip().startswith("#") else out.pop()).strip().lstrip("#").strip()
                )
            out += ["", render_table(caption, labelled_rows(header, body)), ""]
            i = j
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)
