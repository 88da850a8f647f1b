"""Act: run the plan on the candidate bus, then audit every film against the whole ledger.

The tools' pipeline already verifies what it returns (catalog, exclusions, the
hard constraints). The audit here checks the final list once more, independently,
against the ledger as it stands after this turn: a film that is not in the
catalog, breaks a constraint, or repeats a seen, rejected, disliked, liked or
already recommended film never reaches the reply. It should drop nothing; when it
does, that is logged as a bug and the film is still not shown.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from convrec.agent.ledger import Ledger
from convrec.agent.plan import Plan
from convrec.tools.base import ScoredItem, ToolArgumentError
from convrec.tools.context import ToolContext
from convrec.tools.filters import filter_items, get_vocab, violations
from convrec.tools.lookup import LookupArgs, lookup_items
from convrec.tools.pipeline import RecommendRequest, recommend

log = logging.getLogger(__name__)


@dataclass
class ActResult:
    items: list[ScoredItem] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    dropped_by_audit: int = 0


@dataclass(frozen=True)
class CandidateStats:
    count: int  # films meeting the constraints that may still be shown
    genres: int
    decades: int
    relax_note: str | None = None
    matching: int = 0  # films meeting the constraints, shown or seen ones included


def candidate_stats(ledger: Ledger, ctx: ToolContext) -> CandidateStats:
    """How many films meet the hard constraints (exclusions removed), and how varied they are.

    This is the policy's view of the candidate set; it costs one filter query.
    """
    vocab = get_vocab(ctx)
    excluded = set(ledger.excluded_ids())
    constraints = ledger.to_filter()
    note = None
    if constraints is None:
        matching = len(vocab.films)
        ids = [i for i in vocab.films if i not in excluded]
    else:
        try:
            output = filter_items(constraints, ctx)
        except ToolArgumentError as exc:
            return CandidateStats(0, 0, 0, str(exc))
        matching = len(output.items)
        ids = [i for i in output.ids() if i not in excluded]
        note = next((n for n in output.notes if "dropping" in n or "no film" in n), None)
    sample = ids[:5_000]
    genres = {g for i in sample for g in vocab.films[i].genre_ids}
    decades = {(vocab.films[i].year or 0) // 10 for i in sample if vocab.films[i].year}
    return CandidateStats(len(ids), len(genres), len(decades), note, matching)


def mentioned_in_order(ledger: Ledger) -> list[int]:
    """Films liked, named or shown so far, by the turn they came up (the ranker's context);
    films shown under constraints the user has since removed leave it."""
    shown = {i: t for i, t in ledger.shown.items() if t > ledger.steer_after}
    turns = {**shown, **ledger.seen, **ledger.liked}
    return sorted(turns, key=lambda i: turns[i])


def run_recommend(plan: Plan, ledger: Ledger, ctx: ToolContext, k: int,
                  said: str | None = None, learned: bool = True) -> ActResult:
    """The plan's recommend step; `said` is the user's latest words (the learned ranker's
    text, as it learnt from seekers' words); `learned` False ranks by the retrievers' fusion."""
    rankers = [c.tool for c in plan.calls if c.tool not in ("filter_items", "lookup_items")]
    query = next((c.args.get("query") for c in plan.calls
                  if c.tool in ("search_bm25", "search_dense") and c.args.get("query")), None)
    request = RecommendRequest(
        constraints=ledger.to_filter(),
        query=query,
        like_ids=sorted(ledger.liked),
        context_ids=mentioned_in_order(ledger),
        said=said,
        learned=learned,
        exclude_ids=ledger.excluded_ids(),
        soft=ledger.soft_preferences(),
        k=k,
        rankers=rankers,  # type: ignore[arg-type]
    )
    started = time.perf_counter()
    try:
        result = recommend(request, ctx)
    except ToolArgumentError as exc:
        return ActResult(notes=[str(exc)], trace=[f"tools: {exc}"])
    timings = dict(result.timings_ms)
    timings["total"] = (time.perf_counter() - started) * 1000
    kept, dropped = audit(result.items, ledger, ctx)
    trace = list(result.trace)
    if dropped:
        trace.append(f"audit: {len(result.items)} -> {len(kept)}")
    return ActResult(kept, trace, list(result.notes), timings, dropped)


def audit(items: list[ScoredItem], ledger: Ledger, ctx: ToolContext
          ) -> tuple[list[ScoredItem], int]:
    """Keep the films that are in the catalog, meet every hard constraint and repeat nothing."""
    ids = [s.item_id for s in items]
    in_catalog = ctx.catalog.exists(ids)
    excluded = set(ledger.excluded_ids())
    constraints = ledger.to_filter()
    broken = violations(ids, constraints, ctx) if constraints is not None and ids else {}
    kept = [s for s in items
            if s.item_id in in_catalog and s.item_id not in excluded and not broken.get(s.item_id)]
    if len(kept) < len(items):
        log.error("audit dropped %d film(s) the pipeline had verified: %s",
                  len(items) - len(kept), [s.item_id for s in items if s not in kept])
    return kept, len(items) - len(kept)


def run_lookup(item_id: int, ctx: ToolContext) -> ActResult:
    started = time.perf_counter()
    try:
        output = lookup_items(LookupArgs.model_validate({"item_id": item_id}), ctx)
    except ToolArgumentError as exc:
        return ActResult(notes=[str(exc)])
    return ActResult(items=output.items, trace=[output.trace], notes=output.notes,
                     timings_ms={"lookup": (time.perf_counter() - started) * 1000})
