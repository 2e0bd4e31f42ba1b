"""Render a Markdown file to a multi-page PDF, so the sample corpus shows page citations.

    python -m ingest.sample_pdf SRC.md OUT.pdf

Handles what the user guide uses: #/##/### headings, paragraphs, bullet lists, indented code blocks
and pipe tables; inline `code` and **bold** markers are dropped. Uses a core PDF font (no font files
to ship), so text is mapped to Latin-1 first: typographic punctuation becomes ASCII, anything else
unrepresentable becomes "?".
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from fpdf import FPDF

BODY = 11
HEADING_SIZES = {1: 20, 2: 15, 3: 12.5}
_ASCII = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u00a0": " ",
        "\u2192": "->",
        "\u2264": "<=",
        "\u2265": ">=",
    }
)
_INLINE = re.compile(r"`([^`]*)`|\*\*([^*]+)\*\*")


def latin1(text: str) -> str:
    return text.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")


def inline(text: str) -> str:
    return latin1(_INLINE.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text))


class _Doc(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(120)
        self.cell(0, 6, f"Page {self.page_no()}", align="C")
        self.set_text_color(0)


def blocks(md: str) -> list[tuple[str, object]]:
    """(kind, payload): heading (level, text), para text, bullets [text], code [lines], table [[cells]]."""
    out: list[tuple[str, object]] = []
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif m := re.match(r"^(#{1,6})\s+(.*)$", line):
            out.append(("heading", (len(m.group(1)), m.group(2).strip())))
            i += 1
        elif line.startswith("    "):
            code = []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                code.append(lines[i][4:])
                i += 1
            out.append(("code", [c for c in code if c.strip()] or [""]))
        elif line.lstrip().startswith("|"):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            out.append(("table", rows))
        elif re.match(r"^\s*([-*]|\d+\.)\s+", line):
            items = []
            while i < len(lines) and lines[i].strip():
                if m := re.match(r"^\s*([-*]|\d+\.)\s+(.*)$", lines[i]):
                    items.append(m.group(2))
                elif items:  # continuation line of the previous item
                    items[-1] += " " + lines[i].strip()
                i += 1
            out.append(("bullets", items))
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not re.match(r"^(#{1,6}\s|\s*\||    )", lines[i]):
                para.append(lines[i].strip())
                i += 1
            out.append(("para", " ".join(para)))
    return out


def render(md: str, out: Path) -> int:
    """Write `md` as a PDF to `out`; returns the page count."""
    pdf = _Doc(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    title = next((p for k, p in blocks(md) if k == "heading"), None)
    pdf.set_title(latin1(title[1]) if title else out.stem)
    pdf.set_creator("docqa ingest.sample_pdf")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for kind, payload in blocks(md):
        if kind == "heading":
            level, text = payload
            size = HEADING_SIZES.get(level, BODY + 1)
            if pdf.get_y() > pdf.h - 45:  # never strand a heading at the foot of a page
                pdf.add_page()
            pdf.ln(3 if level > 1 else 0)
            pdf.set_font("Helvetica", "B", size)
            pdf.multi_cell(width, size * 0.5, inline(text))
            pdf.ln(2)
        elif kind == "para":
            pdf.set_font("Helvetica", size=BODY)
            pdf.multi_cell(width, 5.5, inline(payload))
            pdf.ln(2.5)
        elif kind == "bullets":
            pdf.set_font("Helvetica", size=BODY)
            for item in payload:
                pdf.set_x(pdf.l_margin + 3)
                pdf.cell(5, 5.5, "-")
                pdf.multi_cell(width - 8, 5.5, inline(item))
                pdf.ln(1)
            pdf.ln(1.5)
        elif kind == "code":
            pdf.set_font("Courier", size=BODY - 1.5)
            pdf.set_fill_color(242, 242, 242)
            pdf.multi_cell(width, 5, latin1("\n".join(payload)), fill=True)
            pdf.ln(2.5)
        elif kind == "table":
            pdf.set_font("Helvetica", size=BODY - 2)
            cols = max(len(r) for r in payload)
            rows = [[inline(r[c]) if c < len(r) else "" for c in range(cols)] for r in payload]
            # every column but the last as wide as its longest cell (names must not wrap mid-word)
            widths = [max(pdf.get_string_width(r[c]) for r in rows) + 4 for c in range(cols - 1)]
            widths.append(max(width - sum(widths), 40))
            with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.6, padding=1.2) as table:
                for r in rows:
                    row = table.row()
                    for cell in r:
                        row.cell(cell)
            pdf.ln(2.5)
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))
    return pdf.page_no()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m ingest.sample_pdf SRC.md OUT.pdf", file=sys.stderr)
        return 2
    src, out = Path(argv[0]), Path(argv[1])
    pages = render(src.read_text(encoding="utf-8"), out)
    print(f"wrote {out} ({pages} pages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
