"""lookup_items: unit tests on the synthetic catalog, integration tests on the real one."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from convrec.catalog.normalize import title_key
from convrec.tools.base import ToolArgumentError
from convrec.tools.context import Resources, ToolContext
from convrec.tools.lookup import (
    INDEX_RESOURCE,
    LookupArgs,
    get_title_index,
    lookup_items,
    parse_title,
)


@pytest.fixture(scope="module")
def ctx(synthetic_catalog, tmp_path_factory) -> ToolContext:
    return ToolContext(Resources(synthetic_catalog, tmp_path_factory.mktemp("index")))


def by_title(ctx: ToolContext, title: str, **kwargs):
    return lookup_items(LookupArgs(title=title, **kwargs), ctx)


# ----------------------------------------------------------------------------- by id


def test_by_id_gives_the_facts(ctx):
    out = lookup_items(LookupArgs(item_id=2571), ctx)
    assert out.ids() == [2571] and out.items[0].score == 1.0
    evidence = out.items[0].evidence
    assert evidence[:3] == ["title: The Matrix", "year: 1999", "runtime: 136 min"]
    assert any(e.startswith("directed by ") and "Wachowski" in e for e in evidence)
    assert any(e.startswith("starring Keanu Reeves") for e in evidence)
    assert "genres: Action, Science Fiction, Thriller" in evidence
    assert "rated 7.9/10 (TMDB, 8,907 votes)" in evidence
    (overview,) = [e for e in evidence if e.startswith("overview: ")]
    assert len(overview) <= len("overview: ") + 201
    assert out.trace == "lookup: id 2571 -> The Matrix (1999)"


def test_by_id_of_a_movielens_only_film(ctx):
    evidence = lookup_items(LookupArgs(item_id=6), ctx).items[0].evidence
    assert evidence[:2] == ["title: Heat", "year: 1995"]
    assert any(e.startswith("rated ") and "/5 (MovieLens" in e for e in evidence)


def test_unknown_id_is_an_argument_error(ctx):
    with pytest.raises(ToolArgumentError, match="no film with catalog id 424242"):
        lookup_items(LookupArgs(item_id=424242), ctx)


# ----------------------------------------------------------------------------- by title


@pytest.mark.parametrize(
    ("title", "item_id"),
    [
        ("The Matrix", 2571),
        ("matrix", 2571),
        ("Matrix, The", 2571),
        ("The Matrx", 2571),  # misspelt
        ("  the MATRIX  ", 2571),
        ("Amélie", 4973),
        ("Le Fabuleux destin d'Amelie Poulain", 4973),  # original title
        ("Shichinin no samurai", 2019),  # alias
        ("Dumb and Dumber", 231),  # '&' written out
        ("Lord of the Rings", 4993),  # shortened
        ("Groundhog Day (1993)", 1265),
    ],
)
def test_title_matches(ctx, title, item_id):
    out = by_title(ctx, title)
    assert out.ids()[0] == item_id
    assert out.notes == []


def test_alias_match_is_shown(ctx):
    out = by_title(ctx, "Se7en")
    assert out.ids()[0] == 47 and out.items[0].score == 1.0
    assert "also known as: Se7en (alias title)" in out.items[0].evidence
    assert out.items[0].evidence[-1] == "title match: 100%"


def test_ambiguous_title_returns_every_close_candidate(ctx):
    out = by_title(ctx, "Hamlet", limit=1)
    assert set(out.ids()[:2]) == {1411, 3723}
    assert out.items[0].score == out.items[1].score == 1.0
    (note,) = out.notes
    assert "'Hamlet' is ambiguous: 2 films" in note
    assert "Hamlet (1996, Kenneth Branagh)" in note and "Hamlet (1990)" in note
    assert any(e.startswith("directed by Kenneth Branagh") for e in out.items[0].evidence)


def test_ambiguous_across_sources(ctx):
    out = by_title(ctx, "Signs")
    assert set(out.ids()) >= {5502, 2093706}
    assert "ambiguous" in out.notes[0]


@pytest.mark.parametrize(
    ("title", "year", "item_id"),
    [
        ("Hamlet", 1996, 1411),
        ("Hamlet", 1990, 3723),
        ("Hamlet", 1991, 3723),  # off by one
        ("Hamlet (1997)", None, 1411),  # off by one, written in the title
        ("Hamlet 1990", None, 3723),
        ("Signs", 2008, 2093706),
        ("Jumanji 2017", None, 2083552),
    ],
)
def test_year_breaks_ties(ctx, title, year, item_id):
    out = by_title(ctx, title, year=year)
    assert out.ids()[0] == item_id
    assert out.notes == []  # the year settles it
    assert out.items[0].score > out.items[1].score


def test_number_in_a_title_is_not_only_a_year():
    keys = parse_title("Blade Runner 2049", None)
    assert keys == [("bladerunner", 2049), ("bladerunner2049", None)]
    assert parse_title("Heat (1995)", None) == [("heat", 1995)]
    assert parse_title("Heat", 1995) == [("heat", 1995)]


def test_title_keys_ignore_articles_and_punctuation():
    assert title_key("The Matrix") == title_key("Matrix, The") == title_key("matrix") == "matrix"
    assert title_key("A Beautiful Mind") == "beautifulmind"
    assert title_key("千と千尋の神隠し") == "千と千尋の神隠し"


def test_limit(ctx):
    assert len(by_title(ctx, "The Lord of the Rings", limit=1).items) == 1
    assert len(by_title(ctx, "Se", limit=50).items) <= 50


def test_made_up_title_is_not_an_error(ctx):
    out = by_title(ctx, "Qwertyuiop Zxcvbnm")
    assert out.items == []
    assert out.notes[0].startswith("no film in the catalog matches 'Qwertyuiop Zxcvbnm'")
    assert "-> 0 matching" in out.trace


@pytest.mark.parametrize("title", ["", "   "])
def test_empty_title(ctx, title):
    with pytest.raises(ToolArgumentError, match="empty title"):
        lookup_items(LookupArgs(title=title), ctx)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of item_id or title"),
        ({"item_id": 1, "title": "Heat"}, "exactly one of item_id or title"),
        ({"item_id": 1, "year": 1995}, "year only goes with a title"),
        ({"title": "Heat", "limit": 0}, "greater than or equal to 1"),
        ({"title": "Heat", "year": 95}, "greater than or equal to 1870"),
        ({"title": "Heat", "director": "Mann"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        LookupArgs(**kwargs)


def test_title_index_cached_per_resources(ctx):
    by_title(ctx, "Heat")
    index = get_title_index(ctx)
    assert ctx.resources.get(INDEX_RESOURCE, lambda: pytest.fail("rebuilt")) is index
    assert len(index) == ctx.catalog.query("SELECT COUNT(*) FROM items")[0][0]


# ----------------------------------------------------------------------------- SQL safety

PAYLOADS = [
    "x' OR '1'='1",
    "'); DROP TABLE items; --",
    'Comedy" OR 1=1 --',
    "' UNION SELECT name, 1 FROM people --",
]


def catalog_state(catalog):
    counts = tuple(catalog.query(f"SELECT COUNT(*) FROM {t}")[0][0]
                   for t in ("items", "ratings", "reviews", "item_titles"))
    return counts, catalog.path.stat().st_mtime_ns


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_in_title_is_just_no_match(ctx, payload):
    before = catalog_state(ctx.catalog)
    out = by_title(ctx, payload)
    assert catalog_state(ctx.catalog) == before
    assert out.items == []
    assert out.notes[0].startswith(f"no film in the catalog matches {payload!r}")
    assert "sqlite" not in " ".join(out.notes).lower()


# ----------------------------------------------------------------------------- real catalog


@pytest.fixture(scope="module")
def real_ctx(real_catalog, tmp_path_factory) -> ToolContext:
    return ToolContext(Resources(real_catalog, tmp_path_factory.mktemp("real-index")))


@pytest.mark.integration
def test_real_the_matrix(real_ctx):
    out = by_title(real_ctx, "The Matrix")
    assert out.ids()[0] == 2571 and out.items[0].score == 1.0
    assert out.notes == []
    assert out.items[1].score < 1.0  # Reloaded / Revolutions follow, clearly behind
    evidence = out.items[0].evidence
    assert "year: 1999" in evidence and "runtime: 136 min" in evidence
    assert any("Keanu Reeves" in e for e in evidence)


@pytest.mark.integration
def test_real_heat_1995(real_ctx, real_catalog):
    out = by_title(real_ctx, "Heat 1995")
    assert out.ids()[0] == 6 and out.notes == []
    assert real_catalog.item(6).label == "Heat (1995)"
    assert by_title(real_ctx, "Heat", year=1996).ids()[0] == 6


@pytest.mark.integration
def test_real_emma_is_ambiguous(real_ctx, real_catalog):
    out = by_title(real_ctx, "Emma")
    emmas = {r[0] for r in real_catalog.query("SELECT item_id FROM items WHERE title = 'Emma'")}
    assert len(emmas) >= 3
    assert set(out.ids()) >= emmas
    (note,) = out.notes
    assert f"'Emma' is ambiguous: {len(emmas)} films" in note
    assert "Emma (2009" in note and note.count("Emma (1996") == 2
    assert all(i.score == 1.0 for i in out.items[: len(emmas)])


@pytest.mark.integration
@pytest.mark.parametrize("title", ["Hamlet", "War of the Worlds"])
def test_real_other_ambiguous_titles(real_ctx, title):
    out = by_title(real_ctx, title)
    assert len(out.items) >= 3 and "ambiguous" in out.notes[0]
    years = {e for i in out.items for e in i.evidence if e.startswith("year: ")}
    assert len(years) >= 2


@pytest.mark.integration
@pytest.mark.parametrize("payload", PAYLOADS)
def test_real_injection_in_title(real_ctx, real_catalog, payload):
    before = catalog_state(real_catalog)
    out = by_title(real_ctx, payload)
    assert out.items == [] and out.notes[0].startswith("no film in the catalog matches")
    assert catalog_state(real_catalog) == before
