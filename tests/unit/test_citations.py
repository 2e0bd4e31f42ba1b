from rag import citations
from rag.types import Chunk, Hit


def _hit(n: int, text: str) -> Hit:
    return Hit(
        Chunk(
            id=f"c{n}",
            doc_id=f"d{n}",
            text=text,
            source=f"/docs/{n}.pdf",
            title=f"Doc {n}",
            page=n + 2,
            start=0,
            end=len(text),
            doc_type="pdf",
        ),
        1.0,
        dense=0.7,
    )


HITS = [
    _hit(1, "The Eiffel Tower opened in 1889. It was built for the World's Fair."),
    _hit(2, "Photosynthesis turns sunlight into chemical energy in plants."),
]


def test_correct_marker_is_kept_and_maps_to_doc_page_and_span():
    text, cites, notes = citations.check("The Eiffel Tower opened in 1889 [1].", HITS)
    assert text == "The Eiffel Tower opened in 1889. [1]" or text.endswith("[1]")
    assert len(cites) == 1 and not notes
    c = cites[0]
    assert (c.chunk.title, c.chunk.page, c.span) == ("Doc 1", 3, "The Eiffel Tower opened in 1889.")


def test_marker_pointing_to_no_source_is_removed_and_reported():
    text, cites, notes = citations.check("Plants turn sunlight into chemical energy [7].", HITS)
    assert "[7]" not in text
    assert any("[7]" in n for n in notes)
    assert cites and cites[0].chunk.id == "c2"  # re-attached to the source that supports it


def test_literal_n_marker_is_removed():
    text, _, notes = citations.check("The Eiffel Tower opened in 1889 [n].", HITS)
    assert "[n]" not in text and notes


def test_wrong_marker_is_moved_to_the_supporting_source():
    text, cites, notes = citations.check("Photosynthesis turns sunlight into chemical energy [1].", HITS)
    assert [c.chunk.id for c in cites] == ["c2"]
    assert text.endswith("[1]")  # renumbered in order of appearance
    assert any("moved" in n for n in notes)


def test_uncited_supported_sentence_gets_a_citation():
    text, cites, _ = citations.check("It was built for the World's Fair.", HITS)
    assert text.endswith("[1]") and cites[0].chunk.id == "c1"


def test_unsupported_claim_gets_no_citation():
    text, cites, _ = citations.check("Bananas are a good source of potassium.", HITS)
    assert cites == [] and "[" not in text


def test_citations_renumber_in_order_of_appearance():
    text, cites, _ = citations.check(
        "Plants make chemical energy from sunlight [2]. The tower opened in 1889 [1].", HITS
    )
    assert [c.n for c in cites] == [1, 2]
    assert [c.chunk.id for c in cites] == ["c2", "c1"]
    assert text.index("[1]") < text.index("[2]")


def test_grounded_needs_a_cited_span_about_the_question():
    _, on_topic, _ = citations.check("The Eiffel Tower opened in 1889 [1].", HITS)
    assert citations.grounded("When did the Eiffel Tower open?", on_topic)
    _, off_topic, _ = citations.check("Photosynthesis turns sunlight into chemical energy [2].", HITS)
    assert not citations.grounded("When did the Eiffel Tower open?", off_topic)
    assert not citations.grounded("When did the Eiffel Tower open?", [])
