from rag.retrieval import fusion
from rag.types import Chunk, Hit


def _hit(cid: str, score: float, text: str | None = None, h: str = "") -> Hit:
    return Hit(Chunk(id=cid, doc_id=cid, text=text or f"unique text {cid}", source="", title="", page=1,
                     start=0, end=1, content_hash=h), score, dense=score)


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
