from rag.retrieval import fusion
from rag.types import Chunk, Hit


def _hit(cid: str, score: float, text: str | None = None, h: str = "") -> Hit:
    return Hit(
        Chunk(
            id=cid,
            doc_id=cid,
            text=text or f"unique text {cid}",
            source="",
            title="",
            page=1,
            start=0,
            end=1,
            content_hash=h,
        ),
        score,
        dense=score,
    )


def test_weighted_fusion_rewards_agreement_of_both_lists():
    dense = [_hit("a", 0.9), _hit("b", 0.8), _hit("c", 0.1)]
    lexical = [_hit("b", 12.0), _hit("d", 11.0), _hit("a", 1.0)]
    fused = fusion.weighted(dense, lexical, 0.5)
    assert [h.chunk.id for h in fused][:2] == ["b", "a"]
    assert fused[0].score == sum([0.5 * (0.8 - 0.1) / 0.8, 0.5 * 1.0]) or abs(fused[0].score - 0.9375) < 1e-9


def test_weighted_fusion_keeps_raw_cosine_for_refusal():
    fused = fusion.weighted([_hit("a", 0.42)], [], 0.5)
    assert fused[0].dense == 0.42


def test_weight_one_is_pure_dense_order():
    dense = [_hit("a", 0.9), _hit("b", 0.5)]
    lexical = [_hit("b", 10.0), _hit("a", 1.0)]
    assert [h.chunk.id for h in fusion.weighted(dense, lexical, 1.0)] == ["a", "b"]


def test_rrf_matches_hand_computation():
    fused = fusion.rrf([_hit("a", 1), _hit("b", 1)], [_hit("b", 1), _hit("c", 1)], k=60)
    scores = {h.chunk.id: h.score for h in fused}
    assert abs(scores["b"] - (1 / 62 + 1 / 61)) < 1e-12
    assert abs(scores["a"] - 1 / 61) < 1e-12
    assert fused[0].chunk.id == "b"


def test_near_duplicates_collapse_to_the_best():
    text = "the quarterly revenue grew by ten percent compared to last year in all regions"
    hits = [_hit("a", 0.9, text), _hit("b", 0.8, text + " overall"), _hit("c", 0.7)]
    assert [h.chunk.id for h in fusion.collapse_near_duplicates(hits, 0.85)] == ["a", "c"]


def test_identical_content_hash_collapses():
    hits = [_hit("a", 0.9, "x y z", h="same"), _hit("b", 0.8, "p q r", h="same")]
    assert len(fusion.collapse_near_duplicates(hits, 0.85)) == 1


def test_doc_prior_lifts_hits_of_the_document_the_question_is_about():
    hits = [_hit("a", 0.60), _hit("b", 0.55), _hit("c", 0.10)]
    lifted = fusion.doc_prior(hits, {"b": 1.0, "c": 0.5}, 0.2)
    assert [h.chunk.id for h in lifted] == ["b", "a", "c"]
    assert abs(lifted[0].score - 0.75) < 1e-9 and abs(lifted[2].score - 0.20) < 1e-9


def test_doc_prior_off_or_without_scores_keeps_the_order():
    hits = [_hit("a", 0.6), _hit("b", 0.5)]
    assert [h.chunk.id for h in fusion.doc_prior(hits, {"b": 1.0}, 0.0)] == ["a", "b"]
    assert [h.chunk.id for h in fusion.doc_prior(hits, {}, 0.3)] == ["a", "b"]


def _chunk(cid: str, doc: str, text: str, title: str = "") -> Chunk:
    return Chunk(
        id=cid, doc_id=doc, text=text, source=f"{doc}.md", title=title or doc, page=1, start=0, end=1
    )


def test_document_bm25_scores_whole_documents_and_normalizes_to_the_best():
    from rag.lexical import BM25Index

    chunks = [
        _chunk("1", "boeing", "Commercial airplanes and defense.", "Boeing annual report"),
        _chunk("2", "boeing", "Gross margin fell because of higher costs."),
        _chunk("3", "pepsi", "Snacks and beverages in many markets.", "PepsiCo annual report"),
        _chunk("4", "pepsi", "Gross margin rose on pricing."),
        _chunk("5", "other", "Nothing relevant here at all."),
    ]
    index = BM25Index().build(chunks)
    scores = index.doc_scores("Did Boeing's gross margin improve?")
    assert scores["boeing"] == 1.0 and 0 < scores["pepsi"] < 0.75 and "other" not in scores
    assert index.doc_scores("zebra") == {} and index.doc_scores("the") == {}


def test_document_bm25_survives_save_and_load(tmp_path):
    from rag.lexical import BM25Index

    chunks = [_chunk("1", "x", "apples and pears"), _chunk("2", "y", "cars and trucks")]
    BM25Index().build(chunks).save(tmp_path / "i")
    loaded = BM25Index.load(tmp_path / "i")
    assert loaded.doc_scores("trucks") == {"y": 1.0}
