"""Multi-part requests through the whole agent on the real catalog: sub-goals, each film
meeting its own part, shaped plans (order, budget, distinctness), follow-ups that change
one part only, and the stream's goal events."""

from __future__ import annotations

import pytest

from convrec.agent.goals.decompose import decompose
from convrec.agent.goals.types import GoalPlan
from convrec.agent.ledger import Ledger
from convrec.agent.service import Agent
from convrec.agent.understanding import get_extractor
from convrec.config import get_settings
from convrec.tools.context import ToolContext

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def agent(real_resources, tmp_path_factory):
    folder = tmp_path_factory.mktemp("goal-sessions")
    made = Agent(get_settings(sessions_path=folder / "sessions.sqlite"),
                 resources=real_resources, use_llm=False)
    yield made
    made.close()


@pytest.fixture(scope="module")
def extract(real_resources):
    extractor = get_extractor(ToolContext(real_resources))
    return lambda text: extractor.extract(text, Ledger()).update


@pytest.mark.parametrize(("text", "parts"), [
    ("a cartoon for my nephew and a war drama for my dad", 2),
    ("something funny and something scary", 2),
    ("a western, a musical and a documentary", 3),
    ("one horror film plus one romance", 2),
    ("can you find me a heist movie and also a space adventure", 2),
    ("one for me and one for my sister: i want a ghost story, she wants a musical", 2),
    ("my dad is all about westerns, my mum loves a whodunnit, something for each of them", 2),
    ("documentaries for me, cartoons for the kids", 2),
])
def test_lists_of_wants_become_sub_goals(extract, text, parts):
    plan, _ = decompose(text, extract)
    assert plan is not None and len(plan.goals) == parts
    assert all(g.update.genres_include or g.update.wishes for g in plan.goals)


@pytest.mark.parametrize("text", [
    "a funny and scary film", "a romantic comedy", "I liked Alien and Aliens",
    "a comedy with Tom Hanks and Meg Ryan", "a thriller, something tense",
    "a comedy or a romance",  # alternatives: either will do
    "she likes clever plots, I like a good ensemble cast with some humour",  # one film, two tastes
])
def test_one_want_stays_one_goal(extract, text):
    plan, words = decompose(text, extract)
    assert plan is None and words == text


def test_shared_words_apply_to_every_part(extract):
    plan, shared = decompose("two 80s films: a comedy and a thriller", extract)
    assert plan is not None and [g.slots for g in plan.goals] == [1, 1]
    assert plan.shared.year_from == 1980 and "80s" in shared


def _catalog(agent):
    return ToolContext(agent.resources).catalog


def _plan(result) -> GoalPlan:
    return GoalPlan.model_validate(Ledger.model_validate(result.ledger).goal_plan)


def test_a_compound_request_gives_each_part_its_own_films(agent):
    events = list(agent.stream("a cartoon for my nephew and a war drama for my dad",
                               thread_id="parts"))
    result = events[-1]["result"]
    plan = _plan(result)
    assert len(plan.goals) == 2 and len(plan.slots) == 6
    items = {i.item_id: i for i in _catalog(agent).items(result.item_ids)}
    for slot in plan.slots:
        genres = set(items[slot.item_id].genres)
        assert ("Animation" in genres) if slot.goal == 0 else {"War", "Drama"} <= genres
    assert len(set(result.item_ids)) == 6
    assert "**A cartoon for your nephew**" in result.reply
    assert "**A war drama for your dad**" in result.reply
    assert [c["group"] for c in result.cards] == [plan.goals[s.goal].heading for s in plan.slots]
    kinds = [e["event"] for e in events]
    assert kinds.count("goals") == 1 and kinds.count("goal") == 2
    assert any(line.startswith("[A war drama for your dad]") for line in result.trace)

    again = agent.turn("another option for my nephew", thread_id="parts")
    after = _plan(again)
    assert [s.item_id for s in after.slots[3:]] == [s.item_id for s in plan.slots[3:]]
    assert not {s.item_id for s in after.slots[:3]} & {s.item_id for s in plan.slots[:3]}

    swapped = agent.turn("swap the second one", thread_id="parts")
    final = _plan(swapped)
    changed = [n for n, (a, b) in enumerate(zip(after.slots, final.slots, strict=True))
               if a.item_id != b.item_id]
    assert changed == [1]
    assert after.slots[1].item_id in Ledger.model_validate(swapped.ledger).rejected

    older = agent.turn("make the war one from the 60s", thread_id="parts")
    last = _plan(older)
    years = {i.item_id: i.year for i in _catalog(agent).items(older.item_ids)}
    assert all(1960 <= years[s.item_id] <= 1969 for s in last.slots if s.goal == 1)
    assert [s.item_id for s in last.slots if s.goal == 0] == \
        [s.item_id for s in final.slots if s.goal == 0]

    plain = agent.turn("a 90s comedy instead", thread_id="parts")
    assert Ledger.model_validate(plain.ledger).goal_plan is None
    assert "**" in plain.reply and "parts" not in plain.reply.split("\n")[0]


def test_a_marathon_fits_its_budget(agent):
    result = agent.turn("a marathon of 90s comedies that fits in five hours",
                        thread_id="marathon")
    items = _catalog(agent).items(result.item_ids)
    assert len(items) >= 2 and sum(i.runtime or 999 for i in items) <= 300
    assert all("Comedy" in i.genres and 1990 <= (i.year or 0) <= 1999 for i in items)
    assert "within your 5 hours" in result.reply


def test_a_budget_that_cannot_be_met_is_said_plainly(agent):
    result = agent.turn("four dramas that fit in 4 hours total", thread_id="tight")
    items = _catalog(agent).items(result.item_ids)
    assert sum(i.runtime or 999 for i in items) <= 240
    if len(items) < 4:
        assert "don't go in 4 hours" in result.reply


def test_one_per_night_each_from_a_different_decade(agent):
    result = agent.turn("five thrillers, one per night, each from a different decade",
                        thread_id="decades")
    items = {i.item_id: i for i in _catalog(agent).items(result.item_ids)}
    decades = [(items[i].year or 0) // 10 for i in result.item_ids]
    assert len(decades) == 5 and len(set(decades)) == 5
    assert all("Thriller" in items[i].genres for i in result.item_ids)
    assert "Night 1: **" in result.reply and "Night 5: **" in result.reply


def test_easiest_first_puts_the_most_widely_seen_first(agent):
    result = agent.turn("three Hitchcock films, easiest first", thread_id="easy")
    items = {i.item_id: i for i in _catalog(agent).items(result.item_ids)}
    votes = [items[i].vote_count or 0 for i in result.item_ids]
    assert len(votes) == 3 and votes == sorted(votes, reverse=True)
    assert all(any(p.name == "Alfred Hitchcock" for p in items[i].directors)
               for i in result.item_ids)
