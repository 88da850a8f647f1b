"""Choosing the films of a plan: every slot gets one film from its goal's candidates.

An exact branch-and-bound search: each slot takes a candidate of its own goal, no film
twice, no two slots alike in the plan's distinct attribute (decade, first genre, director,
language), and the runtimes within the budget; among the assignments that qualify, the
one with the greatest total relevance wins (a candidate's relevance falls gently with
its rank in its goal's list, so a constraint may pick the fifth film over the first).
Plans are small (at most ten slots, a few dozen candidates each): the search is exact
within a node limit that it never reaches in practice, and says when it does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from convrec.agent.goals.types import MAX_PLAN_FILMS, Distinct, Shape

NODE_LIMIT = 200_000
MARATHON_MINUTES = 110  # a film's length when sizing a budget plan whose count is unsaid


@dataclass(frozen=True)
class Candidate:
    item_id: int
    goal: int
    rank: int
    runtime: int | None
    year: int | None
    genre: str | None
    director: str | None
    language: str | None
    votes: int = 0

    @property
    def utility(self) -> float:
        """Relevance falling gently with rank, times how well known the film is (a plan's
        slots filled from strata should not reach for films nobody has heard of)."""
        known = 0.5 + 0.5 * min(1.0, math.log10(self.votes + 1) / 4)
        return known / (1.0 + 0.1 * self.rank)

    def key(self, distinct: Distinct | None) -> object:
        if distinct == "decade":
            return None if self.year is None else self.year // 10 * 10
        if distinct == "genre":
            return self.genre
        if distinct == "director":
            return self.director
        if distinct == "language":
            return self.language
        return None


@dataclass
class Solution:
    fixed: list[Candidate] = field(default_factory=list)  # the films kept from before
    new: list[Candidate] = field(default_factory=list)  # the films chosen now
    complete: bool = True  # False: the node limit cut the search short

    @property
    def chosen(self) -> list[Candidate]:
        return [*self.fixed, *self.new]


def solve(slots: list[int], candidates: dict[int, list[Candidate]], shape: Shape,
          fixed: list[Candidate] | None = None) -> Solution | None:
    """The best films for `slots` (one goal index per slot to fill), around `fixed` films;
    None when no assignment meets the plan."""
    fixed = fixed or []
    budget = shape.budget_minutes
    spent = sum(c.runtime or 0 for c in fixed)
    pools = {g: [c for c in cands if budget is None or c.runtime] for g, cands in
             candidates.items()}
    order = sorted(range(len(slots)), key=lambda s: len(pools.get(slots[s], [])))
    ordered = [slots[s] for s in order]
    bound_after = _bounds_after(ordered, pools)
    # each candidate once: (candidate, utility, distinct key, minutes)
    table = {g: [(c, c.utility, c.key(shape.distinct) if shape.distinct else None,
                  c.runtime or 0) for c in pools.get(g, [])] for g in set(ordered)}
    key_best = _best_per_key(table)
    best: list[Candidate] | None = None
    best_value = -1.0
    nodes = 0
    used = {c.item_id for c in fixed}
    keys = {c.key(shape.distinct) for c in fixed} if shape.distinct else set()
    picked: list[Candidate] = []

    def bound(i: int) -> float:
        static = bound_after[i]
        if not shape.distinct:
            return static
        need, total = len(ordered) - i, 0.0
        for key, u in key_best:
            if need == 0:
                break
            if key not in keys:
                total += u
                need -= 1
        return min(static, total)

    def search(i: int, value: float, minutes: int, last_rank: dict[int, int]) -> None:
        nonlocal best, best_value, nodes
        nodes += 1
        if nodes > NODE_LIMIT:
            return
        if i == len(ordered):
            if value > best_value:
                best, best_value = list(picked), value
            return
        if value + bound(i) <= best_value:
            return
        goal = ordered[i]
        after = last_rank.get(goal, -1)
        for cand, u, key, runtime in table[goal]:
            if cand.rank <= after:
                continue  # slots of one goal take films in rank order: no permutations
            if cand.item_id in used:
                continue
            if shape.distinct and (key is None or key in keys):
                continue
            if budget is not None and minutes + runtime > budget:
                continue
            used.add(cand.item_id)
            if shape.distinct:
                keys.add(key)
            picked.append(cand)
            search(i + 1, value + u, minutes + runtime, {**last_rank, goal: cand.rank})
            picked.pop()
            used.discard(cand.item_id)
            if shape.distinct:
                keys.discard(key)
            if nodes > NODE_LIMIT:
                return

    search(0, 0.0, spent, {})
    if best is None:
        return None
    return Solution(list(fixed), list(best), complete=nodes <= NODE_LIMIT)


def _bounds_after(ordered: list[int], pools: dict[int, list[Candidate]]) -> list[float]:
    """The most the slots from i on can add, for each i: each goal's best films, as many as
    it has slots left (distinct films, so a goal's second slot cannot reuse its first film's
    value)."""
    top = {g: sorted((c.utility for c in pools.get(g, [])), reverse=True) for g in set(ordered)}
    bound_after = []
    for i in range(len(ordered) + 1):
        left = {g: ordered[i:].count(g) for g in set(ordered)}
        bound_after.append(sum(sum(top[g][:n]) for g, n in left.items()))
    return bound_after


def _best_per_key(
    table: dict[int, list[tuple[Candidate, float, object, int]]],
) -> list[tuple[object, float]]:
    """With distinctness, no two slots share a key: the best utility of each key, best
    first."""
    by_key: dict[object, float] = {}
    for rows in table.values():
        for _, u, key, _ in rows:
            if key is not None and u > by_key.get(key, -1.0):
                by_key[key] = u
    return sorted(by_key.items(), key=lambda kv: -kv[1])


def budget_count(shape: Shape) -> int:
    """How many films a budget holds when the user did not say: at least two."""
    assert shape.budget_minutes is not None
    return min(MAX_PLAN_FILMS, max(2, round(shape.budget_minutes / MARATHON_MINUTES)))


def hours(minutes: int) -> str:
    """'4 h 52 min', '5 hours', '45 min'."""
    h, m = divmod(minutes, 60)
    if not h:
        return f"{m} min"
    if not m:
        return f"{h} hour{'s' if h > 1 else ''}"
    return f"{h} h {m:02d} min"
