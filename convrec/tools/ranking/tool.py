"""The learned ranker as a step of the recommend pipeline: it scores the candidates the
pipeline's retrievers found together with its own generators' (dialogue co-mention, CF from
the liked films, the text, what seekers had said when a film was suggested, the suggestion
prior), inside the hard filter's set."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from convrec.tools.base import ScoredItem, ToolOutput
from convrec.tools.context import ToolContext
from convrec.tools.ranking.features import FEATURE_NAMES, RankQuery, build_candidates
from convrec.tools.ranking.model import NAME, LearnedRanker

_CO_MENTION = FEATURE_NAMES.index("co_mention_total")
MIN_HITS = 2  # nearest training turns that suggested a film before it is cited as evidence


def _titles(ctx: ToolContext, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {i: f"{t} ({y})" if y else t for i, t, y in ctx.catalog.query(
        f"SELECT item_id, title, year FROM items WHERE item_id IN ({marks})", list(ids))}


def rank_learned(ranker: LearnedRanker, query: RankQuery, ctx: ToolContext, *,
                 allowed: Sequence[int] | None = None, extra: Sequence[int] = (),
                 k: int = 100, evidence: bool = True) -> ToolOutput:
    """The top `k` candidates by the learned model, each with its dialogue evidence (none
    when `evidence` is False: a benchmark needs only the order)."""
    source = ranker.source
    found = build_candidates(query, source, allowed=allowed, extra=extra)
    scores = ranker.score(found.features)
    order = np.argsort(-scores, kind="stable")[:k]
    rows = found.rows[order]
    signals = source.signals
    sources: dict[int, int] = {}
    for row, feature_row in zip(rows, found.features[order], strict=True):
        if evidence and feature_row[_CO_MENTION] > 0:
            best = signals.strongest_source(found.context_rows.tolist(), int(row))
            if best is not None:
                sources[int(row)] = best
    ids = source.space.item_ids
    titles = _titles(ctx, [int(ids[r]) for r in set(sources.values())])
    items = []
    for row, score, hits in zip(rows, scores[order], found.said_hits[order], strict=True):
        reasons = []
        about = titles.get(int(ids[sources[int(row)]])) if int(row) in sources else None
        if evidence and about:
            reasons.append(f"suggested in conversations about {about}")
        elif evidence and hits >= MIN_HITS:
            reasons.append(f"suggested in {int(hits)} conversations where people asked for "
                           "much the same")
        items.append(ScoredItem(item_id=int(ids[row]), score=float(score), evidence=reasons))
    trace = (f"ranker (learned, {len(FEATURE_NAMES)} features): {len(found.rows):,} candidates "
             f"-> {len(items):,}")
    return ToolOutput(tool=NAME, items=items, trace=trace)
