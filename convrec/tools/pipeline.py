"""One recommendation step over the candidate bus:
filter -> retrieve (bm25, dense) -> profile -> CF rank -> fuse -> verify -> diversify.

The agent's planner decides which of these run (a plan is a list of typed tool
calls); `recommend` is the default plan, used when the planner has nothing
better and by the benchmarks. Verification comes before diversification so the
k films shown are drawn from films that already passed it; nothing reaches the
result without passing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from convrec.tools.base import ScoredItem, ToolOutput, parse_user_ref
from convrec.tools.bus import CandidateBus
from convrec.tools.context import ToolContext
from convrec.tools.dense import DenseArgs, load_dense, search_dense
from convrec.tools.filters import FilterArgs, filter_items, violations
from convrec.tools.profiles.tool import ProfileArgs, seen_items, told_dislikes, user_profile
from convrec.tools.soft import SoftPreference, lean, soft_preferences

Ranker = Literal["search_bm25", "search_dense", "user_profile", "rank_cf"]

# Above this many candidates, rankers score the retrieved pool, not the whole filtered set.
MAX_RANKED_CANDIDATES = 2_000


class RecommendRequest(BaseModel):
    constraints: FilterArgs | None = Field(
        default=None, description="Hard constraints; every film shown satisfies them."
    )
    query: str | None = Field(
        default=None, description="What the user wants in words (mood, themes, plot)."
    )
    like_ids: list[int] = Field(
        default_factory=list, description="Films the user named as examples of what they like."
    )
    exclude_ids: list[int] = Field(
        default_factory=list, description="Films seen, rejected or already shown."
    )
    k: int = Field(default=5, ge=1, le=50, description="How many films to return.")
    pool: int = Field(default=100, ge=10, le=1000, description="Retrieval depth per tool.")
    diversity: float = Field(
        default=0.7, ge=0.0, le=1.0, description="MMR lambda: 1 = relevance only."
    )
    weights: dict[str, float] | None = Field(
        default=None, description="Per-tool fusion weights (default: equal)."
    )
    include_history: bool = Field(
        default=False,
        description="Allow films the session's dataset user already rated or reviewed.",
    )
    soft: list[SoftPreference] = Field(
        default_factory=list,
        description="What the user leans toward or away from: scored over the candidates, "
        "never filtered on.",
    )
    context_ids: list[int] = Field(
        default_factory=list,
        description="Every film that came up in the conversation so far (named, liked or "
        "shown), first mention first: the learned ranker reads what people suggested after "
        "them.",
    )
    said: str | None = Field(
        default=None,
        description="The user's own latest words (about the last 40), as they wrote them: the "
        "learned ranker learnt from what seekers wrote, so it reads these rather than the "
        "extracted query when given.",
    )
    learned: bool = Field(
        default=True,
        description="Rank with the learned ranker when one is trained (False: reciprocal-rank "
        "fusion of the retrievers only, the ranking before the learned ranker).",
    )
    rankers: list[Ranker] | None = Field(
        default=None,
        description="Which retrievers and rankers run (a planner's choice); default: every "
        "one that applies. One that does not apply (bm25 without a query) is skipped.",
    )

    def runs(self, ranker: Ranker) -> bool:
        return self.rankers is None or ranker in self.rankers


@dataclass
class RecommendResult:
    items: list[ScoredItem]
    trace: list[str]
    notes: list[str]
    timings_ms: dict[str, float] = field(default_factory=dict)


class _Timer:
    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return fn()
        finally:
            self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - started) * 1000


def _has_constraints(constraints: FilterArgs | None) -> bool:
    if constraints is None:
        return False
    fields = constraints.model_dump(exclude_defaults=True, exclude={"exclude_ids", "limit"})
    return bool(fields)


def _ranking_pool(bus: CandidateBus) -> list[int] | None:
    """What the rankers score: the filtered set when small, else what retrieval found."""
    if bus.candidates is not None and len(bus.candidates) <= MAX_RANKED_CANDIDATES:
        return bus.candidates
    retrieved = list(dict.fromkeys(i for ranking in bus.rankings.values() for i in ranking))
    if retrieved:
        return retrieved
    return bus.candidates[:MAX_RANKED_CANDIDATES] if bus.candidates is not None else None


def history_ids(ctx: ToolContext) -> set[int]:
    """Films the session's dataset user has already rated (MovieLens) or reviewed (critic)."""
    if ctx.user_id is None:
        return set()
    kind, key = parse_user_ref(ctx.user_id)
    return seen_items(ctx, f"{kind}:{key}")


def _demote_told_dislikes(fused: list[ScoredItem], ctx: ToolContext, bus: CandidateBus
                          ) -> list[ScoredItem]:
    """Films matching a profile entry the person flipped to dislike go last, scored below the
    rest (so diversification keeps them there): they come up only when nothing else fits."""
    told = told_dislikes(ctx, [s.item_id for s in fused])
    if not told:
        return fused
    kept = [s for s in fused if s.item_id not in told]
    floor = min((s.score for s in kept), default=0.0) - 1.0
    moved = [s.model_copy(update={"score": floor - i * 1e-6})
             for i, s in enumerate(x for x in fused if x.item_id in told)]
    bus.trace.append(f"profile edits: {len(moved)} films you said you dislike moved last")
    return kept + moved


# With the learned ranker in, fusion keeps its order (the retrievers and CF are already its
# features) and lets a dataset user's own profile nudge it; the leanings have already moved
# the ranker's scores (`soft.lean`).
LEARNED_FUSION: dict[str, float] = {"ranker": 1.0, "user_profile": 0.5}


def learned_weights(bus: CandidateBus, asked: dict[str, float] | None) -> dict[str, float]:
    weights = {name: LEARNED_FUSION.get(name, 0.0) for name in bus.rankings}
    if asked:
        weights.update({k: v for k, v in asked.items() if k in LEARNED_FUSION})
    return weights


def _rank_learned(request: RecommendRequest, ctx: ToolContext, bus: CandidateBus,
                  pool: list[int] | None) -> bool:
    """Add the learned ranker's ranking to the bus; False (and a trace line saying why) when
    no current ranker is trained."""
    from convrec.tools.ranking.features import RankQuery  # deferred: pulls in scipy
    from convrec.tools.ranking.model import load_ranker, ranker_status  # deferred: pulls in scipy
    from convrec.tools.ranking.tool import rank_learned  # deferred: pulls in scipy

    problem = ranker_status(ctx)
    if problem is not None:
        bus.trace.append(f"ranker: not used ({problem}); ranked by fusion")
        return False
    context = list(dict.fromkeys([*request.context_ids, *request.like_ids]))
    query = RankQuery(liked=tuple(request.like_ids), context=tuple(context),
                      text=request.said or request.query or "",
                      exclude=frozenset(bus.exclude_ids))
    retrieved = list(dict.fromkeys(i for ranking in bus.rankings.values() for i in ranking))
    output = rank_learned(load_ranker(ctx), query, ctx, allowed=bus.candidates,
                          extra=retrieved or (pool or []), k=request.pool)
    output = lean(output, request.soft, ctx)
    bus.add_ranking(output)
    for scored in output.items:  # the dialogue evidence is the strongest: it goes first
        if scored.evidence:
            rest = [e for e in bus.evidence.get(scored.item_id, []) if e not in scored.evidence]
            bus.evidence[scored.item_id] = [*scored.evidence, *rest]
    return True


def recommend(request: RecommendRequest, ctx: ToolContext) -> RecommendResult:
    from convrec.tools.bm25 import Bm25Args, search_bm25  # deferred: pulls in scipy
    from convrec.tools.cf import CfArgs, rank_cf  # deferred: convrec.tools.cf pulls in scipy

    timer = _Timer()
    excluded = set(request.exclude_ids)
    if ctx.user_id is not None and not request.include_history:
        excluded |= history_ids(ctx)
    bus = CandidateBus(ctx, exclude_ids=excluded)
    constraints = request.constraints
    if _has_constraints(constraints):
        assert constraints is not None
        filtered: ToolOutput = timer.run("filter", lambda: filter_items(constraints, ctx))
        bus.narrow(filtered)
        if not bus.candidates:
            return RecommendResult([], bus.trace, bus.notes, timer.ms)
    candidates = bus.candidates
    if request.query and request.runs("search_bm25"):
        query = request.query
        bus.add_ranking(timer.run("bm25", lambda: search_bm25(
            Bm25Args(query=query, k=request.pool), ctx, candidates=candidates)))
    if (request.query or request.like_ids) and request.runs("search_dense"):
        dense_args = DenseArgs(query=request.query, like_ids=request.like_ids, k=request.pool)
        bus.add_ranking(timer.run("dense", lambda: search_dense(
            dense_args, ctx, candidates=candidates)))
    pool = _ranking_pool(bus)
    if ctx.user_id is not None and request.runs("user_profile"):
        bus.add_ranking(timer.run("profile", lambda: user_profile(
            ProfileArgs(k=request.pool), ctx, candidates=pool)))
    if (request.like_ids or (ctx.user_id or "").startswith("ml:")) and request.runs("rank_cf"):
        bus.add_ranking(timer.run("cf", lambda: rank_cf(
            CfArgs(liked_ids=request.like_ids, k=request.pool), ctx, candidates=pool)))
    if request.soft:
        bus.add_ranking(timer.run("soft", lambda: soft_preferences(
            request.soft, ctx, candidates=pool)))
    weights = request.weights
    wanted = request.learned and bool(
        request.like_ids or request.context_ids or request.query or request.said)
    if wanted and timer.run("ranker", lambda: _rank_learned(request, ctx, bus, pool)):
        weights = learned_weights(bus, request.weights)
    fused = timer.run("fuse", lambda: bus.fused(weights, limit=request.pool))
    if ctx.user_id is not None and request.runs("user_profile"):
        fused = timer.run("edits", lambda: _demote_told_dislikes(fused, ctx, bus))
    check = None
    if constraints is not None:
        def check(ids: Sequence[int]) -> dict[int, list[str]]:
            return violations(ids, constraints, ctx)
    verified = timer.run("verify", lambda: bus.verify(fused, check))
    dense = load_dense(ctx) if (request.query or request.like_ids) else None
    vectors = dense.vectors if dense is not None else None
    shown = timer.run("diversify", lambda: bus.diversify(
        verified, request.k, vectors, request.diversity))
    return RecommendResult(shown, bus.trace, bus.notes, timer.ms)
