from rag.text import Idf, sentences, terms, weighted_overlap


def _split(t: str) -> list[str]:
    return [t[a:b] for a, b in sentences(t)]


def test_initials_titles_and_decimals_do_not_end_sentences():
    t = "Nicholas E. Golovin led it. Mr. Smith joined the U.S. Army in 1961. It grew 4.2 percent!"
    assert _split(t) == [
        "Nicholas E. Golovin led it.",
        "Mr. Smith joined the U.S. Army in 1961.",
        "It grew 4.2 percent!",
    ]


def test_lines_without_punctuation_are_their_own_sentences():
    assert _split("Revenue 2022\nTotal 4,500\n\nNext.") == ["Revenue 2022", "Total 4,500", "Next."]


def test_weighted_overlap_prefers_rare_terms():
    docs = [terms("the tower opened"), terms("the tower is tall"), terms("Eiffel designed it")]
    idf = Idf(docs)
    q = terms("Who designed the tower?")
    assert weighted_overlap(q, terms("Eiffel designed it"), idf) > weighted_overlap(
        q, terms("the tower is tall"), idf
    )


def test_wrapped_pdf_lines_join_but_table_rows_and_headings_do_not():
    t = (
        "The company reported that its quarterly revenue increased by ten\n"
        "percent compared with the prior year.\n"
        "Revenue 4,500\nCosts 3,200"
    )
    assert _split(t) == [
        "The company reported that its quarterly revenue increased by ten\n"
        "percent compared with the prior year.",
        "Revenue 4,500",
        "Costs 3,200",
    ]


def test_table_rows_written_with_bars_are_never_joined():
    t = (
        "Net income | Twelve Months Ended June 30, 2023 | $ million | 1,058\n"
        "Adjusted EBITDA | Twelve Months Ended June 30, 2023 | $ million | 2,018"
    )
    assert _split(t) == t.split("\n")


def test_a_line_going_on_in_lower_case_continues_the_sentence():
    t = "Results. Free cash flow was $848\nmillion, in line.\nRevenue 4,500"
    assert _split(t) == ["Results.", "Free cash flow was $848\nmillion, in line.", "Revenue 4,500"]


def test_a_markdown_heading_keeps_its_line():
    assert _split("# Notes\nthe cafeteria opens at noon.") == ["# Notes", "the cafeteria opens at noon."]


def test_a_point_inside_a_token_is_no_end_and_closers_stay_with_their_sentence():
    t = 'See example.com or Node.js (v1.2.3). He said "stop." Then [it ended!] Done'
    assert _split(t) == [
        "See example.com or Node.js (v1.2.3).",
        'He said "stop."',
        "Then [it ended!]",
        "Done",
    ]
