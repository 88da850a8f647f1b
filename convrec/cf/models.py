"""The CF models side by side: EASE, implicit ALS, ItemKNN and popularity.

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
liked film.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from convrec.cf.scorer import ItemScorer
from convrec.errors import ConvrecError

THREADS = 2  # implicit's ALS threads (the machines here have 2 cores)


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
        from implicit.cpu.als import AlternatingLeastSquares  # deferred: ~1.5 s to import
        from threadpoolctl import threadpool_limits  # deferred: ~80 ms to import

        # implicit warns unless BLAS is single-threaded while it builds and fits (its own
        # threads do the parallel work)
        with threadpool_limits(1, "blas"):
            return AlternatingLeastSquares(
                factors=self.factors, regularization=self.regularization, alpha=self.alpha,
                iterations=self.iterations, num_threads=THREADS, random_state=self.seed,
            )

    def _fit(self, x: sp.csr_matrix) -> None:
        from threadpoolctl import threadpool_limits  # deferred: ~80 ms to import

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
    """Item-item cosine kNN: each scored item keeps its k most similar (liked) items.

    Not `implicit.nearest_neighbours.CosineRecommender`: that one keeps, per *liked* item, its
    K most similar items, itself included, and its figures differ. Measured with the bench's
    protocol (`compare_models(catalog, seed=0, models=["itemknn"])`, ml-latest-small, default
    grid; validation ndcg@10 / test ndcg@10, ndcg@20, recall@10, recall@20):
    ours (k=100) 0.1780 / 0.2806, 0.2816, 0.1835, 0.2582; implicit as is (best K=400)
    0.1568 / 0.2541, 0.2579, 0.1787, 0.2470; implicit transposed to our orientation with
    K=k+1 for its self-similarity (k=100) 0.1775 / 0.2810, 0.2820, 0.1842, 0.2589. The rest
    of the gap is ties: in 4,275 of the 5,750 columns of the k=100 fit, the k-th and
    (k+1)-th similarities are equal, so which neighbours are kept depends on how the top-k
    selection orders ties (ours: numpy's argpartition).
    """

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
