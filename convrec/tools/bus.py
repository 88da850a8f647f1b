"""The candidate bus: a session-scoped candidate set that tools narrow and score in turn.

A turn's tools do not call each other. They meet here: a filter narrows the set,
retrievers and rankers add rankings over it, then the bus fuses the rankings,
diversifies the head and verifies every film before anything is shown. Each
step leaves one trace line ("filter: 13,507 -> 312", "bm25: 312 -> 100", ...),
which the agent shows to the user and logs.

Fusion is reciprocal-rank fusion, score(i) = sum_t w_t / (RRF_K + rank_t(i)),
the same formula and constant as `ranx.fuse(method="rrf", norm=None)`; a test
checks the two agree. It is computed here rather than through ranx on the hot
path because ranx's numba kernels compile on a process's first call, which took
11-55 s on 2 cores; ranx is used for offline fusion and metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from convrec.tools.base import ScoredItem, ToolOutput
from convrec.tools.context import ToolContext

RRF_K = 60

VectorLookup = Callable[[Sequence[int]], np.ndarray]
"""Unit-normalised item vectors, one row per id, in the order asked (for MMR)."""

ConstraintCheck = Callable[[Sequence[int]], Mapping[int, Sequence[str]]]
"""Item id -> the constraints it violates (empty or absent when it satisfies them all)."""


def rrf(
    rankings: Mapping[str, Sequence[int]],
    weights: Mapping[str, float] | None = None,
    k: int = RRF_K,
) -> dict[int, float]:
    """Reciprocal-rank fusion of several rankings (best first); ranks start at 1."""
    fused: dict[int, float] = {}
    for name, ranking in rankings.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        if weight == 0:
            continue
        for rank, item_id in enumerate(ranking, start=1):
            fused[item_id] = fused.get(item_id, 0.0) + weight / (k + rank)
    return fused


def mmr(
    ids: Sequence[int], relevance: Sequence[float], vectors: np.ndarray, k: int, lambda_: float
) -> list[int]:
    """Maximal marginal relevance: trade relevance against similarity to what is already picked.

    `relevance` is rescaled to [0, 1] first so that `lambda_` means the same
    thing whatever the scores' scale; `vectors` are unit-normalised rows.
    """
    if not ids:
        return []
    rel = np.asarray(relevance, dtype=np.float64)
    span = rel.max() - rel.min()
    rel = (rel - rel.min()) / span if span > 0 else np.ones_like(rel)
    sims = vectors @ vectors.T
    chosen: list[int] = []
    max_sim = np.full(len(ids), -np.inf)
    available = np.ones(len(ids), dtype=bool)
    for _ in range(min(k, len(ids))):
        penalty = np.where(np.isinf(max_sim), 0.0, max_sim)
        value = lambda_ * rel - (1 - lambda_) * penalty
        value[~available] = -np.inf
        best = int(np.argmax(value))
        chosen.append(best)
        available[best] = False
        max_sim = np.maximum(max_sim, sims[best])
    return [ids[i] for i in chosen]


DIVERSE_HEAD = 10  # films MMR spreads out; a longer list continues by relevance


@dataclass
class CandidateBus:
    """Candidates and the evidence gathered about them during one recommendation step."""

    ctx: ToolContext
    exclude_ids: set[int] = field(default_factory=set)
    candidates: list[int] | None = None  # None: the whole catalog
    prior: list[int] = field(default_factory=list)  # the filter's popularity order
    rankings: dict[str, list[int]] = field(default_factory=dict)
    scores: dict[str, dict[int, float]] = field(default_factory=dict)
    evidence: dict[int, list[str]] = field(default_factory=dict)
    trace: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def candidate_set(self) -> set[int] | None:
        return None if self.candidates is None else set(self.candidates)

    def _remember(self, output: ToolOutput) -> None:
        for scored in output.items:
            known = self.evidence.setdefault(scored.item_id, [])
            known.extend(e for e in scored.evidence if e not in known)
        self.notes.extend(n for n in output.notes if n not in self.notes)

    def narrow(self, output: ToolOutput) -> None:
        """A hard filter's result becomes the candidate set (excluded ids removed)."""
        allowed = self.candidate_set
        kept = [
            s.item_id for s in output.items
            if s.item_id not in self.exclude_ids and (allowed is None or s.item_id in allowed)
        ]
        self.candidates = kept
        self.prior = kept
        self._remember(output)
        self.trace.append(output.trace)

    def add_ranking(self, output: ToolOutput) -> None:
        """A retriever's or ranker's scores, kept only for films still in the running."""
        allowed = self.candidate_set
        ranked = [
            s for s in output.items
            if s.item_id not in self.exclude_ids and (allowed is None or s.item_id in allowed)
        ]
        ranked.sort(key=lambda s: s.score, reverse=True)
        self.rankings[output.tool] = [s.item_id for s in ranked]
        self.scores[output.tool] = {s.item_id: s.score for s in ranked}
        self._remember(output)
        self.trace.append(output.trace)

    def fused(
        self, weights: Mapping[str, float] | None = None, limit: int = 100
    ) -> list[ScoredItem]:
        """The candidates ordered by RRF over every ranking (the filter's prior breaks ties)."""
        if self.rankings:
            fused = rrf(self.rankings, weights)
            prior_rank = {item_id: r for r, item_id in enumerate(self.prior)}
            order = sorted(fused, key=lambda i: (-fused[i], prior_rank.get(i, len(prior_rank))))
            self.trace.append(
                f"fuse (rrf over {', '.join(self.rankings)}): {len(order):,} -> "
                f"{min(limit, len(order)):,}"
            )
        else:
            order = list(self.prior)
            fused = {i: 1.0 / (RRF_K + r) for r, i in enumerate(order, start=1)}
            self.trace.append(f"rank by popularity prior: {min(limit, len(order)):,}")
        return [
            ScoredItem(item_id=i, score=fused[i], evidence=list(self.evidence.get(i, [])))
            for i in order[:limit]
        ]

    def diversify(
        self, items: Sequence[ScoredItem], k: int, vectors: VectorLookup | None,
        lambda_: float = 0.7,
    ) -> list[ScoredItem]:
        """MMR picks the first films (at most DIVERSE_HEAD, what a person sees at once), so
        they are not near-copies of each other; a longer list goes on in relevance order."""
        if vectors is None or len(items) <= 1:
            self.trace.append(f"diversify: skipped, top {min(k, len(items))}")
            return list(items[:k])
        ids = [s.item_id for s in items]
        head = min(k, DIVERSE_HEAD)
        picked = mmr(ids, [s.score for s in items], vectors(ids), head, lambda_)
        chosen = set(picked)
        picked += [i for i in ids if i not in chosen][:k - len(picked)]
        by_id = {s.item_id: s for s in items}
        self.trace.append(f"diversify (mmr over the first {head}, lambda {lambda_}): "
                          f"{len(items)} -> {len(picked)}")
        return [by_id[i] for i in picked]

    def verify(
        self, items: Iterable[ScoredItem], check: ConstraintCheck | None = None
    ) -> list[ScoredItem]:
        """Drop anything that is not a catalog film, is excluded, or breaks a constraint."""
        items = list(items)
        ids = [s.item_id for s in items]
        in_catalog = self.ctx.catalog.exists(ids)
        violations = dict(check(ids)) if check is not None and ids else {}
        kept: list[ScoredItem] = []
        reasons: dict[str, int] = {}
        for scored in items:
            if scored.item_id not in in_catalog:
                reason = "not in the catalog"
            elif scored.item_id in self.exclude_ids:
                reason = "already seen, rejected or shown"
            elif violations.get(scored.item_id):
                reason = "violates " + violations[scored.item_id][0]
            else:
                kept.append(scored)
                continue
            reasons[reason] = reasons.get(reason, 0) + 1
        dropped = "; ".join(f"{n} {why}" for why, n in reasons.items())
        suffix = f" ({dropped})" if dropped else ""
        self.trace.append(f"verify: {len(items)} -> {len(kept)}{suffix}")
        return kept
