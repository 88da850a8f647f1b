"""The MovieLens ratings as a users x items matrix, and the positives the models learn from.

A rating >= 4.0 (`POSITIVE_THRESHOLD`) is a positive; a user who rated two MovieLens ids of
one catalog film counts once, with the higher rating.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from convrec.catalog.db import Catalog

POSITIVE_THRESHOLD = 4.0


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
