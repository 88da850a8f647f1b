"""filter_items and violations on the real catalog (integration)."""

from __future__ import annotations

import random

import pytest

from convrec.tools.base import ToolArgumentError
from convrec.tools.filters import FilterArgs, filter_items, violations
from tests.tools.filter_cases import (
    PAYLOADS,
    STRING_FIELDS,
    all_ids,
    catalog_state,
)


def sandler(real_catalog) -> tuple[set[int], set[int]]:
    people = {r[0] for r in real_catalog.query(
        "SELECT person_id FROM people WHERE norm_name = 'adamsandler'")}
    credited = {r[0] for r in real_catalog.query(
        f"SELECT item_id FROM credits WHERE person_id IN ({','.join('?' * len(people))})",
        sorted(people))}
    tagged = {r[0] for r in real_catalog.query(
        "SELECT item_id FROM tags WHERE lower(tag) = 'adam sandler'")}
    return credited, tagged


@pytest.mark.integration
def test_real_comedy_90s_without_sandler(real_ctx, real_catalog):
    out = filter_items(FilterArgs(genres_any=["Comedy"], decade="90s",
                                  people_exclude=["Adam Sandler"]), real_ctx)
    found = set(out.ids())
    comedies_90s = {r[0] for r in real_catalog.query(
        "SELECT i.item_id FROM items i JOIN item_genres ig ON ig.item_id = i.item_id "
        "JOIN genres g ON g.genre_id = ig.genre_id "
        "WHERE g.name = 'Comedy' AND i.year BETWEEN 1990 AND 1999")}
    credited, tagged = sandler(real_catalog)
    assert credited and tagged
    assert found == comedies_90s - credited - tagged
    assert 104 in comedies_90s and 104 not in found  # Happy Gilmore
    assert out.trace == f"filter: 13,507 -> {len(found):,}"
    for item in real_catalog.items(found):
        assert "Comedy" in item.genres and 1990 <= item.year <= 1999
        assert "Adam Sandler" not in {p.name for p in (*item.cast, *item.directors)}


@pytest.mark.integration
def test_real_exclude_ids_and_candidates(real_ctx):
    base = filter_items(FilterArgs(genres_all=["Science Fiction"], decade=1980), real_ctx).ids()
    seen = base[:10]
    again = filter_items(FilterArgs(genres_all=["Science Fiction"], decade=1980,
                                    exclude_ids=seen), real_ctx).ids()
    assert set(again) == set(base) - set(seen)
    shown = filter_items(FilterArgs(genres_all=["Science Fiction"], exclude_ids=seen), real_ctx,
                         candidates=base[:30]).ids()
    assert set(shown) == set(base[10:30])


@pytest.mark.integration
def test_real_namesakes_all_match(real_ctx, real_catalog):
    out = filter_items(FilterArgs(people_include=["Craig Johnson"]), real_ctx)
    people = [r[0] for r in real_catalog.query(
        "SELECT person_id FROM people WHERE norm_name = 'craigjohnson'")]
    assert len(people) > 1
    expected = {r[0] for r in real_catalog.query(
        f"SELECT item_id FROM credits WHERE person_id IN ({','.join('?' * len(people))})", people)}
    assert set(out.ids()) >= expected
    assert any(f"{len(people)} people in the catalog are named Craig Johnson" in n
               for n in out.notes)


def random_filter(rng: random.Random) -> FilterArgs:
    pool = {
        "genres_any": lambda: rng.sample(["Comedy", "Drama", "Horror", "Romance", "Action",
                                          "Animation", "Documentary"], rng.randint(1, 2)),
        "genres_all": lambda: rng.sample(["Drama", "Thriller", "Crime", "Adventure"], 1),
        "genres_none": lambda: rng.sample(["Horror", "Romance", "Family"], 1),
        "decade": lambda: rng.choice([1970, 1980, 1990, 2000, 2010]),
        "runtime_max": lambda: rng.choice([90, 100, 120, 150]),
        "runtime_min": lambda: rng.choice([80, 100]),
        "languages": lambda: rng.sample(["en", "fr", "French", "ja", "es", "de"], 1),
        "min_rating": lambda: rng.choice([5, 6.5, 7, 8]),
        "min_votes": lambda: rng.choice([10, 100, 1000]),
        "people_exclude": lambda: [rng.choice(["Adam Sandler", "Tom Cruise", "Nicolas Cage"])],
        "people_include": lambda: [rng.choice([
            {"name": "Tom Hanks", "role": "actor"}, {"name": "Steven Spielberg",
                                                    "role": "director"}, "Robin Williams"])],
        "keywords_any": lambda: rng.sample(["time travel", "dystopia", "new york", "heist",
                                            "Paris", "dark comedy"], 2),
    }
    fields = rng.sample(sorted(pool), rng.randint(1, 4))
    kwargs = {f: pool[f]() for f in fields}
    if "genres_any" in kwargs and "genres_none" in kwargs and set(kwargs["genres_any"]) <= set(
            kwargs["genres_none"]):
        del kwargs["genres_none"]
    if kwargs.get("runtime_min", 0) > kwargs.get("runtime_max", 1000):
        del kwargs["runtime_min"]
    return FilterArgs(**kwargs)


@pytest.mark.integration
def test_real_random_filters_agree_with_violations(real_ctx, real_catalog):
    rng = random.Random(20240611)
    everything = sorted(all_ids(real_catalog))
    checked_nonempty = 0
    for _ in range(30):
        args = random_filter(rng)
        returned = set(filter_items(args, real_ctx).ids())
        checked_nonempty += bool(returned)
        sample = set(rng.sample(everything, 300)) | set(list(returned)[:300])
        found = violations(sample, args, real_ctx)
        for item_id, broken in found.items():
            assert (item_id in returned) == (not broken), (args, item_id, broken)
    assert checked_nonempty >= 10


@pytest.mark.integration
def test_real_injection_leaves_catalog_intact(real_ctx, real_catalog):
    before = catalog_state(real_catalog)
    for field, (what, make) in STRING_FIELDS.items():
        for payload in PAYLOADS:
            with pytest.raises(ToolArgumentError) as err:
                filter_items(FilterArgs(**make(payload)), real_ctx)
            assert str(err.value).startswith(f"unknown {what}"), (field, payload)
    assert catalog_state(real_catalog) == before
