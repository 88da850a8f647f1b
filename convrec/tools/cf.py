"""rank_cf: collaborative filtering over the MovieLens ratings (the models are in `convrec.cf`).

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

Models (`convrec.cf.models`), side by side behind one interface
(`ItemScorer.fit(interactions)`, `ItemScorer.score(history, item_ids)`): EASE, implicit ALS,
ItemKNN and popularity (also the fallback when there is no history at all).

Every model but popularity is additive over the history items (EASE, ItemKNN exactly; ALS
through the fold-in's linear solve), so `contributions` splits a score into one term per
liked film, and the evidence names the largest: "liked by people who liked Heat (1995)
and Ronin (1998)".

`train_cf` (`convrec.tools.cf_index`) compares the four (`convrec.cf.selection`), ships the
best by validation NDCG@10 (or the model asked for), fitted on all the ratings with the
hyper-parameters tuned there, and records the choice and its figures in the manifest.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from convrec.catalog.db import Catalog
from convrec.catalog.records import title_year
from convrec.cf.data import POSITIVE_THRESHOLD
from convrec.cf.models import Popularity
from convrec.cf.scorer import ItemScorer
from convrec.tools.base import ScoredItem, ToolArgs, ToolArgumentError, ToolOutput, parse_user_ref
from convrec.tools.cf_index import CfRanker, load_cf
from convrec.tools.context import ToolContext

__all__ = ["CfArgs", "CfRanker", "load_cf", "rank_cf"]  # CfRanker, load_cf: tools.ranking's

EVIDENCE_ITEMS = 2  # liked films named in "liked by people who liked ..."


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
            label = title_year(r["title"], r["year"])
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
