"""rank_cf: collaborative filtering over the MovieLens ratings, and the item scorers behind it.

Feedback. A rating >= 4.0 (`POSITIVE_THRESHOLD`) is a positive; every model learns from the
positives only, as binary implicit feedback (1 per positive, the rating value is not used).
Lower ratings are not a training signal, but they still mean "seen": rank_cf leaves every
film the user rated out of its results, and the benchmark leaves them out of the ranking.
A user who rated two MovieLens ids of one catalog film counts once, with the higher rating.

Item space. A fitted model knows the catalog items with at least one positive in its
training data (`ItemScorer.item_ids`); nothing in the ratings says who would like any other
film. Candidates outside that space (TMDB-only or ReDial-only films, films nobody rated 4 or
more) get a neutral score one below the lowest CF score of the call, so they rank after
every scored film and never crash the tool.

Models, side by side behind one interface (`ItemScorer.fit(interactions)`,
`ItemScorer.score(history, item_ids)`):

* EASE (Steck 2019): B = I - P / diag(P), P = (X'X + lambda I)^-1, diag(B) = 0; a user's
  scores are x B. Closed form in float32; lambda is tuned on a validation split.
* ALS: `implicit.cpu.als` with confidence alpha on the positives (2 threads). Users, known
  or new, are folded in with `recalculate_user` on their history row, so a known rater and
  a new "I loved X and Y" user are scored the same way.
* ItemKNN: cosine similarity of the binarised item columns, each item keeping its k most
  similar items; a user's score is the sum of the similarities to the items they liked.
* Popularity: the number of positives; also the fallback when there is no history at all.

Every model but popularity is additive over the history items (EASE, ItemKNN exactly; ALS
through the fold-in's linear solve), so `contributions` splits a score into one term per
liked film, and the evidence names the largest: "liked by people who liked Heat (1995)
and Ronin (1998)".

`train_cf` measures the four on the benchmark (`convrec.eval.bench_cf`), ships the best by
validation NDCG@10 (or the model asked for), fitted on all the ratings with the hyper-parameters
tuned there, and records the choice and its figures in the manifest.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self, TypeAlias

import numpy as np
import scipy.sparse as sp
from pydantic import Field
from scipy.linalg import lapack

from convrec.catalog.db import Catalog
from convrec.errors import ConvrecError
from convrec.tools import indexes
from convrec.tools.base import ScoredItem, ToolArgs, ToolArgumentError, ToolOutput, parse_user_ref
from convrec.tools.context import ToolContext

NAME = "cf"
VERSION = 1
POSITIVE_THRESHOLD = 4.0
THREADS = 2  # implicit's ALS threads (the machines here have 2 cores)
MODEL_FILE = "model.npz"
POPULARITY_FILE = "popularity.npz"
EVIDENCE_ITEMS = 2  # liked films named in "liked by people who liked ..."

Progress = Callable[[str, int, int], None]
HistoryLike: TypeAlias = sp.spmatrix | sp.sparray | Mapping[int, float] | Iterable[int]
"""A history: a sparse matrix over the model's columns (one row per user), or catalog item ids
(a list: weight 1 each; a mapping: id -> weight). Ids the model does not know are ignored."""


# ------------------------------------------------------------------ data


@dataclass(frozen=True)
class Interactions:
    """The ratings as a users x items matrix (catalog item ids, max rating per user and item)."""

    user_ids: np.ndarray  # int64 MovieLens user ids, one per row, ascending
    item_ids: np.ndarray  # int64 catalog item ids, one per column, ascending
    ratings: sp.csr_matrix  # float32; an absent entry means "not rated"

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Interactions:
        rows = catalog.query(
            "SELECT user_id, item_id, MAX(rating) FROM ratings GROUP BY user_id, item_id"
        )
        return cls.from_triples((r[0], r[1], r[2]) for r in rows)

    @classmethod
    def from_triples(cls, triples: Iterable[tuple[int, int, float]]) -> Interactions:
        """(user id, item id, rating) rows; a repeated (user, item) keeps its highest rating."""
        data = np.array(list(triples), dtype=np.float64).reshape(-1, 3)
        if len(data) and data[:, 2].min() <= 0:
            raise ValueError("ratings must be positive (0 means 'not rated')")
        users, u = np.unique(data[:, 0].astype(np.int64), return_inverse=True)
        items, i = np.unique(data[:, 1].astype(np.int64), return_inverse=True)
        order = np.lexsort((data[:, 2], i, u))
        u, i, r = u[order], i[order], data[order, 2]
        last = np.ones(len(u), dtype=bool)  # the last of each (u, i) run has the max rating
        last[:-1] = (u[1:] != u[:-1]) | (i[1:] != i[:-1])
        matrix = sp.csr_matrix(
            (r[last].astype(np.float32), (u[last], i[last])), shape=(len(users), len(items))
        )
        matrix.sort_indices()
        return cls(users, items, matrix)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.user_ids), len(self.item_ids))

    def positives(self, threshold: float = POSITIVE_THRESHOLD) -> sp.csr_matrix:
        """Binary float32 matrix of the ratings >= threshold."""
        pos = self.ratings.copy()
        pos.data = (pos.data >= threshold).astype(np.float32)
        pos.eliminate_zeros()
        return pos

    def with_ratings(self, ratings: sp.csr_matrix) -> Interactions:
        """The same users and items with other ratings (a train split keeps every column)."""
        return Interactions(self.user_ids, self.item_ids, ratings.tocsr())


def training_matrix(interactions: Interactions) -> tuple[np.ndarray, sp.csr_matrix]:
    """The item ids a model trained on `interactions` knows (those with a positive) and the
    binary users x those-items matrix it learns from."""
    pos = interactions.positives()
    keep = np.flatnonzero(np.bincount(pos.indices, minlength=pos.shape[1]) > 0)
    return interactions.item_ids[keep], pos[:, keep].tocsr()


def positions(sorted_ids: np.ndarray, ids: Iterable[int] | np.ndarray) -> np.ndarray:
    """Index of each id in `sorted_ids`, -1 where absent."""
    ids = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64)
    if len(sorted_ids) == 0 or len(ids) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == ids, pos, -1)


# ------------------------------------------------------------------ models


class ItemScorer(ABC):
    """An item scorer trained on positive feedback; see the module docstring.

    Constructor defaults are the values the benchmark tuned on MovieLens (ml-latest-small);
    `train_cf` always passes the tuned values explicitly.
    """

    name: ClassVar[str]

    def __init__(self) -> None:
        self.item_ids = np.empty(0, dtype=np.int64)  # the columns, ascending catalog ids

    @property
    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The hyper-parameters (JSON-able), as the constructor takes them."""

    def fit(self, interactions: Interactions) -> Self:
        """Learn from the positives of `interactions`, on the items that have at least one."""
        self.item_ids, x = training_matrix(interactions)
        self._fit(x)
        return self

    @abstractmethod
    def _fit(self, x: sp.csr_matrix) -> None:
        """Fit on a binary users x items matrix whose columns are `self.item_ids`."""

    @abstractmethod
    def score_rows(self, h: sp.csr_matrix, cols: np.ndarray | None = None) -> np.ndarray:
        """Scores (users x len(cols), float32) of histories `h` (rows over this model's
        columns) for the columns `cols` (all when None). Only those columns are computed."""

    @abstractmethod
    def contributions(self, h: sp.csr_matrix, cols: np.ndarray) -> np.ndarray:
        """For a one-row history: how much each history item (rows, in the order of
        `h.indices`) adds to each column's score; a column's terms sum to its score."""

    def _arrays(self) -> dict[str, np.ndarray]:
        return {}

    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:  # noqa: B027 (optional)
        """Restore what `_arrays` saved."""

    def columns(self, item_ids: Iterable[int] | np.ndarray) -> np.ndarray:
        """This model's column of each catalog id, -1 for ids it does not know."""
        return positions(self.item_ids, item_ids)

    def history(self, history: HistoryLike) -> sp.csr_matrix:
        """A history as rows over this model's columns (see `HistoryLike`)."""
        if isinstance(history, sp.spmatrix | sp.sparray):
            h = sp.csr_matrix(history, dtype=np.float32)
            if h.shape[1] != len(self.item_ids):
                raise ValueError(f"history has {h.shape[1]} columns, model has "
                                 f"{len(self.item_ids)}")
        else:
            weights: dict[int, float] = (dict(history) if isinstance(history, Mapping)
                                         else dict.fromkeys(history, 1.0))
            ids = np.fromiter((int(i) for i in weights), dtype=np.int64, count=len(weights))
            vals = np.fromiter((float(v) for v in weights.values()), dtype=np.float32,
                               count=len(weights))
            cols = self.columns(ids)
            known = (cols >= 0) & (vals != 0)
            h = sp.csr_matrix((vals[known], (np.zeros(known.sum(), dtype=np.int64),
                                              cols[known])), shape=(1, len(self.item_ids)))
        h.sum_duplicates()
        h.sort_indices()
        return h

    def score(self, history: HistoryLike, item_ids: Iterable[int] | None = None) -> np.ndarray:
        """Scores of `item_ids` (catalog ids; all this model's items when None) for a history.

        A sparse history gives one row of scores per history row, ids give one vector.
        Items the model does not know score -inf.
        """
        h = self.history(history)
        if item_ids is None:
            out = self.score_rows(h)
        else:
            cols = self.columns(item_ids)
            known = cols >= 0
            out = np.full((h.shape[0], len(cols)), -np.inf, dtype=np.float32)
            if known.any():
                out[:, known] = self.score_rows(h, cols[known])
        is_matrix = isinstance(history, sp.spmatrix | sp.sparray)
        return out if is_matrix else out[0]

    def save(self, path: Path) -> None:
        arrays: dict[str, Any] = {"kind": np.array(self.name),
                                  "params": np.array(json.dumps(self.params)),
                                  "item_ids": self.item_ids, **self._arrays()}
        np.savez(path, **arrays)


def _spd_inverse(g: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive-definite matrix through its Cholesky factor (LAPACK
    potrf + potri, about twice as fast as a general inverse); `g` is overwritten."""
    potrf, potri = lapack.get_lapack_funcs(("potrf", "potri"), (g,))
    chol, info = potrf(g, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise ConvrecError(f"EASE: the regularised Gram matrix is not positive definite ({info})")
    inv, info = potri(chol, lower=False, overwrite_c=True)
    if info != 0:
        raise ConvrecError(f"EASE: inverting the Gram matrix failed ({info})")
    upper = np.triu(inv)
    upper += np.triu(inv, 1).T
    return upper


def gram(x: sp.csr_matrix) -> np.ndarray:
    """X'X as a dense float32 matrix."""
    return np.asarray((x.T @ x).toarray(), dtype=np.float32)


class Ease(ItemScorer):
    name = "ease"

    def __init__(self, lam: float = 200.0) -> None:
        super().__init__()
        self.lam = float(lam)
        self.weights = np.zeros((0, 0), dtype=np.float32)  # B, items x items

    @property
    def params(self) -> dict[str, Any]:
        return {"lam": self.lam}

    def _fit(self, x: sp.csr_matrix) -> None:
        self.fit_gram(gram(x))

    def fit_gram(self, g: np.ndarray) -> None:
        """Fit from X'X (overwritten), so a lambda grid shares one Gram matrix."""
        g[np.diag_indices_from(g)] += self.lam
        p = _spd_inverse(g)
        p /= -np.diag(p)  # column j divided by -P_jj
        np.fill_diagonal(p, 0.0)
        self.weights = p.astype(np.float32, copy=False)

    def score_rows(self, h: sp.csr_matrix, cols: np.ndarray | None = None) -> np.ndarray:
        if cols is None:
            return np.asarray(h @ self.weights, dtype=np.float32)
        if h.shape[0] == 1:  # one user: only the rows of their items, only the asked columns
            return (h.data @ self.weights[np.ix_(h.indices, cols)])[None, :]
        used = np.unique(h.indices)
        return np.asarray(h[:, used] @ self.weights[np.ix_(used, cols)], dtype=np.float32)

    def contributions(self, h: sp.csr_matrix, cols: np.ndarray) -> np.ndarray:
        return h.data[:, None] * self.weights[np.ix_(h.indices, cols)]

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights}

    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.weights = arrays["weights"]


class Als(ItemScorer):
    name = "als"

    def __init__(self, factors: int = 128, regularization: float = 30.0, alpha: float = 4.0,
                 iterations: int = 30, seed: int = 0) -> None:
        super().__init__()
        self.factors = int(factors)
        self.regularization = float(regularization)
        self.alpha = float(alpha)
        self.iterations = int(iterations)
        self.seed = int(seed)
        self._model: Any = None

    @property
    def params(self) -> dict[str, Any]:
        return {"factors": self.factors, "regularization": self.regularization,
                "alpha": self.alpha, "iterations": self.iterations, "seed": self.seed}

    def _new_model(self) -> Any:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        # implicit warns unless BLAS is single-threaded while it builds and fits (its own
        # threads do the parallel work)
        with threadpool_limits(1, "blas"):
            return AlternatingLeastSquares(
                factors=self.factors, regularization=self.regularization, alpha=self.alpha,
                iterations=self.iterations, num_threads=THREADS, random_state=self.seed,
            )

    def _fit(self, x: sp.csr_matrix) -> None:
        from threadpoolctl import threadpool_limits

        model = self._new_model()
        with threadpool_limits(1, "blas"):
            model.fit(x, show_progress=False)
        self._model = model

    @property
    def item_factors(self) -> np.ndarray:
        return np.asarray(self._model.item_factors)

    def user_factors(self, h: sp.csr_matrix) -> np.ndarray:
        """Fold users in: the least-squares user factors for the history rows `h`."""
        # A thread team costs more than it saves for a few users, and OpenMP's spin-waiting
        # threads made a one-user fold-in take ~20 ms instead of ~0.1 ms on a busy 2-core box.
        self._model.num_threads = THREADS if h.shape[0] >= 64 else 1
        factors = self._model.recalculate_user(np.arange(h.shape[0]), h)
        return np.asarray(factors, dtype=np.float32).reshape(h.shape[0], self.factors)

    def score_rows(self, h: sp.csr_matrix, cols: np.ndarray | None = None) -> np.ndarray:
        y = self.item_factors if cols is None else self.item_factors[cols]
        return self.user_factors(h) @ y.T

    def contributions(self, h: sp.csr_matrix, cols: np.ndarray) -> np.ndarray:
        # The fold-in solves A u = sum_j c_j y_j with A = Y'Y + sum_j (c_j - 1) y_j y_j' +
        # reg I and c_j = alpha * h_j, so score_i = y_i' u = sum_j c_j y_i' A^-1 y_j.
        y = self.item_factors.astype(np.float64)
        yh = y[h.indices]
        conf = self.alpha * h.data.astype(np.float64)
        a = y.T @ y + (yh.T * (conf - 1.0)) @ yh + self.regularization * np.eye(self.factors)
        terms = yh @ np.linalg.solve(a, y[cols].T)  # history x cols
        return (conf[:, None] * terms).astype(np.float32)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"item_factors": self.item_factors}

    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        model = self._new_model()
        model.item_factors = np.ascontiguousarray(arrays["item_factors"], dtype=np.float32)
        model.user_factors = np.zeros((1, self.factors), dtype=np.float32)
        self._model = model


class ItemKnn(ItemScorer):
    name = "itemknn"

    def __init__(self, k: int = 100) -> None:
        super().__init__()
        self.k = int(k)
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)  # rows: liked, cols: scored

    @property
    def params(self) -> dict[str, Any]:
        return {"k": self.k}

    def _fit(self, x: sp.csr_matrix) -> None:
        self.fit_similarity(cosine(x))

    def fit_similarity(self, sim: np.ndarray) -> None:
        """Keep each item's k nearest neighbours of a dense item-item cosine matrix (a k grid
        shares one matrix; `sim` is not changed)."""
        n = sim.shape[0]
        k = min(self.k, max(n - 1, 0))
        data: list[np.ndarray] = [np.zeros(0, dtype=np.float32)]
        rows: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        cols: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        for start in range(0, n if k else 0, 1024):  # column blocks bound the memory
            block = sim[:, start:start + 1024]
            best = np.argpartition(-block, k - 1, axis=0)[:k]  # k best rows of each column
            where = np.broadcast_to(np.arange(block.shape[1]), best.shape)
            vals = block[best, where]
            keep = vals > 0
            data.append(vals[keep])
            rows.append(best[keep])
            cols.append(where[keep] + start)
        self.similarity = sp.csr_matrix(
            (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n, n), dtype=np.float32)

    def score_rows(self, h: sp.csr_matrix, cols: np.ndarray | None = None) -> np.ndarray:
        scores = np.asarray((h @ self.similarity).toarray(), dtype=np.float32)
        return scores if cols is None else scores[:, cols]

    def contributions(self, h: sp.csr_matrix, cols: np.ndarray) -> np.ndarray:
        sub = self.similarity[h.indices][:, cols].toarray()
        return h.data[:, None] * sub

    def _arrays(self) -> dict[str, np.ndarray]:
        s = self.similarity
        return {"sim_data": s.data, "sim_indices": s.indices, "sim_indptr": s.indptr}

    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        n = len(self.item_ids)
        self.similarity = sp.csr_matrix(
            (arrays["sim_data"], arrays["sim_indices"], arrays["sim_indptr"]), shape=(n, n))


def cosine(x: sp.csr_matrix) -> np.ndarray:
    """Dense item-item cosine similarity of binary columns, zero diagonal."""
    g = gram(x)
    norms = np.sqrt(np.diag(g)).copy()
    norms[norms == 0] = 1.0
    g /= norms[:, None]
    g /= norms[None, :]
    np.fill_diagonal(g, 0.0)
    return g


class Popularity(ItemScorer):
    name = "popularity"

    def __init__(self) -> None:
        super().__init__()
        self.counts = np.zeros(0, dtype=np.float32)  # positives per item

    @property
    def params(self) -> dict[str, Any]:
        return {}

    def _fit(self, x: sp.csr_matrix) -> None:
        self.counts = np.asarray(x.sum(axis=0), dtype=np.float32).ravel()

    def score_rows(self, h: sp.csr_matrix, cols: np.ndarray | None = None) -> np.ndarray:
        counts = self.counts if cols is None else self.counts[cols]
        return np.broadcast_to(counts, (h.shape[0], len(counts))).copy()

    def contributions(self, h: sp.csr_matrix, cols: np.ndarray) -> np.ndarray:
        return np.zeros((0, len(cols)), dtype=np.float32)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts}

    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.counts = arrays["counts"]


MODELS: dict[str, type[ItemScorer]] = {
    m.name: m for m in (Ease, Als, ItemKnn, Popularity)
}
MODEL_NAMES: tuple[str, ...] = tuple(MODELS)


def make_model(name: str, **params: Any) -> ItemScorer:
    if name not in MODELS:
        raise ConvrecError(f"unknown cf model {name!r}; choose from {', '.join(MODELS)}")
    return MODELS[name](**params)


def load_model(path: Path) -> ItemScorer:
    """A model saved with `ItemScorer.save`."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    model = make_model(str(arrays.pop("kind")), **json.loads(str(arrays.pop("params"))))
    model.item_ids = arrays.pop("item_ids")
    model._load_arrays(arrays)
    return model


# ------------------------------------------------------------------ training


def train_cf(
    catalog: Catalog, index_dir: Path, *, model: str = "auto", force: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train the CF ranker and save it under index_dir/"cf" unless it is current.

    `model` is "auto" (run the benchmark over every model and ship the best by NDCG@10) or
    one model's name (benchmarked alone, for its tuned hyper-parameters and figures). The
    shipped model is fitted on all the ratings with the hyper-parameters tuned on the
    benchmark's validation split; the popularity model is saved beside it as the fallback.
    Returns a summary: built (False when already current), model, its figures, items, bytes.
    """
    if model != "auto" and model not in MODELS:
        raise ConvrecError(f"unknown cf model {model!r}; choose auto, {', '.join(MODELS)}")
    folder = Path(index_dir) / NAME
    manifest = indexes.read_manifest(folder)
    if (not force and manifest is not None and manifest.get("requested") == model
            and indexes.is_current(folder, catalog, VERSION)):
        return {"index": NAME, "built": False, "folder": str(folder), **_summary(manifest)}

    from convrec.eval.bench_cf import SELECT_METRIC, run_cf_bench

    started = time.perf_counter()
    report = progress or (lambda _d, _n, _t: None)
    (folder / indexes.MANIFEST).unlink(missing_ok=True)  # an interrupted build is not current
    report("cf: reading the ratings", 0, 1)
    data = Interactions.from_catalog(catalog)
    if data.ratings.nnz == 0:
        raise ConvrecError("the catalog has no ratings; cf needs the MovieLens ratings")
    names = MODEL_NAMES if model == "auto" else (model,)
    bench = run_cf_bench(data, models=names, progress=progress)
    chosen = bench["best"] if model == "auto" else model
    params = bench["models"][chosen]["params"]

    report(f"cf: fitting {chosen} on all ratings", 0, 1)
    fit_started = time.perf_counter()
    scorer = make_model(chosen, **params).fit(data)
    fit_seconds = time.perf_counter() - fit_started
    figures = {name: result["metrics"] for name, result in bench["models"].items()}
    summary = save_cf(
        folder, catalog, scorer, Popularity().fit(data), started=started, requested=model,
        selection=(f"best validation {SELECT_METRIC} of {', '.join(names)} on the benchmark"
                   if model == "auto" else "asked for"),
        fit_seconds=round(fit_seconds, 2),
        **{SELECT_METRIC: figures[chosen][SELECT_METRIC]},
        users=len(data.user_ids), positives=int(data.positives().nnz),
        benchmark={"protocol": bench["protocol"], "metrics": figures,
                   "params": {n: r["params"] for n, r in bench["models"].items()},
                   "validation": {n: r["validation_best"] for n, r in bench["models"].items()},
                   "seconds": bench["seconds"]},
    )
    report("cf: done", 1, 1)
    return {"index": NAME, "built": True, "folder": str(folder), **summary}


def save_cf(
    folder: Path, catalog: Catalog, model: ItemScorer, popularity: ItemScorer, *,
    started: float | None = None, **extra: Any,
) -> dict[str, Any]:
    """Write fitted models as the ranker `load_cf` reads, manifest last; returns the summary
    (model, items, bytes, seconds and `extra` but its nested values) also in the manifest."""
    folder = Path(folder)
    (folder / indexes.MANIFEST).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / MODEL_FILE)
    popularity.save(folder / POPULARITY_FILE)
    seconds = time.perf_counter() - started if started is not None else 0.0
    record = {"model": model.name, "params": model.params, "items": len(model.item_ids),
              "bytes": sum(p.stat().st_size for p in folder.glob("*.npz")), **extra}
    indexes.write_manifest(folder, catalog, VERSION, seconds, **record)
    return {"seconds": round(seconds, 2),
            **{k: v for k, v in record.items() if not isinstance(v, dict)}}


def _summary(manifest: Mapping[str, Any]) -> dict[str, Any]:
    from convrec.eval.bench_cf import SELECT_METRIC

    keys = ("model", "selection", SELECT_METRIC, "items", "users", "positives", "fit_seconds",
            "bytes", "build_seconds")
    return {k: manifest.get(k) for k in keys}


# ------------------------------------------------------------------ the loaded ranker


@dataclass(frozen=True)
class CfRanker:
    """The shipped model and the popularity fallback, as loaded from index_dir/"cf"."""

    model: ItemScorer
    popularity: ItemScorer
    manifest: Mapping[str, Any]

    @classmethod
    def load(cls, folder: Path) -> CfRanker:
        folder = Path(folder)
        manifest = indexes.read_manifest(folder)
        if manifest is None:
            raise ConvrecError(f"no cf model at {folder}; train it with `convrec cf train`")
        try:
            return cls(load_model(folder / MODEL_FILE), load_model(folder / POPULARITY_FILE),
                       manifest)
        except (OSError, ValueError, KeyError) as exc:
            raise ConvrecError(f"the cf model at {folder} is unreadable ({exc}); retrain it "
                               "with `convrec cf train --force`") from None


def load_cf(ctx: ToolContext) -> CfRanker:
    """The process-wide CF ranker (loaded once; refuses a model of another catalog)."""

    def loader() -> CfRanker:
        folder = ctx.index_dir / NAME
        if indexes.read_manifest(folder) is not None and not indexes.is_current(
            folder, ctx.catalog, VERSION
        ):
            raise ConvrecError(
                f"the cf model at {folder} was trained on another catalog or format; "
                "retrain it with `convrec cf train`"
            )
        return CfRanker.load(folder)

    return ctx.resources.get(NAME, loader)


# ------------------------------------------------------------------ the tool


class CfArgs(ToolArgs):
    """Rank films by collaborative filtering: films liked by people with the same taste."""

    liked_ids: list[int] = Field(
        default_factory=list, max_length=100,
        description="Catalog ids of films the user says they loved ('I loved X and Y'). "
        "Added to the session user's own MovieLens ratings when there are some.",
    )
    k: int = Field(default=20, ge=1, le=1000, description="How many items to return.")
    include_seen: bool = Field(
        default=False,
        description="Also rank films the user already rated or listed as liked "
        "(normally they are left out).",
    )


@dataclass(frozen=True)
class _Facts:
    label: str
    rating_mean: float | None
    rating_count: int


def _facts(catalog: Catalog, ids: Iterable[int]) -> dict[int, _Facts]:
    ids = list(dict.fromkeys(int(i) for i in ids))
    facts: dict[int, _Facts] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for r in catalog.query(
            f"SELECT item_id, title, year, rating_mean, rating_count FROM items "
            f"WHERE item_id IN ({marks})", chunk,
        ):
            label = f"{r['title']} ({r['year']})" if r["year"] else r["title"]
            facts[r["item_id"]] = _Facts(label, r["rating_mean"], r["rating_count"])
    return facts


def _join(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _user_ratings(ctx: ToolContext, notes: list[str]) -> dict[int, float]:
    """The session user's MovieLens ratings (item id -> max rating); empty with a note when
    the user has none."""
    if ctx.user_id is None:
        return {}
    kind, key = parse_user_ref(ctx.user_id)
    if kind != "ml":
        notes.append(f"{ctx.user_id} has no MovieLens ratings")
        return {}
    rows = ctx.catalog.query(
        "SELECT item_id, MAX(rating) FROM ratings WHERE user_id = ? GROUP BY item_id",
        [int(key)],
    )
    if not rows:
        notes.append(f"no MovieLens ratings for {ctx.user_id}")
    return {int(r[0]): float(r[1]) for r in rows}


def rank_cf(
    args: CfArgs, ctx: ToolContext, *, candidates: Collection[int] | None = None
) -> ToolOutput:
    """Score candidates (when None: every film the model can score) by collaborative filtering.

    The history is the session user's positive MovieLens ratings plus `liked_ids`; with no
    usable history the films are ranked by popularity (and a note says so). The user's rated
    films and the liked films are left out unless `include_seen`. Candidates the model cannot
    score (no positive ratings) rank after every scored one, with a neutral score.
    """
    ranker = load_cf(ctx)
    notes: list[str] = []
    liked = list(dict.fromkeys(args.liked_ids))
    in_catalog = ctx.catalog.exists(liked)
    unknown = [i for i in liked if i not in in_catalog]
    if unknown:
        raise ToolArgumentError(
            f"rank_cf: liked_ids {', '.join(map(str, unknown))} are not catalog items")
    rated = _user_ratings(ctx, notes)
    history = {i: 1.0 for i, r in rated.items() if r >= POSITIVE_THRESHOLD}
    history.update(dict.fromkeys(liked, 1.0))

    model = ranker.model
    h = model.history(history)
    unusable = [i for i in liked if model.columns([i])[0] < 0]
    if h.nnz == 0:
        model = ranker.popularity
        h = model.history({})
        if unusable:
            notes.append("none of the liked films has positive MovieLens ratings to learn "
                         "from; ranked by popularity")
        else:
            notes.append("no liked films and no positive ratings to go on; ranked by "
                         "popularity")
    elif unusable:
        notes.append(f"{len(unusable)} liked film(s) have no positive MovieLens ratings and "
                     "do not inform cf")

    exclude = set() if args.include_seen else set(rated) | set(liked)
    if candidates is None:
        pool = model.item_ids
    else:
        pool = np.fromiter(dict.fromkeys(int(c) for c in candidates), dtype=np.int64)
    if exclude and len(pool):
        pool = pool[~np.isin(pool, np.fromiter(exclude, dtype=np.int64))]

    scores = model.score(h, pool)[0] if len(pool) else np.zeros(0, dtype=np.float32)
    known = np.isfinite(scores)
    n_known = int(known.sum())
    neutral = float(scores[known].min()) - 1.0 if n_known else 0.0
    scores = np.where(known, scores, neutral).astype(np.float64)
    order = np.lexsort((pool, ~known, -scores))[: args.k]
    top_ids = pool[order]

    evidence = _evidence(ctx.catalog, model, h, top_ids, known[order])
    items = [
        ScoredItem(item_id=int(i), score=float(f"{scores[o]:.6g}"), evidence=evidence[int(i)])
        for i, o in zip(top_ids, order, strict=True)
    ]
    if len(pool) - n_known:
        notes.append(f"{len(pool) - n_known:,} candidate(s) have no positive MovieLens ratings;"
                     " ranked after every scored film")
    trace = ("cf: popularity fallback" if model is ranker.popularity
             else f"cf ({model.name}): {n_known:,} scored")
    return ToolOutput(tool="rank_cf", items=items, trace=trace, notes=notes)


def _evidence(catalog: Catalog, model: ItemScorer, h: sp.csr_matrix, top_ids: np.ndarray,
              known: np.ndarray) -> dict[int, list[str]]:
    """One evidence line per shown film: its top contributing liked films, or its MovieLens
    popularity, or why cf could not score it."""
    cols = model.columns(top_ids[known])
    because: dict[int, list[int]] = {}
    if isinstance(model, Popularity) or not len(cols):
        pass
    else:
        hist_ids = model.item_ids[h.indices]
        terms = model.contributions(h, cols)  # history x shown
        for j, item_id in enumerate(top_ids[known]):
            best = np.argsort(-terms[:, j], kind="stable")[:EVIDENCE_ITEMS]
            because[int(item_id)] = [int(hist_ids[b]) for b in best if terms[b, j] > 0]
    facts = _facts(catalog, [*top_ids.tolist(), *(i for ids in because.values() for i in ids)])
    out: dict[int, list[str]] = {}
    for item_id, is_known in zip(top_ids.tolist(), known.tolist(), strict=True):
        fact = facts.get(item_id)
        if not is_known:
            has_ratings = fact is not None and fact.rating_count > 0
            out[item_id] = ["no positive MovieLens ratings: cf cannot score it" if has_ratings
                            else "no MovieLens ratings: cf cannot score it"]
        elif item_id in because:
            names = [facts[i].label for i in because[item_id] if i in facts]
            out[item_id] = [f"liked by people who liked {_join(names)}"] if names else []
        elif fact is not None and fact.rating_count:
            mean = f"{fact.rating_mean:.1f} avg, " if fact.rating_mean is not None else ""
            out[item_id] = [f"popular with MovieLens raters ({mean}{fact.rating_count:,} "
                            "ratings)"]
        else:
            out[item_id] = []
    return out
