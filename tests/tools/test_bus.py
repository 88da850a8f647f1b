"""The candidate bus: narrowing, ranking, fusion, diversification, verification."""

from __future__ import annotations

import random

import numpy as np
import pytest

from convrec.tools.base import ScoredItem, ToolOutput
from convrec.tools.bus import DIVERSE_HEAD, RRF_K, CandidateBus, mmr, rrf
from convrec.tools.context import Resources, ToolContext


@pytest.fixture
def ctx(synthetic_catalog, tmp_path) -> ToolContext:
    return ToolContext(Resources(synthetic_catalog, tmp_path / "index"))


@pytest.fixture
def item_ids(synthetic_catalog) -> list[int]:
    return [r[0] for r in synthetic_catalog.query("SELECT item_id FROM items ORDER BY item_id")]


def output(tool: str, ids: list[int], trace: str = "") -> ToolOutput:
    n = len(ids)
    return ToolOutput(
        tool=tool,
        items=[ScoredItem(item_id=i, score=float(n - r), evidence=[f"{tool} says {i}"])
               for r, i in enumerate(ids)],
        trace=trace or f"{tool}: {n}",
    )


def test_rrf_matches_ranx():
    from ranx import Run, fuse

    rnd = random.Random(7)
    rankings = {name: rnd.sample(range(200), 50) for name in ("bm25", "dense", "cf")}
    runs = [
        Run({"q": {str(i): float(len(r) - pos) for pos, i in enumerate(r)}}, name=name)
        for name, r in rankings.items()
    ]
    expected = fuse(runs=runs, norm=None, method="rrf", params={"k": RRF_K}).to_dict()["q"]
    ours = rrf(rankings)
    assert set(ours) == {int(i) for i in expected}
    for item_id, score in ours.items():
        assert score == pytest.approx(expected[str(item_id)])


def test_weighted_rrf():
    fused = rrf({"a": [1, 2], "b": [2, 1]}, weights={"a": 3.0, "b": 1.0})
    assert fused[1] > fused[2]
    assert rrf({"a": [1], "b": [2]}, weights={"a": 0.0}) == {2: 1 / (RRF_K + 1)}


def test_narrow_then_rank_keeps_only_candidates(ctx, item_ids):
    bus = CandidateBus(ctx, exclude_ids={item_ids[0]})
    bus.narrow(output("filter", item_ids[:10], "filter: 58 -> 10"))
    assert bus.candidates == item_ids[1:10]
    bus.add_ranking(output("bm25", [item_ids[20], item_ids[5], item_ids[3]]))
    assert bus.rankings["bm25"] == [item_ids[5], item_ids[3]]
    assert bus.trace[0] == "filter: 58 -> 10"


def test_fusion_orders_by_agreement_and_carries_evidence(ctx, item_ids):
    a, b, c = item_ids[:3]
    bus = CandidateBus(ctx)
    bus.add_ranking(output("bm25", [a, b, c]))
    bus.add_ranking(output("dense", [b, a, c]))
    bus.add_ranking(output("cf", [b, c, a]))
    fused = bus.fused()
    assert [s.item_id for s in fused] == [b, a, c]
    assert "bm25 says " + str(b) in fused[0].evidence and "cf says " + str(b) in fused[0].evidence
    assert bus.trace[-1].startswith("fuse (rrf over bm25, dense, cf)")


def test_without_rankings_the_prior_orders(ctx, item_ids):
    bus = CandidateBus(ctx)
    bus.narrow(output("filter", item_ids[:5]))
    assert [s.item_id for s in bus.fused(limit=3)] == item_ids[:3]


def test_mmr_prefers_variety():
    ids = [1, 2, 3]
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert mmr(ids, [1.0, 0.9, 0.5], vectors, k=2, lambda_=0.5) == [1, 3]
    assert mmr(ids, [1.0, 0.9, 0.5], vectors, k=2, lambda_=1.0) == [1, 2]
    assert mmr([], [], np.zeros((0, 2)), k=3, lambda_=0.7) == []


def test_diversify_without_vectors_keeps_order(ctx, item_ids):
    bus = CandidateBus(ctx)
    items = [ScoredItem(item_id=i, score=1.0) for i in item_ids[:5]]
    assert [s.item_id for s in bus.diversify(items, 3, vectors=None)] == item_ids[:3]


def test_diversify_spreads_the_head_and_keeps_relevance_after_it(ctx):
    """MMR picks the first DIVERSE_HEAD films; a longer list goes on in relevance order."""
    n = DIVERSE_HEAD + 10
    ids = list(range(1, n + 1))
    items = [ScoredItem(item_id=i, score=float(n - i)) for i in ids]
    # the two best films are near-copies of each other; the rest are all different
    vecs = {i: np.eye(n)[i - 1] for i in ids}
    vecs[2] = vecs[1]
    shown = [s.item_id for s in CandidateBus(ctx).diversify(
        items, n, lambda chosen: np.stack([vecs[i] for i in chosen]), 0.5)]
    assert shown[:2] == [1, 3]  # the near-copy waits
    assert sorted(shown) == ids  # nothing lost
    head = set(shown[:DIVERSE_HEAD])
    assert shown[DIVERSE_HEAD:] == [i for i in ids if i not in head]  # relevance order after


def test_verify_drops_unknown_excluded_and_violating(ctx, item_ids):
    bus = CandidateBus(ctx, exclude_ids={item_ids[1]})
    items = [ScoredItem(item_id=i, score=1.0) for i in [item_ids[0], item_ids[1], item_ids[2],
                                                        99_999_999]]
    kept = bus.verify(items, check=lambda ids: {item_ids[2]: ["runtime <= 90 min"]})
    assert [s.item_id for s in kept] == [item_ids[0]]
    assert bus.trace[-1] == (
        "verify: 4 -> 1 (1 already seen, rejected or shown; 1 violates runtime <= 90 min; "
        "1 not in the catalog)"
    )
