"""Assemble a `FeatureSource` from the catalog and the built indexes (dense, cf)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from convrec.catalog.db import Catalog
from convrec.tools.ranking.contexts import DialogueContexts
from convrec.tools.ranking.features import FeatureSource
from convrec.tools.ranking.signals import DialogueSignals, ItemSpace


def catalog_space(catalog: Catalog) -> ItemSpace:
    ids = [r[0] for r in catalog.query("SELECT item_id FROM items ORDER BY item_id")]
    return ItemSpace(np.asarray(ids, dtype=np.int64))


def feature_source(catalog: Catalog, signals: DialogueSignals, contexts: DialogueContexts,
                   dense: object, cf: object,
                   known: Mapping[str, np.ndarray] | None = None) -> FeatureSource:
    """The arrays the features read. `dense` is a DenseIndex, `cf` a fitted ItemScorer;
    `known`: texts already encoded (training encodes every turn's words in one batch)."""
    space = signals.space
    n = len(space)
    ratings = np.zeros(n, dtype=np.float32)
    popularity = np.zeros(n, dtype=np.float32)
    year = np.zeros(n, dtype=np.float32)
    rows = catalog.query("SELECT item_id, rating_count, popularity, year, source FROM items "
                         "ORDER BY item_id")
    pos = space.positions(r[0] for r in rows)
    # ReDial-only films are stubs (a title, nothing to show or to check): never candidates
    described = np.zeros(n, dtype=bool)
    described[pos] = [r[4] != "redial" for r in rows]
    ratings[pos] = np.log1p([r[1] or 0 for r in rows])
    popularity[pos] = np.log1p([max(r[2] or 0.0, 0.0) for r in rows])
    year[pos] = [r[3] or 0 for r in rows]
    pairs = catalog.query("SELECT item_id, genre_id FROM item_genres")
    genre_ids = sorted({g for _, g in pairs})
    column = {g: k for k, g in enumerate(genre_ids)}
    genres = sp.csr_matrix(
        (np.ones(len(pairs), dtype=np.float32),
         (space.positions(i for i, _ in pairs), [column[g] for _, g in pairs])),
        shape=(n, max(len(genre_ids), 1)))
    genres.data[:] = 1.0
    vectors = np.asarray(dense.vectors(space.item_ids.tolist()), dtype=np.float32)  # type: ignore[attr-defined]

    def cf_scores(history: Sequence[int]) -> np.ndarray:
        known = [i for i in history if cf.columns([i])[0] >= 0]  # type: ignore[attr-defined]
        out = np.full(n, np.nan, dtype=np.float32)
        if not known:
            return out
        scores = cf.score(known)  # type: ignore[attr-defined]
        out[space.positions(cf.item_ids)] = scores  # type: ignore[attr-defined]
        return out

    def encode(text: str) -> np.ndarray:
        if known is not None and text in known:
            return known[text]
        return dense.encode([text])[0]  # type: ignore[attr-defined]

    return FeatureSource(signals, vectors, genres, ratings, popularity, year, cf_scores,
                         encode, described, contexts)
