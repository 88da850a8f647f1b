"""Runtime, era and rating statements in everyday English (pure functions, no catalog)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convrec.agent.understanding.quantities import Quantity, find_quantities
from convrec.agent.understanding.quantity_words import normalise

MAX_YEAR = 2018
N = None
# text -> [(kind, low, high, vague, written)], in order of appearance
CASES: list[tuple[str, list[tuple[str, float | None, float | None, bool, str]]]] = [
    # runtime: at most
    ("under 2 hours", [("runtime", N, 120, False, "under 2 hours")]),
    ("under 2h", [("runtime", N, 120, False, "under 2h")]),
    ("less than two hours", [("runtime", N, 120, False, "less than two hours")]),
    ("an hour and a half at most", [("runtime", N, 90, False, "an hour and a half at most")]),
    ("no longer than ninety minutes", [("runtime", N, 90, False, "no longer than ninety minutes")]),
    ("not over 2 hrs", [("runtime", N, 120, False, "not over 2 hrs")]),
    ("90 mins max", [("runtime", N, 90, False, "90 mins max")]),
    ("max 100 minutes", [("runtime", N, 100, False, "max 100 minutes")]),
    ("a couple of hours tops", [("runtime", N, 120, False, "a couple of hours tops")]),
    ("two hours or less", [("runtime", N, 120, False, "two hours or less")]),
    ("100 min or shorter", [("runtime", N, 100, False, "100 min or shorter")]),
    ("1h30 max", [("runtime", N, 90, False, "1h30 max")]),
    ("1:45 max", [("runtime", N, 105, False, "1:45 max")]),
    ("Under an hour please", [("runtime", N, 60, False, "Under an hour")]),
    ("under half an hour", [("runtime", N, 30, False, "under half an hour")]),
    ("Nothing longer than 2 hours", [("runtime", N, 120, False, "Nothing longer than 2 hours")]),
    ("not over 90 minutes", [("runtime", N, 90, False, "not over 90 minutes")]),
    ("not more than 95 mins", [("runtime", N, 95, False, "not more than 95 mins")]),
    ("a two-hour movie max", [("runtime", N, 120, False, "two-hour movie max")]),
    (
        "less than 2 hours and 30 minutes",
        [("runtime", N, 150, False, "less than 2 hours and 30 minutes")],
    ),
    ("max. 2 hours", [("runtime", N, 120, False, "max. 2 hours")]),
    ("we've got 1h30 tonight", [("runtime", N, 90, False, "1h30")]),
    (
        "we have like an hour and a half tops before the kids wake up",
        [("runtime", N, 90, False, "an hour and a half tops")],
    ),
    (
        "I only have about an hour and a half",
        [("runtime", N, 90, True, "about an hour and a half")],
    ),
    # runtime: at least, between
    ("at least two hours", [("runtime", 120, N, False, "at least two hours")]),
    ("over 2 and a half hours", [("runtime", 150, N, False, "over 2 and a half hours")]),
    ("not under two hours", [("runtime", 120, N, False, "not under two hours")]),
    (
        "Give me an epic, 3 hours or longer is fine",
        [("runtime", 180, N, False, "3 hours or longer")],
    ),
    (
        "a movie that's at least an hour and a half",
        [("runtime", 90, N, False, "at least an hour and a half")],
    ),
    ("between 90 and 120 minutes", [("runtime", 90, 120, False, "between 90 and 120 minutes")]),
    ("90-120 min", [("runtime", 90, 120, False, "90-120 min")]),
    ("between two and three hours", [("runtime", 120, 180, False, "between two and three hours")]),
    (
        "an hour and a half to two hours",
        [("runtime", 90, 120, False, "an hour and a half to two hours")],
    ),
    # runtime: vague
    ("not too long", [("runtime", N, 120, True, "not too long")]),
    ("something short", [("runtime", N, 100, True, "short")]),
    ("something quick to watch", [("runtime", N, 100, True, "something quick")]),
    ("something shortish and funny", [("runtime", N, 100, True, "shortish")]),
    ("a long epic", [("runtime", 150, N, True, "long epic")]),
    ("I like long movies", [("runtime", 150, N, True, "long movies")]),
    ("around two hours", [("runtime", 105, 135, True, "around two hours")]),
    ("about 90 minutes", [("runtime", 75, 105, True, "about 90 minutes")]),
    ("two hours-ish", [("runtime", 105, 135, True, "two hours-ish")]),
    # era: decades
    ("the 90s", [("era", 1990, 1999, False, "the 90s")]),
    ("90's action", [("era", 1990, 1999, False, "90's")]),
    ("'90s", [("era", 1990, 1999, False, "'90s")]),
    ("music from the \u201890s", [("era", 1990, 1999, False, "from the \u201890s")]),
    ("the nineties", [("era", 1990, 1999, False, "the nineties")]),
    ("1990s", [("era", 1990, 1999, False, "1990s")]),
    ("from the 80s", [("era", 1980, 1989, False, "from the 80s")]),
    ("early 2000s", [("era", 2000, 2003, False, "early 2000s")]),
    ("mid-90s", [("era", 1993, 1996, False, "mid-90s")]),
    ("late 70s", [("era", 1976, 1979, False, "late 70s")]),
    ("mid-to-late 90s", [("era", 1993, 1999, False, "mid-to-late 90s")]),
    ("late 90's or early 2000's", [("era", 1996, 2003, False, "late 90's or early 2000's")]),
    ("the 70s or 80s", [("era", 1970, 1989, False, "the 70s or 80s")]),
    ("the 60s, 70s and 80s", [("era", 1960, 1989, False, "the 60s, 70s and 80s")]),
    ("in the early nineties", [("era", 1990, 1993, False, "in the early nineties")]),
    (
        "something from the nineteen-eighties",
        [("era", 1980, 1989, False, "from the nineteen-eighties")],
    ),
    ("since the late 80s", [("era", 1986, N, False, "since the late 80s")]),
    ("after the 80s", [("era", 1990, N, False, "after the 80s")]),
    ("80s onwards", [("era", 1980, N, False, "80s onwards")]),
    ("made before the 2000s", [("era", N, 1999, False, "before the 2000s")]),
    ("nothing older than the 80s", [("era", 1980, N, False, "nothing older than the 80s")]),
    # era: years
    ("between 1995 and 2005", [("era", 1995, 2005, False, "between 1995 and 2005")]),
    ("1995-2005", [("era", 1995, 2005, False, "1995-2005")]),
    ("from 1995 to 2005", [("era", 1995, 2005, False, "from 1995 to 2005")]),
    ("movies from 1995 to now", [("era", 1995, N, False, "from 1995 to now")]),
    ("after 2000", [("era", 2001, N, False, "after 2000")]),
    ("since 2000", [("era", 2000, N, False, "since 2000")]),
    ("2010 onwards", [("era", 2010, N, False, "2010 onwards")]),
    ("2010 or later", [("era", 2010, N, False, "2010 or later")]),
    ("2010 and newer", [("era", 2010, N, False, "2010 and newer")]),
    ("2000+", [("era", 2000, N, False, "2000+")]),
    ("before 1980", [("era", N, 1979, False, "before 1980")]),
    ("pre-1980", [("era", N, 1979, False, "pre-1980")]),
    ("older than 1990", [("era", N, 1989, False, "older than 1990")]),
    ("a film no older than 2000", [("era", 2000, N, False, "no older than 2000")]),
    ("up to 1999", [("era", N, 1999, False, "up to 1999")]),
    ("in 1999", [("era", 1999, 1999, False, "in 1999")]),
    ("a movie from 1999", [("era", 1999, 1999, False, "from 1999")]),
    (
        "released in nineteen ninety-nine",
        [("era", 1999, 1999, False, "released in nineteen ninety-nine")],
    ),
    (
        "before 1980 or after 2000",
        [("era", N, 1979, False, "before 1980"), ("era", 2001, N, False, "after 2000")],
    ),
    # era: relative and vague
    ("the last 10 years", [("era", 2009, N, False, "the last 10 years")]),
    ("past decade", [("era", 2009, N, False, "past decade")]),
    ("the past 20 years", [("era", 1999, N, False, "the past 20 years")]),
    ("made this century", [("era", 2000, N, False, "made this century")]),
    (
        "films from the twenty-first century",
        [("era", 2000, N, False, "from the twenty-first century")],
    ),
    ("something recent", [("era", 2010, N, True, "recent")]),
    ("newer stuff", [("era", 2010, N, True, "newer")]),
    ("new releases", [("era", 2010, N, True, "new releases")]),
    ("the latest", [("era", 2010, N, True, "latest")]),
    ("modern", [("era", 2000, N, True, "modern")]),
    ("a modern classic", [("era", 2000, N, True, "modern classic")]),
    ("Old movies please", [("era", N, 1979, True, "Old")]),
    ("I want OLD MOVIES", [("era", N, 1979, True, "OLD")]),
    ("old classics", [("era", N, 1979, True, "old"), ("era", N, 1979, True, "classics")]),
    ("oldies", [("era", N, 1979, True, "oldies")]),
    ("golden age hollywood", [("era", N, 1979, True, "golden age")]),
    ("black and white", [("era", N, 1979, True, "black and white")]),
    # rating
    ("at least 7/10", [("rating", 7, N, False, "at least 7/10")]),
    ("7+/10", [("rating", 7, N, False, "7+/10")]),
    ("8 out of 10 or higher", [("rating", 8, N, False, "8 out of 10 or higher")]),
    ("rated above 7", [("rating", 7, N, False, "rated above 7")]),
    ("rated 8 or more", [("rating", 8, N, False, "rated 8 or more")]),
    ("4 stars or more", [("rating", 8, N, False, "4 stars or more")]),
    ("at least 4 stars", [("rating", 8, N, False, "at least 4 stars")]),
    ("4.5 stars and up", [("rating", 9, N, False, "4.5 stars and up")]),
    ("over 80% on rotten tomatoes", [("rating", 8, N, False, "over 80% on rotten tomatoes")]),
    ("imdb 7 or higher", [("rating", 7, N, False, "imdb 7 or higher")]),
    ("at least 7.5 on IMDb", [("rating", 7.5, N, False, "at least 7.5 on IMDb")]),
    ("at least a 7 on imdb", [("rating", 7, N, False, "at least a 7 on imdb")]),
    ("no less than seven out of ten", [("rating", 7, N, False, "no less than seven out of ten")]),
    ("above 70 on metacritic", [("rating", 7, N, False, "above 70 on metacritic")]),
    ("well reviewed", [("rating", 7, N, True, "well reviewed")]),
    ("highly rated", [("rating", 7, N, True, "highly rated")]),
    ("critically acclaimed", [("rating", 7, N, True, "critically acclaimed")]),
    ("good reviews", [("rating", 7, N, True, "good reviews")]),
    ("top-rated", [("rating", 7, N, True, "top-rated")]),
    ("award winning", [("rating", 7, N, True, "award winning")]),
    # everyday sentences with several statements
    (
        "Could you find me a thriller from the 90s that's not too long?",
        [("era", 1990, 1999, False, "from the 90s"), ("runtime", N, 120, True, "not too long")],
    ),
    (
        "Something from the late 80s, under two hours, rated at least 7/10 please",
        [
            ("era", 1986, 1989, False, "from the late 80s"),
            ("runtime", N, 120, False, "under two hours"),
            ("rating", 7, N, False, "rated at least 7/10"),
        ],
    ),
    (
        "My wife wants something under 2 hours, ideally well reviewed",
        [("runtime", N, 120, False, "under 2 hours"), ("rating", 7, N, True, "well reviewed")],
    ),
    (
        "Any good sci-fi from 1995-2005 with at least 7/10 on IMDb?",
        [
            ("era", 1995, 2005, False, "from 1995-2005"),
            ("rating", 7, N, False, "at least 7/10 on IMDb"),
        ],
    ),
    (
        "Something old, black and white maybe, about 90 minutes",
        [
            ("era", N, 1979, True, "old"),
            ("era", N, 1979, True, "black and white"),
            ("runtime", 75, 105, True, "about 90 minutes"),
        ],
    ),
    (
        "Recommend a comedy made this century, 4 stars or more",
        [("era", 2000, N, False, "made this century"), ("rating", 8, N, False, "4 stars or more")],
    ),
    (
        "movies rated above 8 from the past decade",
        [("rating", 8, N, False, "rated above 8"), ("era", 2009, N, False, "from the past decade")],
    ),
    (
        "something released after 2010 and under 100 minutes",
        [
            ("era", 2011, N, False, "released after 2010"),
            ("runtime", N, 100, False, "under 100 minutes"),
        ],
    ),
    # not quantities
    ("I'm 25 and my 2 kids love Toy Story (1995)", []),
    ("Looking for a top 10 list", []),
    ("something like Ocean's 11", []),
    ("I'd give it a 7/10", []),
    ("it's 2 hours", []),
    ("a 90 minutes drive", []),
    ("half an hour", []),
    ("a short story adaptation", []),
    ("the short film festival", []),
    ("long story short, I want comedies", []),
    ("how long is it?", []),
    ("No Country for Old Men", []),
    ("I'm in my 20s", []),
    ("my 25 year old son and my older brother", []),
    ("I was born in 1990", []),
    ("I recently watched Heat", []),
    ("Blade Runner 2049", []),
    ("I loved the visuals in 2001: A Space Odyssey", []),
    ("We watched Heat (1995) last night", []),
    ("rated R please", []),
    ("a cult classic", []),
]


def _summary(found: list[Quantity]) -> list[tuple[str, float | None, float | None, bool, str]]:
    return [(q.kind, q.low, q.high, q.vague, q.written) for q in found]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_phrasings(text: str, expected: list) -> None:
    found = find_quantities(text, max_year=MAX_YEAR)
    want = [
        (k, None if lo is None else float(lo), None if hi is None else float(hi), v, w)
        for k, lo, hi, v, w in expected
    ]
    assert _summary(found) == want
    for q in found:
        assert text[q.span[0] : q.span[1]] == q.written


def test_spans_point_at_the_words() -> None:
    text = "We have like an hour and a half TOPS, something from the 90's, 4 stars or more."
    found = find_quantities(text, max_year=MAX_YEAR)
    assert [q.span for q in found] == [(13, 36), (48, 61), (63, 78)]
    assert [q.kind for q in found] == ["runtime", "era", "rating"]


def test_recent_and_last_years_follow_the_catalog() -> None:
    assert find_quantities("something recent", max_year=2024)[0].low == 2016.0
    assert find_quantities("the last 10 years", max_year=2024)[0].low == 2015.0


def test_unicode_case_keeps_offsets() -> None:
    """`str.lower` lengthens "İ": offsets after it must still be the user's."""
    text = "İİ under two hours"
    (q,) = find_quantities(text, max_year=MAX_YEAR)
    assert q.written == "under two hours" and q.high == 120.0


def test_number_words() -> None:
    assert normalise("one hundred and twenty minutes").text == "120 minutes"
    assert normalise("nineteen eighty-five").text == "1985"
    assert normalise("two thousand and five").text == "2005"
    assert normalise("a couple of friends").text == "a couple of friends"
    assert normalise("the twenty-first century").text == "the twenty-first century"


_PIECES = [
    "under",
    "not",
    "no",
    "over",
    "at least",
    "2",
    "90",
    "1:45",
    "1h30",
    "hours",
    "an",
    "hour",
    "and a half",
    "the",
    "80s",
    "'90s",
    "late",
    "or",
    "1995",
    "-",
    "to",
    "2005",
    "after",
    "since",
    "+",
    "/10",
    "stars",
    "%",
    "rated",
    "imdb",
    "recent",
    "old",
    "short",
    "long",
    "too",
    "ninety",
    "twenty",
    "(",
    ")",
    ",",
    "İ",
    "\u2019",
    "I'm",
    "in my",
]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(st.sampled_from(_PIECES), max_size=14).map(" ".join)))
def test_never_raises_and_spans_are_sound(text: str) -> None:
    found = find_quantities(text, max_year=MAX_YEAR)
    end = 0
    for q in found:
        assert end <= q.span[0] < q.span[1] <= len(text)
        assert q.written == text[q.span[0] : q.span[1]]
        assert q.kind in ("runtime", "era", "rating")
        end = q.span[1]
