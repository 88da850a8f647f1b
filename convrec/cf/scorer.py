"""The interface every CF model implements (`ItemScorer`) and the histories it scores.

See `convrec.cf.models` for the models and the module docstring of `convrec.tools.cf` for
the feedback and item-space rules.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Self, TypeAlias

import numpy as np
import scipy.sparse as sp

from convrec.cf.data import Interactions, positions, training_matrix

HistoryLike: TypeAlias = sp.spmatrix | sp.sparray | Mapping[int, float] | Iterable[int]
"""A history: a sparse matrix over the model's columns (one row per user), or catalog item ids
(a list: weight 1 each; a mapping: id -> weight). Ids the model does not know are ignored."""


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
