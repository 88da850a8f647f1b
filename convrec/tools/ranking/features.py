"""The ranker's view of a request: candidates from every generator, and one feature row per
candidate. The same code serves training (turns of training dialogues) and the live
pipeline, so what the model learnt from is what it is given.

A `RankQuery` is what is known at a recommend step: the films the user liked or named
(`liked`), every film that came up so far, shown ones included (`context`, mention order),
and the user's words (`text`). `FeatureSource` holds the arrays the features read, aligned
on one item space: the dialogue signals and contexts, the CF model, item vectors, genres and
priors.

The generators' depths were chosen on the dev dialogues (`convrec rank train`'s card): the
suggestion prior's top 300 and the contexts' top 200 raise the share of dev targets among
the candidates from 0.54 to 0.63, and dev Recall@50 with it; deeper co-mention, CF or text
lists added little.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from convrec.tools.ranking.contexts import DialogueContexts
from convrec.tools.ranking.signals import DialogueSignals, ItemSpace

# Candidate generators: how many each contributes.
CO_MENTION_DEPTH = 200
CF_DEPTH = 100
TEXT_DEPTH = 100
CONTEXT_DEPTH = 200
PRIOR_DEPTH = 300
UNRANKED = 1000.0  # the rank given to a candidate a generator did not return

# (feature, group): groups are what the ablation leaves out together.
FEATURES: tuple[tuple[str, str], ...] = (
    ("co_mention_total", "co_mention"),
    ("co_mention_balanced", "co_mention"),
    ("co_mention_share", "co_mention"),
    ("co_mention_latest", "co_mention"),
    ("co_mention_rank", "co_mention"),
    ("suggested_log", "priors"),
    ("ratings_log", "priors"),
    ("popularity_log", "priors"),
    ("year", "priors"),
    ("cf_score", "cf"),
    ("cf_rank", "cf"),
    ("genre_overlap", "content"),
    ("year_gap", "content"),
    ("liked_similarity", "content"),
    ("text_similarity", "text"),
    ("text_rank", "text"),
    ("context_votes", "contexts"),
    ("context_similarity", "contexts"),
    ("context_rank", "contexts"),
    ("context_films", "query"),
    ("liked_films", "query"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(name for name, _ in FEATURES)
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(group for _, group in FEATURES))


@dataclass(frozen=True)
class RankQuery:
    liked: tuple[int, ...] = ()  # catalog ids the user liked or named as examples
    context: tuple[int, ...] = ()  # catalog ids mentioned so far, either side, in order
    text: str = ""  # the user's words (wishes, or what they wrote)
    exclude: frozenset[int] = field(default_factory=frozenset)  # never candidates

    @property
    def empty(self) -> bool:
        return not (self.liked or self.context or self.text.strip())


@dataclass
class FeatureSource:
    """Everything the features read, row-aligned on `signals.space`."""

    signals: DialogueSignals
    vectors: np.ndarray  # unit item vectors (zero rows for items without one)
    genres: sp.csr_matrix  # item x genre, binary
    ratings_log: np.ndarray
    popularity_log: np.ndarray
    year: np.ndarray  # 0 when unknown
    cf_scores: Callable[[Sequence[int]], np.ndarray]  # liked ids -> scores (nan: unknown)
    encode: Callable[[str], np.ndarray]  # text -> unit vector
    described: np.ndarray  # bool: items with metadata (ReDial-only stubs are False)
    contexts: DialogueContexts  # what people had said when each film was suggested

    @property
    def space(self) -> ItemSpace:
        return self.signals.space


def _ranks(scores: np.ndarray, depth: int, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The top `depth` valid rows by score, and every row's rank (UNRANKED below the top)."""
    allowed = np.where(valid)[0]
    if depth <= 0:
        allowed = allowed[:0]
    elif len(allowed) > depth:
        allowed = allowed[np.argpartition(-scores[allowed], depth - 1)[:depth]]
    top = allowed[np.argsort(-scores[allowed], kind="stable")]
    rank = np.full(len(scores), UNRANKED, dtype=np.float32)
    rank[top] = np.arange(len(top), dtype=np.float32)
    return top, rank


@dataclass
class Candidates:
    """Candidate rows and their feature matrix (one row per candidate, FEATURE_NAMES)."""

    rows: np.ndarray
    features: np.ndarray
    context_rows: np.ndarray
    text_vector: np.ndarray | None
    said_hits: np.ndarray  # per candidate: the nearest training turns that suggested it

    def item_ids(self, space: ItemSpace) -> list[int]:
        return [int(i) for i in space.item_ids[self.rows]]


def build_candidates(query: RankQuery, source: FeatureSource,
                     allowed: Sequence[int] | None = None,
                     extra: Sequence[int] = ()) -> Candidates:
    """Candidates from every generator (co-mention, CF, text, dialogue contexts, the
    suggestion prior) plus `extra` (what the pipeline's retrievers found), limited to
    `allowed` when given, never a context or excluded film nor a ReDial-only stub; with
    their features."""
    space = source.space
    n = len(space)
    mask = source.described.copy()
    if allowed is not None:
        mask &= np.isin(np.arange(n), space.positions(allowed))
    context = space.positions(query.context)
    liked = space.positions(query.liked)
    mask[context] = False
    mask[space.positions(query.exclude)] = False

    co = source.signals.co_mention(context.tolist())
    co_top, co_rank = _ranks(co.balanced, CO_MENTION_DEPTH, mask & (co.balanced > 0))
    history = query.liked or query.context
    cf = source.cf_scores(history) if history else np.full(n, np.nan, dtype=np.float32)
    cf_top, cf_rank = _ranks(np.nan_to_num(cf, nan=-np.inf), CF_DEPTH, mask & ~np.isnan(cf))
    cf_filled = np.nan_to_num(cf, nan=0.0)
    text_vector = source.encode(query.text) if query.text.strip() else None
    text_sim = (source.vectors @ text_vector if text_vector is not None
                else np.zeros(n, dtype=np.float32))
    text_top, text_rank = _ranks(text_sim, TEXT_DEPTH if text_vector is not None else 0, mask)
    said = source.contexts.scores(text_vector)
    said_top, said_rank = _ranks(said.votes, CONTEXT_DEPTH, mask & (said.votes > 0))
    suggested = source.signals.suggested
    prior_top, _ = _ranks(suggested, PRIOR_DEPTH, mask & (suggested > 0))
    extra_rows = space.positions(extra)
    extra_rows = extra_rows[mask[extra_rows]]
    rows = np.asarray(list(dict.fromkeys(
        [*co_top.tolist(), *cf_top.tolist(), *text_top.tolist(), *said_top.tolist(),
         *prior_top.tolist(), *extra_rows.tolist()])), dtype=np.int64)

    seed = liked if len(liked) else context
    if len(seed):
        mean = source.vectors[seed].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        liked_sim = source.vectors[rows] @ (mean / norm) if norm else np.zeros(len(rows))
        seed_genres = np.asarray(source.genres[seed].sum(axis=0)).ravel() / len(seed)
        cand_genres = source.genres[rows]
        per_genre = np.maximum(np.asarray(cand_genres.sum(axis=1)).ravel(), 1)
        genre_overlap = (cand_genres @ seed_genres) / per_genre
        years = source.year[seed]
        mean_year = years[years > 0].mean() if (years > 0).any() else 0.0
        year_gap = np.where((source.year[rows] > 0) & (mean_year > 0),
                            np.abs(source.year[rows] - mean_year), -1.0)
    else:
        liked_sim = genre_overlap = np.zeros(len(rows))
        year_gap = np.full(len(rows), -1.0)
    columns = [
        co.total[rows], co.balanced[rows], co.share[rows], co.latest[rows], co_rank[rows],
        np.log1p(source.signals.suggested[rows]), source.ratings_log[rows],
        source.popularity_log[rows], source.year[rows],
        cf_filled[rows], cf_rank[rows],
        genre_overlap, year_gap, liked_sim,
        text_sim[rows], text_rank[rows],
        said.votes[rows], said.similarity[rows], said_rank[rows],
        np.full(len(rows), len(context)), np.full(len(rows), len(liked)),
    ]
    features = np.column_stack(columns).astype(np.float32) if len(rows) else \
        np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    return Candidates(rows, features, context, text_vector, said.hits[rows])
