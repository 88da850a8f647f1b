"""From each sub-goal's verified candidates to the plan's slots, cards and reply groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from convrec.agent.goals.solve import Candidate, Solution, budget_count, hours, solve
from convrec.agent.goals.types import Goal, GoalPlan, Shape, Slot
from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.ledger_apply import apply_update
from convrec.catalog.records import Item
from convrec.tools.base import ScoredItem
from convrec.tools.context import ToolContext


def goal_ledger(base: Ledger, goal: Goal, turn: int) -> Ledger:
    """The ledger a sub-goal is searched and verified under: the conversation's, with the
    part's own constraints on top (they override where they say something)."""
    ledger = apply_update(base, goal.update, goal.turn or turn)
    for refinement in goal.refinements:
        ledger = apply_update(ledger, refinement, turn)
    ledger.goal_plan = None
    return ledger


def replaced_by_parts(plan: GoalPlan) -> LedgerUpdate:
    """What a new multi-part request takes out of the conversation's shared constraints.

    A part that states its own genre, era, runtime, language or rating replaces the
    conversation's for that part (`goal_ledger`), so the conversation's value is no longer
    what the parts share: "a comedy from the 90s", then "a double feature: one comedy, one
    thriller" keeps the 90s for both, but not Comedy for the thriller. Left in, the ledger's
    chips would say Comedy above a thriller's card, and a check of the turn against them
    would call the thriller a violation. A part adding a genre ("also ...") replaces nothing.
    """
    updates = [g.update for g in plan.goals]
    return LedgerUpdate(
        genres_clear=any(u.genres_include and not u.genres_add for u in updates),
        era_clear=any(u.year_from is not None or u.year_to is not None for u in updates),
        runtime_clear=any(u.runtime_min is not None or u.runtime_max is not None
                          for u in updates),
        languages_clear=any(u.languages for u in updates),
        rating_clear=any(u.min_rating is not None for u in updates),
    )


def candidate_depth(plan: GoalPlan, goal: Goal) -> int:
    """How many verified films a part brings to the solver."""
    if plan.shape.budget_minutes or plan.shape.distinct:
        return 40
    return min(50, goal.slots * 4 + 8)


def candidates_of(goal: int, items: Sequence[ScoredItem], facts: dict[int, Item],
                  strata: dict[int, str] | None = None) -> list[Candidate]:
    """The solver's view of a sub-goal's films, in rank order; a film's genre is the one it
    was searched under when it came from a genre stratum."""
    strata = strata or {}
    out = []
    for rank, scored in enumerate(items):
        item = facts.get(scored.item_id)
        if item is None:
            continue
        out.append(Candidate(
            item_id=item.item_id, goal=goal, rank=rank, runtime=item.runtime, year=item.year,
            genre=strata.get(item.item_id) or (item.genres[0] if item.genres else None),
            director=item.directors[0].name if item.directors else None,
            language=item.original_language, votes=item.vote_count or item.rating_count or 0))
    return out


@dataclass
class Composed:
    slots: list[Slot] = field(default_factory=list)
    note: str = ""


def _fill(plan: GoalPlan) -> tuple[list[int], list[int]]:
    """(the goal of each slot to fill, the positions of the slots kept) for this turn."""
    if not plan.slots:
        fill = [g.index for g in plan.goals for _ in range(g.slots)]
        if len(plan.goals) == 1 and plan.shape.budget_minutes and plan.shape.count is None:
            fill = [0] * budget_count(plan.shape)
        return fill, []
    refill = set(plan.swap) | {n for n, s in enumerate(plan.slots) if s.goal in plan.redo}
    keep = [n for n in range(len(plan.slots)) if n not in refill]
    return [plan.slots[n].goal for n in sorted(refill)], keep


def compose(plan: GoalPlan, pools: dict[int, list[Candidate]], facts: dict[int, Item]
            ) -> Composed:
    """Solve the plan; when it cannot be met, say so plainly and solve the nearest plan."""
    fill, keep = _fill(plan)
    kept = [plan.slots[n] for n in keep]
    fixed = [c for s in kept for c in candidates_of(s.goal, [ScoredItem(item_id=s.item_id,
                                                                        score=0.0)], facts)]
    shape = plan.shape
    notes: list[str] = []
    solution = solve(fill, pools, shape, fixed)
    if solution is None and shape.distinct:
        notes.append(f"I couldn't find films that fit and each come from a different "
                     f"{shape.distinct}, so some share one")
        shape = shape.model_copy(update={"distinct": None})
        solution = solve(fill, pools, shape, fixed)
    wanted = len(fill)
    shortest = _shortest(fill, pools)
    said = plan.shape.count is not None or plan.compound() or bool(plan.slots)
    while solution is None and len(fill) > 1:
        fill = _drop_one(fill)
        solution = solve(fill, pools, shape, fixed)
        if solution is None or not said:
            continue  # a budget's own count ("a marathon in 5 hours") shrinks quietly
        if shape.budget_minutes and _enough(wanted, pools, plan):
            notes.append(f"{wanted} films that fit don't go in {hours(shape.budget_minutes)}"
                         + (f" (the shortest {wanted} run {hours(shortest)})"
                            if shortest else "") + f", so here are {len(fill)}")
        else:
            notes.append(f"I found only {len(fill)} films for this plan, not {wanted}")
    if solution is None:
        what = (f"within {hours(shape.budget_minutes)}" if shape.budget_minutes
                else "for every part")
        return Composed([], f"I couldn't put together films that fit {what}")
    return Composed(_place(plan, solution, keep, shape), "; ".join(notes))


def _enough(wanted: int, pools: dict[int, list[Candidate]], plan: GoalPlan) -> bool:
    """Whether there were films enough, before the budget: then the budget was the limit."""
    return sum(len(p) for p in pools.values()) + len(plan.slots) >= wanted


def _shortest(fill: list[int], pools: dict[int, list[Candidate]]) -> int:
    runtimes = sorted(c.runtime for g in set(fill) for c in pools.get(g, []) if c.runtime)
    return sum(runtimes[:len(fill)]) if len(runtimes) >= len(fill) else 0


def _drop_one(fill: list[int]) -> list[int]:
    """One slot fewer, taken from the part with the most slots."""
    counts = {g: fill.count(g) for g in fill}
    most = max(counts, key=lambda g: counts[g])
    out = list(fill)
    out.reverse()
    out.remove(most)
    out.reverse()
    return out


def _place(plan: GoalPlan, solution: Solution, keep: list[int], shape: Shape) -> list[Slot]:
    """The chosen films in reading order: kept slots where they were, new ones in the places
    they refill (or, for a new plan, part by part in the plan's order)."""
    new = solution.new
    if plan.slots:
        slots: list[Slot] = []
        spare = list(new)
        for n, old in enumerate(plan.slots):
            if n in keep:
                slots.append(old)
                continue
            cand = next((c for c in spare if c.goal == old.goal), None)
            if cand is not None:  # a refilled slot the solver could not fill is dropped
                spare.remove(cand)
                slots.append(Slot(goal=cand.goal, item_id=cand.item_id))
    else:
        slots = []
        for goal in plan.goals:
            mine = [c for c in new if c.goal == goal.index]
            slots += [Slot(goal=c.goal, item_id=c.item_id) for c in _ordered(mine, shape)]
    return _labelled(slots, solution.chosen, shape, len(plan.goals))


def _ordered(cands: list[Candidate], shape: Shape) -> list[Candidate]:
    if shape.order == "easiest":
        return sorted(cands, key=lambda c: (-c.votes, c.runtime or 999))
    if shape.order == "oldest":
        return sorted(cands, key=lambda c: (c.year or 9999, c.rank))
    if shape.order == "newest":
        return sorted(cands, key=lambda c: (-(c.year or 0), c.rank))
    return sorted(cands, key=lambda c: c.rank)


def _labelled(slots: list[Slot], chosen: list[Candidate], shape: Shape, parts: int
              ) -> list[Slot]:
    facts = {c.item_id: c for c in chosen}
    out = []
    for n, slot in enumerate(slots):
        cand = facts.get(slot.item_id)
        label = f"{shape.per.capitalize()} {n + 1}" if shape.per else ""
        bits = []
        if shape.order == "easiest" and cand is not None:
            bits.append("the easiest way in: the most widely seen" if n == 0 and parts == 1
                        else f"seen by {cand.votes:,} voters")
        if shape.distinct and cand is not None:
            key = cand.key(shape.distinct)
            bits.append(f"the {key}s" if shape.distinct == "decade" else f"{shape.distinct}: {key}")
        if shape.budget_minutes and cand is not None and cand.runtime:
            bits.append(f"{cand.runtime} min")
        out.append(slot.model_copy(update={"label": label, "note": "; ".join(bits)}))
    return out


def catalog_facts(ctx: ToolContext, ids: Sequence[int]) -> dict[int, Item]:
    return {i.item_id: i for i in ctx.catalog.items(ids)}
