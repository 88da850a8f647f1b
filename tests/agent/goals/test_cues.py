"""The plan's shape read from everyday wordings: counts, order, one per night, budgets,
distinctness; and what must not read as a plan."""

from __future__ import annotations

import pytest

from convrec.agent.goals.cues import read_shape


@pytest.mark.parametrize(("text", "expected"), [
    ("three films to get into Kurosawa, easiest first", {"count": 3, "order": "easiest"}),
    ("give me 4 westerns, the most accessible ones first", {"count": 4, "order": "easiest"}),
    ("5 sci-fi movies in chronological order", {"count": 5, "order": "oldest"}),
    ("two Bond films, newest first", {"count": 2, "order": "newest"}),
    ("six 90s picks in order of release", {"count": 6, "order": "oldest"}),
    ("a double feature: a 70s classic and a recent remake", {"count": 2}),
    ("a triple bill of horror", {"count": 3}),
    ("one per night this week", {"count": 7, "per": "night"}),
    ("a thriller for each night of the weekend", {"count": 2, "per": "night"}),
    ("something for 3 nights", {"count": 3, "per": "night"}),
    ("a marathon that fits in five hours", {"budget_minutes": 300}),
    ("two comedies back to back under 4 hours total", {"count": 2, "budget_minutes": 240}),
    ("a movie marathon, I have 6 hours", {"budget_minutes": 360}),
    ("films with a combined runtime of 3.5 hours", {"budget_minutes": 210}),
    ("three films, each from a different decade", {"count": 3, "distinct": "decade"}),
    ("4 comedies from different eras", {"count": 4, "distinct": "decade"}),
    ("five films, no two by the same director", {"count": 5, "distinct": "director"}),
    ("a few films spanning different genres", {"distinct": "genre"}),
    ("a thriller every evening for 4 evenings", {"count": 4, "per": "night"}),
    ("start me off with her best known ones, 3 please", {"count": 3, "order": "easiest"}),
    ("road trip of 9 hours, as many comedies as we can fit", {"budget_minutes": 540}),
    ("a sci-fi binge, 5 hours tops", {"budget_minutes": 300}),
    ("one drama per decade, 4 of them", {"count": 4, "distinct": "decade"}),
    ("westerns from old to new, no director twice", {"order": "oldest", "distinct": "director"}),
])
def test_the_shape_of_a_plan_is_read(text, expected):
    shape = read_shape(text).shape
    got = {k: v for k, v in shape.model_dump(exclude={"said"}).items() if v is not None}
    assert got == expected


@pytest.mark.parametrize("text", [
    "something under 2 hours",  # one film's runtime, not a plan's budget
    "a 90s comedy with 5 stars",
    "a film from the 80s",
    "the first one sounds good",
    "a comedy and a horror",  # a list, but its shape is unsaid
    "I watched 2 films last week",
])
def test_ordinary_requests_have_no_shape(text):
    assert not read_shape(text).shape.structured()


def test_cues_are_cut_from_what_the_extractor_reads():
    reading = read_shape("a marathon of 90s comedies that fits in five hours")
    left = reading.without_cues("a marathon of 90s comedies that fits in five hours")
    assert "hours" not in left and "marathon" not in left and "90s comedies" in left


@pytest.mark.parametrize("text", ["I loved the 2 Toy Story films", "something for my 2 kids",
                                  "we are 4 adults", "I saw 3 westerns last month"])
def test_numbers_that_are_not_a_count_of_films(text):
    assert read_shape(text).shape.count is None


@pytest.mark.parametrize("text", ["each of us wrote three titles on paper",
                                  "we watched two comedies last night and loved them",
                                  "I bought 4 westerns on DVD"])
def test_numbers_in_a_story_are_not_a_count(text):
    assert read_shape(text).shape.count is None
