"""The CF benchmark: split, full ranking, ranx metrics checked by hand, the whole run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convrec.cf.data import Interactions
from convrec.cf.models import MODEL_NAMES, Popularity
from convrec.cf.selection import (
    GRIDS,
    Split,
    evaluate_scorer,
    rank_users,
    split_positives,
    top_columns,
)
from convrec.eval.bench_cf import run_cf_bench


def test_split_holds_out_a_fifth_of_each_users_positives():
    triples = []
    for user, n_pos in enumerate((10, 4, 7, 8, 5)):
        triples += [(user, 100 + i, 4.0 + (i % 2) / 2) for i in range(n_pos)]
        triples += [(user, 200 + i, 2.5) for i in range(3)]  # seen, not liked
    data = Interactions.from_triples(triples)
    split = split_positives(data, seed=0)

    assert {u: len(c) for u, c in split.test.items()} == {0: 2, 2: 1, 3: 2, 4: 1}  # 4 < 5
    np.testing.assert_array_equal(split.train.item_ids, data.item_ids)
    np.testing.assert_array_equal(split.train.user_ids, data.user_ids)
    full, train = data.ratings.toarray(), split.train.ratings.toarray()
    for u, cols in split.test.items():
        assert (full[u, cols] >= 4.0).all()  # held out: positives only
        assert (train[u, cols] == 0).all()  # and gone from train
    removed = (full > 0) & (train == 0)
    assert removed.sum() == sum(len(c) for c in split.test.values())
    assert (train[full < 4.0] == full[full < 4.0]).all()  # low ratings stay

    again = split_positives(data, seed=0)
    assert all(np.array_equal(again.test[u], c) for u, c in split.test.items())
    other = split_positives(data, seed=1)
    assert any(not np.array_equal(other.test[u], c) for u, c in split.test.items())


def test_top_columns_break_ties_by_column_and_skip_unrankable():
    scores = np.array([1.0, 3.0, 3.0, -np.inf, 2.0], dtype=np.float32)
    assert top_columns(scores, 2).tolist() == [1, 2]
    assert top_columns(scores, 10).tolist() == [1, 2, 4, 0]


def hand_split() -> Split:
    """Popularity in train: items 10 and 50 liked 4 times, 20 twice, 30 once, 40 never (so it
    cannot be ranked). User 3 saw 10 and 20 and holds out {30, 40}; user 4 saw 50 and holds
    out {20}."""
    train = Interactions.from_triples([
        (0, 10, 5.0), (0, 20, 4.0), (0, 50, 4.0), (0, 40, 1.0),
        (1, 10, 5.0), (1, 20, 4.5), (1, 50, 4.5),
        (2, 10, 4.0), (2, 30, 4.0), (2, 50, 4.0),
        (3, 10, 5.0), (3, 20, 2.0),
        (4, 50, 4.0),
    ])
    col = {int(i): c for c, i in enumerate(train.item_ids)}
    return Split(train, {3: np.array([col[30], col[40]]), 4: np.array([col[20]])})


def test_metrics_on_a_hand_computed_example():
    split = hand_split()
    model = Popularity().fit(split.train)
    col = {int(i): c for c, i in enumerate(split.train.item_ids)}
    ranked = rank_users(model, split.train, [3, 4], 10)
    assert ranked[3].tolist() == [col[50], col[30]]  # 10 and 20 were seen; 40 unrankable
    assert ranked[4].tolist() == [col[10], col[20], col[30]]

    metrics = evaluate_scorer(model, split, (1, 10))
    # user 3: one of two held-out items, at rank 2; user 4: its one item, at rank 2
    ndcg3 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    ndcg4 = 1 / math.log2(3)
    assert metrics["recall@1"] == pytest.approx(0.0)
    assert metrics["ndcg@1"] == pytest.approx(0.0)
    assert metrics["recall@10"] == pytest.approx((0.5 + 1.0) / 2)
    assert metrics["ndcg@10"] == pytest.approx((ndcg3 + ndcg4) / 2)


def test_bench_on_the_synthetic_catalog(synthetic_catalog):
    result = run_cf_bench(synthetic_catalog, seed=0)
    assert set(result["models"]) == set(MODEL_NAMES)
    assert result["best"] == max(result["models"],
                                 key=lambda n: result["models"][n]["validation_best"])
    protocol = result["protocol"]
    assert protocol["seed"] == 0 and protocol["positive_threshold"] == 4.0
    assert protocol["metrics"] == ["recall@10", "recall@20", "ndcg@10", "ndcg@20"]
    data = result["data"]
    assert data["users"] == 15
    assert data["train_positives"] + data["test_positives"] == data["positives"]
    for name, model in result["models"].items():
        assert set(model["metrics"]) == set(protocol["metrics"])
        assert all(0.0 <= v <= 1.0 for v in model["metrics"].values())
        assert len(model["validation"]) == len(GRIDS[name])
        best_validation = max(row["ndcg@10"] for row in model["validation"])
        chosen = [row for row in model["validation"] if row["params"] == model["params"]]
        assert chosen and chosen[0]["ndcg@10"] == best_validation

    again = run_cf_bench(synthetic_catalog, seed=0, models=("ease", "popularity"))
    for name in ("ease", "popularity"):
        assert again["models"][name]["metrics"] == result["models"][name]["metrics"]


def test_bench_refuses_unknown_models(synthetic_catalog):
    with pytest.raises(ValueError, match="svd"):
        run_cf_bench(synthetic_catalog, models=("svd",))


@pytest.mark.integration
def test_ease_beats_popularity_on_movielens(real_catalog):
    result = run_cf_bench(real_catalog, seed=0, models=("ease", "popularity"),
                          grids={"ease": [{"lam": 200.0}]})
    data = result["data"]
    assert (data["users"], data["items"]) == (610, 9723)
    assert data["test_users"] > 550
    ease, pop = result["models"]["ease"]["metrics"], result["models"]["popularity"]["metrics"]
    assert result["best"] == "ease"
    for metric in ("recall@10", "recall@20", "ndcg@10"):
        assert ease[metric] > 1.5 * pop[metric], metric
    assert 0.05 < pop["ndcg@10"] < ease["ndcg@10"] < 0.6
