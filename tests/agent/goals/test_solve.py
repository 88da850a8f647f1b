"""The slot solver: exact (checked against brute force on random plans), never a film twice,
distinct where asked, within the budget."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from convrec.agent.goals.solve import Candidate, solve
from convrec.agent.goals.types import Shape


def cand(item_id, goal, rank, runtime=100, year=1990, genre="Drama", votes=1000):
    return Candidate(item_id=item_id, goal=goal, rank=rank, runtime=runtime, year=year,
                     genre=genre, director=f"d{item_id % 3}", language="en", votes=votes)


def feasible(chosen, shape, fixed=()):
    ids = [c.item_id for c in [*fixed, *chosen]]
    if len(ids) != len(set(ids)):
        return False
    if shape.distinct:
        keys = [c.key(shape.distinct) for c in [*fixed, *chosen]]
        if None in keys or len(keys) != len(set(keys)):
            return False
    if shape.budget_minutes is not None:
        if any(c.runtime is None for c in chosen):
            return False
        return sum(c.runtime or 0 for c in [*fixed, *chosen]) <= shape.budget_minutes
    return True


def brute_force(slots, pools, shape):
    best = None
    for combo in itertools.product(*(pools[g] for g in slots)):
        # one goal's slots take films in rank order (the solver's symmetry rule)
        ok = all(a.rank < b.rank for i, a in enumerate(combo) for j, b in enumerate(combo)
                 if i < j and slots[i] == slots[j])
        if ok and feasible(combo, shape):
            value = sum(c.utility for c in combo)
            if best is None or value > best + 1e-12:
                best = value
    return best


candidates = st.lists(
    st.tuples(st.integers(0, 12), st.sampled_from([80, 95, 110, 130, 150, None]),
              st.integers(1950, 2019), st.sampled_from(["Drama", "Comedy", "Horror"]),
              st.integers(0, 50_000)),
    min_size=1, max_size=7)


@settings(max_examples=150, deadline=None)
@given(pool_a=candidates, pool_b=candidates, slots_a=st.integers(1, 2), slots_b=st.integers(0, 2),
       budget=st.sampled_from([None, 200, 260, 400]),
       distinct=st.sampled_from([None, "decade", "genre"]))
def test_the_solver_is_exact(pool_a, pool_b, slots_a, slots_b, budget, distinct):
    pools = {0: [cand(i, 0, r, rt, y, g, v) for r, (i, rt, y, g, v) in enumerate(pool_a)],
             1: [cand(i, 1, r, rt, y, g, v) for r, (i, rt, y, g, v) in enumerate(pool_b)]}
    slots = [0] * slots_a + [1] * slots_b
    shape = Shape(budget_minutes=budget, distinct=distinct)
    solution = solve(slots, pools, shape)
    expected = brute_force(slots, pools, shape)
    if expected is None:
        assert solution is None
        return
    assert solution is not None and feasible(solution.new, shape)
    assert sorted(c.goal for c in solution.new) == sorted(slots)
    assert abs(sum(c.utility for c in solution.new) - expected) < 1e-9


def test_kept_films_count_against_the_budget_and_distinctness():
    fixed = [cand(1, 0, 0, runtime=150, year=1994)]
    pools = {1: [cand(2, 1, 0, runtime=120, year=1995), cand(3, 1, 1, runtime=100, year=1975),
                 cand(4, 1, 2, runtime=90, year=1985)]}
    shape = Shape(budget_minutes=250, distinct="decade")
    solution = solve([1], pools, shape, fixed)
    assert solution is not None and [c.item_id for c in solution.new] == [3]


def test_an_impossible_budget_has_no_solution():
    pools = {0: [cand(1, 0, 0, runtime=150), cand(2, 0, 1, runtime=160)]}
    assert solve([0, 0], pools, Shape(budget_minutes=200)) is None
