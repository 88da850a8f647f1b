"""Model selection for CF: the held-out split, the validation grids, the ranx metrics.

`compare_models` runs every model through one fixed protocol (see its docstring) and returns
the figures and the best model by validation NDCG@10; `train_cf` ships that model and
`convrec bench cf` reports the comparison (`convrec.eval.bench_cf`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from convrec.catalog.db import Catalog
from convrec.cf.data import POSITIVE_THRESHOLD, Interactions, positions, training_matrix
from convrec.cf.models import MODEL_NAMES, Ease, ItemKnn, cosine, gram, make_model
from convrec.cf.scorer import ItemScorer
from convrec.progress import Progress

SELECT_METRIC = "ndcg@10"  # chooses hyper-parameters on validation and the shipped model
TEST_FRACTION = 0.2
MIN_USER_POSITIVES = 5
VALIDATION_SEED_OFFSET = 1  # the validation split uses seed + 1

# Light grids, tuned on the validation split only. EASE's lambda and ItemKNN's k share one
# Gram / cosine matrix across the grid. ALS's alpha is fixed at 4: a wider development sweep
# on the validation split (alpha 1 to 32, regularization 0.1 to 50) put it there, and the
# regularization ranges here come from that sweep too.
GRIDS: dict[str, list[dict[str, Any]]] = {
    "ease": [{"lam": lam} for lam in (100.0, 200.0, 400.0, 800.0)],
    "als": [
        {"factors": f, "regularization": r, "alpha": 4.0, "iterations": it}
        for f in (32, 64, 128) for r in (10.0, 30.0) for it in (15, 30)
    ],
    "itemknn": [{"k": k} for k in (20, 50, 100, 200, 400)],
    "popularity": [{}],
}


@dataclass(frozen=True)
class Split:
    """Training ratings and, per user row, the held-out positive columns."""

    train: Interactions
    test: dict[int, np.ndarray]


def split_positives(
    data: Interactions, *, seed: int, test_fraction: float = TEST_FRACTION,
    min_positives: int = MIN_USER_POSITIVES,
) -> Split:
    """Hold out a random `test_fraction` (rounded, at least one) of each user's positives.

    Users with fewer than `min_positives` positives keep everything in train. The held-out
    ratings leave the training matrix entirely; every other rating (low ones included) stays.
    Users and items (the columns) are the same in train as in `data`.
    """
    rng = np.random.default_rng(seed)
    r = data.ratings
    keep = np.ones(r.nnz, dtype=bool)
    test: dict[int, np.ndarray] = {}
    for u in range(r.shape[0]):
        lo, hi = r.indptr[u], r.indptr[u + 1]
        pos = lo + np.flatnonzero(r.data[lo:hi] >= POSITIVE_THRESHOLD)
        if len(pos) < min_positives:
            continue
        n_test = max(1, int(np.floor(test_fraction * len(pos) + 0.5)))
        chosen = np.sort(rng.choice(pos, n_test, replace=False))
        keep[chosen] = False
        test[u] = r.indices[chosen]
    rows = np.repeat(np.arange(r.shape[0]), np.diff(r.indptr))
    train = sp.csr_matrix((r.data[keep], (rows[keep], r.indices[keep])), shape=r.shape)
    train.sort_indices()
    return Split(data.with_ratings(train), test)


def top_columns(scores: np.ndarray, k: int) -> np.ndarray:
    """The columns of the k best finite scores, best first; ties go to the lower column."""
    cand = np.flatnonzero(np.isfinite(scores))
    if len(cand) > k:
        kth = np.partition(scores[cand], len(cand) - k)[len(cand) - k]
        cand = cand[scores[cand] >= kth]
    return cand[np.lexsort((cand, -scores[cand]))][:k]


def rank_users(
    model: ItemScorer, train: Interactions, rows: Sequence[int], k: int, batch: int = 256
) -> dict[int, np.ndarray]:
    """Each user's top-k columns of `train` (full ranking: every rated item except the ones the
    user rated in train; items the model does not know are not ranked)."""
    cols = positions(train.item_ids, model.item_ids)
    pos = train.positives()[:, cols].tocsr()
    r = train.ratings
    ranked: dict[int, np.ndarray] = {}
    for start in range(0, len(rows), batch):
        users = np.asarray(rows[start:start + batch], dtype=np.int64)
        scores = np.full((len(users), train.shape[1]), -np.inf, dtype=np.float32)
        scores[:, cols] = model.score_rows(pos[users])
        for i, u in enumerate(users):
            scores[i, r.indices[r.indptr[u]:r.indptr[u + 1]]] = -np.inf
            ranked[int(u)] = top_columns(scores[i], k)
    return ranked


def metric_names(ks: Sequence[int]) -> list[str]:
    return [f"recall@{k}" for k in ks] + [f"ndcg@{k}" for k in ks]


def evaluate_rankings(
    ranked: Mapping[int, np.ndarray], test: Mapping[int, np.ndarray], ks: Sequence[int]
) -> dict[str, float]:
    """Recall@k and NDCG@k (binary relevance) through ranx, mean over the users of `test`.

    Run scores are rank-derived (k, k-1, ...), so ranx sees exactly our order, ties included.
    """
    from ranx import Qrels, Run, evaluate  # deferred: ranx takes ~10 s to import (numba)

    qrels = Qrels({str(u): {str(int(c)): 1 for c in cols} for u, cols in test.items()})
    run = Run({
        str(u): {str(int(c)): float(len(ranked[u]) - r) for r, c in enumerate(ranked[u])}
        or {"none": 0.0}  # nothing rankable: the user still counts, with zeros
        for u in test
    })
    names = metric_names(ks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety warnings inside ranx
        result = evaluate(qrels, run, names)
    return {name: float(result[name]) for name in names}


def evaluate_scorer(model: ItemScorer, split: Split, ks: Sequence[int]) -> dict[str, float]:
    """A fitted model's metrics on a split (trained on split.train)."""
    ranked = rank_users(model, split.train, sorted(split.test), max(ks))
    return evaluate_rankings(ranked, split.test, ks)


def fitted_grid(
    name: str, train: Interactions, grid: Sequence[Mapping[str, Any]], *, seed: int = 0
) -> Iterator[tuple[dict[str, Any], ItemScorer]]:
    """Each point of the grid as a model fitted on `train` (EASE and ItemKNN share their
    Gram / cosine matrix across the grid)."""
    item_ids, x = training_matrix(train)
    shared = gram(x) if name == "ease" else cosine(x) if name == "itemknn" else None
    for point in grid:
        params = dict(point)
        if name == "als":
            params.setdefault("seed", seed)
        model = make_model(name, **params)
        if isinstance(model, Ease) and shared is not None:
            model.item_ids = item_ids
            model.fit_gram(shared.copy())
        elif isinstance(model, ItemKnn) and shared is not None:
            model.item_ids = item_ids
            model.fit_similarity(shared)
        else:
            model.fit(train)
        yield model.params, model


def tune(
    name: str, train: Interactions, *, seed: int, grid: Sequence[Mapping[str, Any]] | None = None,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The grid point with the best validation SELECT_METRIC (a split carved from `train`
    with seed + VALIDATION_SEED_OFFSET) and every point's figure, in grid order."""
    grid = GRIDS[name] if grid is None else grid
    validation = split_positives(train, seed=seed + VALIDATION_SEED_OFFSET)
    k = int(SELECT_METRIC.split("@")[1])
    table: list[dict[str, Any]] = []
    for n, (params, model) in enumerate(fitted_grid(name, validation.train, grid, seed=seed)):
        if progress:
            progress(f"cf bench: tuning {name}", n, len(grid))
        value = evaluate_scorer(model, validation, (k,))[SELECT_METRIC]
        table.append({"params": params, SELECT_METRIC: round(value, 5)})
    best = max(table, key=lambda row: row[SELECT_METRIC])  # first best on ties
    return best["params"], table


def compare_models(
    source: Catalog | Interactions, *, seed: int = 0, ks: Sequence[int] = (10, 20),
    models: Sequence[str] = MODEL_NAMES,
    grids: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Measure the CF models on the MovieLens ratings with one fixed protocol.

    * Positives: ratings >= 4.0 (one rating per user and catalog item: the max of its
      MovieLens ids).
    * Split: per user, a random 20% of the positives (rounded, at least one) is the test set
      (numpy default_rng(seed), users in id order); users with fewer than 5 positives stay
      in train only. Everything else is the training set, low ratings included.
    * Training: every model sees only the training positives, as binary implicit feedback
      (weight 1); ratings below 4.0 serve only to mark items as seen.
    * Tuning: hyper-parameters come from `GRIDS`, chosen by NDCG@10 on a validation split
      carved from the training set the same way (seed + 1); the test set is never looked
      at. The chosen point is then refitted on the whole training set.
    * Ranking: full ranking, per test user, over every rated catalog item minus the items
      the user rated in train (items a model cannot score are not ranked).
    * Metrics: Recall@k and NDCG@k for each k in `ks` (Recall@k = hits / held-out
      positives), computed with ranx (Qrels / Run / evaluate), mean over test users.
    * best: the model with the highest validation NDCG@10 at its tuned point (ties: the
      earlier in `models`). The test split is reported, never used to choose.

    `source` is a catalog, or its ratings already read (`Interactions`); `grids` replaces
    some models' grids of `GRIDS` (a smaller run, in tests).
    """
    started = time.perf_counter()
    ks = sorted({int(k) for k in ks} | {int(SELECT_METRIC.split("@")[1])})
    unknown = [m for m in models if m not in GRIDS]
    if unknown or not models:
        raise ValueError(f"unknown cf model(s) {unknown}; choose from {', '.join(GRIDS)}")
    data = source if isinstance(source, Interactions) else Interactions.from_catalog(source)
    split = split_positives(data, seed=seed)
    results = {
        name: measure_model(name, split, seed=seed, ks=ks,
                            grid=(grids or {}).get(name, GRIDS[name]), progress=progress)
        for name in models
    }
    best = max(results, key=lambda n: results[n]["validation_best"])
    return {
        "protocol": protocol(seed, ks),
        "data": data_summary(data, split),
        "models": results,
        "best": best,
        "seconds": round(time.perf_counter() - started, 1),
    }


def measure_model(
    name: str, split: Split, *, seed: int, ks: Sequence[int],
    grid: Sequence[Mapping[str, Any]], progress: Progress | None = None,
) -> dict[str, Any]:
    """One model tuned on the validation split, refitted on split.train, tested on split.test."""
    t0 = time.perf_counter()
    params, table = tune(name, split.train, seed=seed, grid=grid, progress=progress)
    t1 = time.perf_counter()
    if progress:
        progress(f"cf bench: testing {name}", 0, 1)
    _, model = next(fitted_grid(name, split.train, [params], seed=seed))
    t2 = time.perf_counter()
    metrics = evaluate_scorer(model, split, ks)
    t3 = time.perf_counter()
    return {
        "params": params,
        "metrics": {k: round(v, 5) for k, v in metrics.items()},
        "validation": table,
        "validation_best": max(row[SELECT_METRIC] for row in table),
        "items": len(model.item_ids),
        "tune_seconds": round(t1 - t0, 2),
        "fit_seconds": round(t2 - t1, 2),
        "eval_seconds": round(t3 - t2, 2),
    }


def protocol(seed: int, ks: Sequence[int]) -> dict[str, Any]:
    """The protocol of `compare_models`, in words, as the reports print it."""
    return {
        "positive_threshold": POSITIVE_THRESHOLD,
        "feedback": "binary: training positives only, weight 1; lower ratings mark "
                    "items as seen",
        "split": f"per-user random {TEST_FRACTION:.0%} of positives held out (at least 1); "
                 f"users with < {MIN_USER_POSITIVES} positives in train only",
        "seed": seed,
        "validation": f"same split of the training positives, seed {seed + 1}; "
                      f"grid point with the best validation {SELECT_METRIC}, "
                      "refitted on all training ratings",
        "ranking": "full: every rated item minus the user's training items",
        "metrics": metric_names(ks),
        "metric_library": "ranx (Qrels/Run/evaluate), mean over test users",
        "selection": f"best validation {SELECT_METRIC} (test never used to choose)",
    }


def data_summary(data: Interactions, split: Split) -> dict[str, int]:
    """The sizes of the ratings and of the split."""
    return {
        "users": int(data.shape[0]),
        "items": int(data.shape[1]),
        "ratings": int(data.ratings.nnz),
        "positives": int(data.positives().nnz),
        "train_positives": int(split.train.positives().nnz),
        "test_users": len(split.test),
        "test_positives": int(sum(len(v) for v in split.test.values())),
    }
