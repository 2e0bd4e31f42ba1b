"""Structure-aware, token-budgeted chunking.

Text is cut into units (sentences as `rag.text.sentences` finds them, or word runs for over-long
sentences) that remember whether they open a paragraph or are a heading. Units are packed greedily up
to the token budget, preferring to close a chunk at a paragraph end, always closing before a heading,
and carrying a few trailing sentences over as overlap. Token counts come from the embedder's own
tokenizer, and each chunk is an exact slice of its page text, so offsets point at real characters. A
table paragraph (`ingest.tables`: a caption line, then labelled rows) is packed by whole rows in chunks
of its own, and a chunk that continues a table carries the caption line as `prefix` (not part of the
slice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from rag.text import sentences

from .tables import TABLE_MARK

TokenCounter = Callable[[Sequence[str]], list[int]]

_PARA = re.compile(r"\n[ \t]*\n+")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_WORD = re.compile(r"\S+")


@dataclass
class Unit:
    start: int
    end: int
    tokens: int
    para_start: bool = False
    heading: str | None = None  # heading text if this unit is a heading
    level: int = 0
    table: str = ""  # "caption" or "row" inside a table paragraph


@dataclass
class Piece:
    start: int
    end: int
    heading: str  # "H1 > H2" path at the start of the piece
    tokens: int
    prefix: str = ""  # a continued table's caption line: the chunk's text is prefix + the slice


def _spans(text: str) -> list[tuple[int, int, bool, str | None, int, str]]:
    """(start, end, para_start, heading, level, table) for each sentence-ish span of the text."""
    out = []
    pos = 0
    for para in _PARA.split(text) + [""]:
        if not para:
            continue
        pstart = text.index(para, pos)
        pos = pstart + len(para)
        stripped = para.strip()
        m = _HEADING.match(stripped) if "\n" not in stripped else None
        if m:
            lead = len(para) - len(para.lstrip())
            out.append((pstart + lead, pstart + lead + len(stripped), True, m.group(2), len(m.group(1)), ""))
            continue
        if stripped.startswith(TABLE_MARK):  # one span per line: the caption, then each row
            off, kind = 0, "caption"
            for line in para.split("\n"):
                if line.strip():
                    a = pstart + off + len(line) - len(line.lstrip())
                    out.append((a, a + len(line.strip()), kind == "caption", None, 0, kind))
                    kind = "row"
                off += len(line) + 1
            continue
        # rag.text's sentences only place the cuts: each unit runs to the next sentence's start, so text
        # the splitter skips (a one-character line) still lands in a chunk
        cuts = [a for a, _ in sentences(para)][1:]
        first = True
        for s, e in zip([0] + cuts, cuts + [len(para)]):
            seg = para[s:e]
            if seg.strip():
                a = pstart + s + len(seg) - len(seg.lstrip())
                out.append((a, pstart + s + len(seg.rstrip()), first, None, 0, ""))
                first = False
    return out


def _units(text: str, count: TokenCounter, budget: int) -> list[Unit]:
    spans = _spans(text)
    counts = count([text[a:b] for a, b, *_ in spans])
    units: list[Unit] = []
    for (a, b, para, heading, level, table), n in zip(spans, counts):
        if n <= budget:
            units.append(Unit(a, b, n, para, heading, level, table))
            continue
        # over-long "sentence" (tables, lists, run-on text): fall back to word runs
        first_new = len(units)
        words = [(m.start() + a, m.end() + a) for m in _WORD.finditer(text[a:b])]
        wcounts = count([text[x:y] for x, y in words])
        run_start, run_tokens, first = words[0][0], 0, para
        prev_end = words[0][0]
        for (x, y), wn in zip(words, wcounts):
            if wn > budget:  # no whitespace to cut at (dot leaders, a table row without spaces)
                if run_tokens:
                    units.append(Unit(run_start, prev_end, run_tokens, first))
                    first = False
                # claimed at full budget so each sits alone in its chunk: joined to a neighbour the
                # text would tokenize differently from the sum of its parts
                units += [
                    Unit(c, d, budget, first and c == x)
                    for c, d in _split_word(text, x, y, wn, count, budget)
                ]
                run_tokens, first = 0, False
                continue
            if run_tokens and run_tokens + wn > budget:
                units.append(Unit(run_start, prev_end, run_tokens, first))
                run_tokens, first = 0, False
            if not run_tokens:
                run_start = x
            run_tokens += wn
            prev_end = y
        if run_tokens:
            units.append(Unit(run_start, prev_end, run_tokens, first))
        for u in units[first_new:]:
            u.table = table and "row"  # a long caption or row splits into parts of the table
    return units


def _split_word(text: str, a: int, b: int, n: int, count: TokenCounter, budget: int) -> list[tuple[int, int]]:
    """Character runs of text[a:b], each within `budget` tokens; sizes follow the measured density."""
    out = []
    chars_per_token = (b - a) / max(n, 1)
    while a < b:
        size = max(1, min(b - a, int(budget * chars_per_token * 0.9)))
        while (m := count([text[a : a + size]])[0]) > budget and size > 1:
            size = max(1, int(size * budget / m * 0.9))
        out.append((a, a + size))
        chars_per_token = size / max(m, 1)
        a += size
    return out


# A word the tokenizer does not know is one [UNK] token however long it is: 200 such "tokens" made a
# 24,199-character chunk. Every text also costs at least one token per MAX_CHARS_PER_TOKEN characters
# (English prose is ~4.5 per token), so no chunk exceeds budget x MAX_CHARS_PER_TOKEN characters.
MAX_CHARS_PER_TOKEN = 10


def char_capped(count: TokenCounter) -> TokenCounter:
    def capped(texts: Sequence[str]) -> list[int]:
        return [max(n, -(-len(t) // MAX_CHARS_PER_TOKEN)) for t, n in zip(texts, count(texts))]

    return capped


def chunk_text(
    text: str,
    count: TokenCounter,
    budget: int,
    overlap: int,
    heading_path: list[tuple[int, str]] | None = None,
) -> list[Piece]:
    """Split one page's text into pieces of at most `budget` tokens (by `count`)."""
    count = char_capped(count)
    stack = heading_path if heading_path is not None else []
    pieces: list[Piece] = []
    cur: list[Unit] = []
    cur_heading = ""

    def path() -> str:
        return " > ".join(h for _, h in stack)

    caption: tuple[str, int] | None = None  # the current table's caption line and its tokens
    prefix = ""

    def close() -> None:
        nonlocal cur, prefix
        if cur and any(u.heading is None for u in cur):
            extra = caption[1] if prefix and caption else 0
            pieces.append(
                Piece(cur[0].start, cur[-1].end, cur_heading, sum(u.tokens for u in cur) + extra, prefix)
            )
        cur, prefix = [], ""

    for u in _units(text, count, budget):
        used = sum(x.tokens for x in cur) + (caption[1] if prefix and caption else 0)
        if u.table:  # tables are chunked by rows, apart from the text around them
            if u.para_start:  # a new table paragraph (its caption, or the first part of a split one)
                close()
                caption = (text[u.start : u.end] + "\n", u.tokens + 1) if u.table == "caption" else None
            elif cur and cur[-1].table and used + u.tokens <= budget:
                cur.append(u)
                continue
            else:
                close()
                if caption and caption[1] + u.tokens <= budget:
                    prefix = caption[0]  # a continued table repeats its caption line
            cur_heading = path()
            cur = [u]
            continue
        if cur and cur[-1].table:
            close()
            caption, used = None, 0
        if u.heading is not None:
            close()
            while stack and stack[-1][0] >= u.level:
                stack.pop()
            stack.append((u.level, u.heading))
            cur_heading = path()
            cur = [u]  # a heading opens the chunk below it
            continue
        if cur and (used + u.tokens > budget or (u.para_start and used >= 0.75 * budget)):
            prev = cur
            close()
            # overlap: trailing units of the previous chunk, only when we had to cut mid-paragraph
            if overlap and not u.para_start:
                carried: list[Unit] = []
                for x in reversed(prev):
                    if x.heading is not None or sum(c.tokens for c in carried) + x.tokens > overlap:
                        break
                    carried.insert(0, x)
                if sum(c.tokens for c in carried) + u.tokens <= budget:
                    cur = carried
        if not cur:
            cur_heading = path()
        cur.append(u)
    close()
    return pieces
