"""PopularityPrior: the 0-1 order of films when nothing else ranks them."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class _SourceStats:
    max_votes: float
    mean_rating: float
    prior_votes: float  # m of the Bayesian average


@dataclass(frozen=True)
class PopularityPrior:
    """A 0-1 prior for ordering when nothing else ranks: 0.6 popularity + 0.4 quality.

    Popularity is log1p(votes) scaled by the most-voted film of the same rating
    source (TMDB counts run to ~14k, MovieLens counts to ~330, so they are not
    compared directly). Quality is the 0-10 rating shrunk towards the source's mean
    by a Bayesian average whose weight is the source's median vote count, so 9/10
    from 3 votes does not beat 8/10 from 5,000. Films with no votes score 0.
    """

    stats: dict[str, _SourceStats]

    @classmethod
    def fit(cls, rows: Iterable[tuple[float | None, int | None, str | None]]) -> PopularityPrior:
        by_source: dict[str, list[tuple[float, float]]] = {}
        for rating, votes, source in rows:
            if source is not None and rating is not None and votes:
                by_source.setdefault(source, []).append((float(rating), float(votes)))
        return cls({
            source: _SourceStats(
                max_votes=max(v for _, v in pairs),
                mean_rating=statistics.fmean(r for r, _ in pairs),
                prior_votes=max(1.0, statistics.median(v for _, v in pairs)),
            )
            for source, pairs in by_source.items()
        })

    def __call__(self, rating: float | None, votes: int | None, source: str | None) -> float:
        stats = self.stats.get(source or "")
        if stats is None or rating is None or not votes:
            return 0.0
        popularity = math.log1p(votes) / math.log1p(stats.max_votes)
        m = stats.prior_votes
        quality = (votes * rating + m * stats.mean_rating) / (votes + m)
        return round(0.6 * popularity + 0.4 * quality / 10, 4)
