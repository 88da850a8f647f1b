"""filter_items and violations: unit tests on the synthetic catalog (SQL safety and the real
catalog: test_filters_sql_safety.py, test_filters_real.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from convrec.catalog.schema import TMDB_ID_BASE
from convrec.tools.base import ToolArgumentError
from convrec.tools.filters import (
    VOCAB_RESOURCE,
    FilterArgs,
    PersonRef,
    filter_items,
    get_vocab,
    violations,
)
from tests.tools.filter_cases import all_ids, run

SANDLER_TMDB_ONLY_ITEMS = {TMDB_ID_BASE + 2022, TMDB_ID_BASE + 9339}  # Mr. Deeds, Click


@pytest.fixture(scope="module")
def exp(synthetic_source):
    return synthetic_source[1]


def tmdb_item(catalog, tmdb_id: int) -> int:
    rows = catalog.query("SELECT item_id FROM items WHERE tmdb_id = ? AND has_tmdb = 1", [tmdb_id])
    assert len(rows) == 1, tmdb_id
    return rows[0][0]


# ----------------------------------------------------------------------------- each field


def test_genre_and_decade(ctx, exp):
    assert run(ctx, genres_any=["Comedy"], decade="90s") == set(exp.comedy_90s_ml_ids)
    assert run(ctx, genres_any=["comedy"], decade=1990) == set(exp.comedy_90s_ml_ids)
    assert run(ctx, genres_any="Comedy", year_from=1990, year_to=1999) == set(
        exp.comedy_90s_ml_ids
    )


def test_genre_aliases_and_any_all_none(ctx, exp):
    scifi = set(exp.scifi_ml_ids)
    assert scifi <= run(ctx, genres_any=["Sci-Fi"])
    assert run(ctx, genres_any=["Sci-Fi"]) == run(ctx, genres_any=["Science Fiction"])
    assert run(ctx, genres_all=["Science Fiction", "Horror"]) >= scifi & set(exp.horror_ml_ids)
    no_horror = run(ctx, genres_any=["Science Fiction"], genres_none=["Horror"])
    assert no_horror and not no_horror & set(exp.horror_ml_ids)
    assert run(ctx, genres_all=["Comedy", "Romance"]) == {
        39, 1265, 1777, 2324, 2706, 4973, 6003, TMDB_ID_BASE + 2022, TMDB_ID_BASE + 9339}
    assert run(ctx, genres_any=["Animation", "Horror"]) == {
        1, 1214, 1258, 1407, 5502, 5618, 52281, 76093, TMDB_ID_BASE + 2667}


def test_decade_forms_and_merging():
    assert FilterArgs(decade="90s").year_bounds() == (1990, 1999)
    assert FilterArgs(decade="'80s").year_bounds() == (1980, 1989)
    assert FilterArgs(decade="1970s").year_bounds() == (1970, 1979)
    assert FilterArgs(decade="00s").year_bounds() == (2000, 2009)
    assert FilterArgs(decade=1995).year_bounds() == (1990, 1999)
    assert FilterArgs(decade=90).year_bounds() == (1990, 1999)
    # with an explicit range, the range is the overlap
    assert FilterArgs(decade="90s", year_from=1995).year_bounds() == (1995, 1999)
    assert FilterArgs(decade="90s", year_to=1992).year_bounds() == (1990, 1992)


def test_years_exclude_unknown_years(ctx, synthetic_catalog):
    found = run(ctx, year_from=2000)
    years = {r[0]: r[1] for r in synthetic_catalog.query("SELECT item_id, year FROM items")}
    assert found == {i for i, y in years.items() if y is not None and y >= 2000}
    assert 40697 not in run(ctx, year_to=2100)  # Babylon 5 has no year


def test_runtime_bounds_and_unknown_runtime(ctx, exp, synthetic_catalog):
    over_150 = {tmdb_item(synthetic_catalog, t) for t in exp.over_150_min_tmdb_ids}
    assert run(ctx, runtime_min=151) == over_150
    short = run(ctx, runtime_max=100)
    runtimes = {r[0]: r[1] for r in synthetic_catalog.query("SELECT item_id, runtime FROM items")}
    assert short == {i for i, rt in runtimes.items() if rt is not None and rt <= 100}
    # films with no runtime satisfy no runtime bound, not even a generous one
    assert run(ctx, runtime_max=1000) == {i for i, rt in runtimes.items() if rt is not None}
    assert run(ctx, runtime_min=90, runtime_max=92) == {104, 2335}


def test_languages_by_code_and_name(ctx, exp, synthetic_catalog):
    french = run(ctx, languages=["fr"])
    assert french == {4973, 92259}
    assert run(ctx, languages=["French"]) == french == run(ctx, languages=["FR"])
    non_english = {tmdb_item(synthetic_catalog, t) for t in exp.non_english_tmdb_ids}
    codes = [r[0] for r in synthetic_catalog.query(
        "SELECT DISTINCT original_language FROM items WHERE original_language != 'en'")]
    assert run(ctx, languages=codes) == non_english
    assert run(ctx, languages=["Japanese", "korean"]) == {2019, TMDB_ID_BASE + 670}


def test_min_rating_and_votes(ctx, synthetic_catalog):
    rows = synthetic_catalog.query(
        "SELECT item_id, has_tmdb, vote_average, vote_count, rating_mean, rating_count FROM items")

    def rating(r):
        if r["has_tmdb"] and r["vote_count"]:
            return r["vote_average"]
        return r["rating_mean"] * 2 if r["rating_count"] else None

    def votes(r):
        return r["vote_count"] if r["has_tmdb"] and r["vote_count"] else r["rating_count"]

    assert run(ctx, min_rating=8) == {r[0] for r in rows if (rating(r) or 0) >= 8}
    # MovieLens-only films are rated on 0-5: 3.5 / 5 counts as 7 / 10
    assert 1265 not in run(ctx, min_rating=7.5)  # TMDB 7.4, though MovieLens says 3.54
    assert 2851 in run(ctx, min_rating=6.9)  # MovieLens only, 3.47 / 5
    assert run(ctx, min_votes=5000) == {r[0] for r in rows if votes(r) >= 5000}
    assert 2851 in run(ctx, min_votes=15)  # 15 MovieLens ratings


def test_people_include_and_exclude(ctx, exp):
    sandler_cast = set(exp.sandler_cast_ml_ids) | SANDLER_TMDB_ONLY_ITEMS
    tagged = set(exp.sandler_tagged_only_ml_ids)
    assert run(ctx, people_include=[{"name": "Adam Sandler", "role": "actor"}]) == sandler_cast
    # role 'any' also trusts MovieLens tags naming him (films without TMDB credits)
    assert run(ctx, people_include=["Adam Sandler"]) == sandler_cast | tagged
    assert run(ctx, people_include=[{"name": "Adam Sandler", "role": "director"}]) == set()
    assert run(ctx, people_include=[{"name": "Christopher Nolan", "role": "director"}]) == {
        79132, 109487}
    assert run(ctx, people_include=["Jim Carrey", "adam sandler"]) == set()
    assert run(ctx, people_include=["Jim Carrey"]) == {231, 344}


def test_comedy_90s_without_sandler(ctx, exp):
    without_any = run(ctx, genres_any=["Comedy"], decade="90s", people_exclude=["Adam Sandler"])
    assert without_any == set(exp.comedy_90s_without_sandler_cast_ml_ids) - set(
        exp.sandler_tagged_only_ml_ids)
    as_actor = run(ctx, genres_any=["Comedy"], decade="90s",
                   people_exclude=[PersonRef(name="Adam Sandler", role="actor")])
    assert as_actor == set(exp.comedy_90s_without_sandler_cast_ml_ids)


def test_keywords_and_tags_case_insensitive(ctx):
    assert run(ctx, keywords_any=["time loop"]) == {1265}  # a MovieLens tag
    assert run(ctx, keywords_any=["GOLF"]) == {104}  # keyword and tag
    assert run(ctx, keywords_any=["paris"]) == run(ctx, keywords_any=["Paris"]) == {4973}
    assert run(ctx, keywords_any=["dream", "shipwreck"]) == {79132, 1721}
    assert run(ctx, keywords_any=["sci fi"]) == run(ctx, keywords_any=["Sci-Fi"])
    # stored with quotes; still one bound value
    assert run(ctx, keywords_any=['"artsy"']) == {4973}


def _made_by(catalog, word: str) -> set[int]:
    return {r[0] for r in catalog.query(
        "SELECT ic.item_id FROM item_companies ic JOIN companies c USING (company_id) "
        "WHERE ' ' || lower(c.name) || ' ' LIKE ?", [f"% {word} %"])}


def test_studios(ctx):
    catalog = ctx.catalog
    with_data = {r[0] for r in catalog.query("SELECT DISTINCT item_id FROM item_companies")}
    warner = _made_by(catalog, "warner")
    assert warner and run(ctx, studios_any=["Warner"]) == warner
    assert run(ctx, studios_any=["warner bros"]) == warner
    assert run(ctx, studios_none=["Warner Bros."]) == with_data - warner  # no data: unknown
    both = run(ctx, studios_any=["Universal", "Paramount"])
    assert both == _made_by(catalog, "universal") | _made_by(catalog, "paramount")
    with pytest.raises(ToolArgumentError) as err:
        run(ctx, studios_any=["Warnre Bros"])
    assert "Warner" in " ".join(err.value.suggestions["studios_any"])
    args = FilterArgs(studios_none=["Warner"])
    assert all(violations(sorted(warner), args, ctx).values())
    assert not any(violations(sorted(with_data - warner), args, ctx).values())


def test_keywords_none(ctx):
    golf = run(ctx, keywords_any=["golf"])
    comedies = run(ctx, genres_any=["Comedy"])
    without = run(ctx, genres_any=["Comedy"], keywords_none=["GOLF"])
    assert without == comedies - golf and golf & comedies
    out = filter_items(FilterArgs(genres_any=["Comedy"], keywords_none=["golf"]), ctx)
    assert violations(sorted(golf), FilterArgs(genres_any=["Comedy"], keywords_none=["golf"]),
                      ctx)[104]
    assert not any(violations(out.ids(), FilterArgs(genres_any=["Comedy"],
                                                    keywords_none=["golf"]), ctx).values())


def test_exclude_ids_candidates_and_limit(ctx, exp):
    comedies = set(exp.comedy_90s_ml_ids)
    assert run(ctx, genres_any=["Comedy"], decade="90s", exclude_ids=[1, 39, 999]) == comedies - {
        1, 39}
    out = filter_items(FilterArgs(genres_any=["Comedy"], decade="90s"), ctx,
                       candidates=[1, 39, 1214, 104, 424242])
    assert set(out.ids()) == {1, 39, 104}
    assert out.trace == "filter: 4 -> 3"
    assert any("1 candidate ids are not in the catalog" in n for n in out.notes)
    # a candidate set larger than half the catalog is bound as its complement
    big = all_ids(ctx.catalog) - {104}
    assert set(filter_items(FilterArgs(genres_any=["Comedy"], decade="90s"), ctx,
                            candidates=big).ids()) == comedies - {104}
    limited = filter_items(FilterArgs(genres_any=["Comedy"], decade="90s", limit=3), ctx)
    assert len(limited.items) == 3
    assert limited.trace == f"filter: {ctx.catalog.query('SELECT COUNT(*) FROM items')[0][0]:,} " \
        f"-> {len(comedies)} (kept 3)"


def test_no_candidates_gives_nothing_without_relax_notes(ctx):
    out = filter_items(FilterArgs(genres_any=["Comedy"]), ctx, candidates=[])
    assert out.items == [] and out.trace == "filter: 0 -> 0" and out.notes == []


def test_decade_accepts_strings_in_the_schema():
    schema = FilterArgs.model_json_schema()["properties"]["decade"]
    assert {"type": "string"} in schema["anyOf"] and {"type": "integer"} in schema["anyOf"]
    assert FilterArgs.model_validate_json('{"decade": "90s"}').decade == 1990


def test_exclude_only_filter_keeps_the_rest(ctx):
    everything = all_ids(ctx.catalog)
    kept = run(ctx, exclude_ids=sorted(everything - {1, 2}))
    assert kept == {1, 2}


def test_scores_order_by_popularity(ctx):
    out = filter_items(FilterArgs(genres_any=["Comedy"]), ctx)
    scores = [i.score for i in out.items]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)
    rank = {i.item_id: n for n, i in enumerate(out.items)}
    assert rank[1265] < rank[344]  # Groundhog Day (7.4, 2,301 votes), Ace Ventura (6.4, 1,648)
    recent = filter_items(FilterArgs(year_from=2008), ctx)
    assert recent.ids()[0] == 79132  # Inception: the most votes
    no_votes = {2083552, 2093706, 2204334}  # ReDial-only films: no ratings at all
    assert {i.item_id for i in recent.items if i.score == 0} == no_votes
    assert set(recent.ids()[-3:]) == no_votes


def test_evidence_names_each_constraint(ctx):
    out = filter_items(FilterArgs(
        genres_any=["Comedy", "Horror"], decade="90s", runtime_max=120, languages=["English"],
        min_rating=7, people_include=["Bill Murray"],
        keywords_any=["time loop", "weather forecast"],
    ), ctx)
    assert out.ids() == [1265]
    evidence = out.items[0].evidence
    for fact in ("Comedy", "1993", "101 min", "English", "rated 7.4/10", "with Bill Murray"):
        assert fact in evidence
    assert any(e.startswith("keyword: ") and "time loop" in e and "weather forecast" in e
               for e in evidence)
    negative = filter_items(FilterArgs(genres_none=["Horror"], people_exclude=["Adam Sandler"],
                                       min_votes=8000), ctx)
    assert negative.items and all(
        {"not Horror", "without Adam Sandler"} <= set(i.evidence) for i in negative.items)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "at least one constraint"),
        ({"limit": 5}, "at least one constraint"),
        ({"year_from": 2000, "year_to": 1990}, "year_from (2000) is after year_to (1990)"),
        ({"decade": "90s", "year_from": 2005}, "do not overlap"),
        ({"decade": "nineties"}, "decade must look like"),
        ({"decade": 1600}, "between 1870 and 2100"),
        ({"runtime_min": 120, "runtime_max": 90}, "runtime_min (120) is above runtime_max (90)"),
        ({"genres_all": ["Comedy"], "genres_none": ["comedy"]}, "genres_all and genres_none"),
        ({"genres_any": ["Horror"], "genres_none": ["Horror"]}, "also in genres_none"),
        ({"genres_any": [""]}, "at least 1 character"),
        ({"languages": ["  "]}, "at least 1 character"),
        ({"people_include": [{"name": ""}]}, "at least 1 character"),
        ({"people_include": [{"name": "X", "role": "producer"}]}, "actor"),
        ({"people_include": ["Adam Sandler"], "people_exclude": ["adam sandler"]},
         "both name"),
        ({"min_rating": 11}, "less than or equal to 10"),
        ({"genres_any": ["Drama"], "limit": 0}, "greater than or equal to 1"),
        ({"genres_any": ["Drama"], "colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValidationError) as err:
        FilterArgs(**kwargs)
    assert message in str(err.value)


def test_include_and_exclude_in_different_roles_is_allowed():
    args = FilterArgs(people_include=[{"name": "Clint Eastwood", "role": "director"}],
                      people_exclude=[{"name": "Clint Eastwood", "role": "actor"}])
    assert args.people_exclude[0].role == "actor"


@pytest.mark.parametrize(
    ("kwargs", "field", "suggestion"),
    [
        ({"genres_any": ["scifi"]}, "genres_any", "Science Fiction"),
        ({"genres_all": ["Comedies"]}, "genres_all", "Comedy"),
        ({"genres_none": ["horor"]}, "genres_none", "Horror"),
        ({"languages": ["Frnch"]}, "languages", "French"),
        ({"people_include": ["Jim Carey Smith"]}, "people_include", "Jim Carrey"),
        ({"people_exclude": ["Kristofer Nolen"]}, "people_exclude", "Christopher Nolan"),
        ({"keywords_any": ["zombi"]}, "keywords_any", "zombie"),
    ],
)
def test_unknown_vocabulary_suggests(ctx, kwargs, field, suggestion):
    with pytest.raises(ToolArgumentError) as err:
        filter_items(FilterArgs(**kwargs), ctx)
    assert str(err.value).startswith("unknown ")
    assert suggestion in err.value.suggestions[field]
    assert f"did you mean {suggestion}" in str(err.value) or suggestion in str(err.value)


def test_same_genre_required_and_excluded_after_aliases(ctx):
    with pytest.raises(ToolArgumentError, match="Science Fiction is both required and excluded"):
        filter_items(FilterArgs(genres_all=["Sci-Fi"], genres_none=["science fiction"]), ctx)


def test_scifi_message(ctx):
    with pytest.raises(ToolArgumentError, match=r"unknown genre 'scifi'; did you mean Science"):
        filter_items(FilterArgs(genres_any=["scifi"]), ctx)


def test_language_not_in_catalog(ctx):
    with pytest.raises(ToolArgumentError, match="no film in the catalog has 'Swahili'"):
        filter_items(FilterArgs(languages=["Swahili"]), ctx)


def test_confident_fuzzy_person_match_is_noted(ctx, exp):
    out = filter_items(FilterArgs(people_include=[{"name": "Adam Sandlr", "role": "actor"}]), ctx)
    assert set(out.ids()) == set(exp.sandler_cast_ml_ids) | SANDLER_TMDB_ONLY_ITEMS
    assert any("using Adam Sandler" in n for n in out.notes)


def test_vocabulary_cached_per_resources(ctx):
    filter_items(FilterArgs(genres_any=["Drama"]), ctx)
    first = get_vocab(ctx)
    assert ctx.resources.get(VOCAB_RESOURCE, lambda: pytest.fail("reloaded")) is first


# ----------------------------------------------------------------------------- empty results


def test_empty_result_says_what_to_relax(ctx):
    out = filter_items(FilterArgs(genres_all=["Comedy"], languages=["French"], runtime_max=100),
                       ctx)
    assert out.items == [] and out.trace.endswith("-> 0")
    (note,) = out.notes
    assert "languages (French) -> 6 films" in note
    assert "runtime_max (at most 100 min) -> 2 films" in note
    assert "genres_all" not in note  # dropping Comedy alone gives nothing


def test_empty_result_when_nothing_single_helps(ctx):
    out = filter_items(FilterArgs(languages=["fr"], runtime_max=80, min_rating=9.5), ctx)
    assert out.items == []
    assert out.notes == [
        "no film meets these constraints, and dropping any single one does not help"]


# ----------------------------------------------------------------------------- violations


SYNTHETIC_FILTERS = [
    {"genres_any": ["Comedy"], "decade": "90s", "people_exclude": ["Adam Sandler"]},
    {"genres_all": ["Science Fiction"], "genres_none": ["Horror"], "runtime_max": 150},
    {"languages": ["fr", "ja"], "min_rating": 7.5},
    {"people_include": [{"name": "Adam Sandler", "role": "actor"}], "min_votes": 700},
    {"keywords_any": ["paris", "space"], "exclude_ids": [4973]},
    {"year_from": 1995, "year_to": 1999, "runtime_min": 100, "genres_any": ["Drama", "Crime"]},
]


@pytest.mark.parametrize("kwargs", SYNTHETIC_FILTERS)
def test_violations_agree_with_filter(ctx, kwargs):
    args = FilterArgs(**kwargs)
    returned = set(filter_items(args, ctx).ids())
    found = violations(all_ids(ctx.catalog), args, ctx)
    assert {i for i, v in found.items() if not v} == returned
    assert returned


def test_violation_messages(ctx):
    args = FilterArgs(genres_any=["Comedy"], decade="90s", runtime_max=100,
                      people_exclude=["Adam Sandler"], exclude_ids=[39])
    found = violations([104, 1214, 39, 1, 424242], args, ctx)
    assert found[104] == ["with Adam Sandler"]
    assert found[1214] == [
        "not Comedy", "year 1979, not 1990-1999", "runtime 117 min, not at most 100 min"]
    assert found[39] == ["excluded (seen, rejected or already shown)"]
    assert found[1] == ["runtime unknown, needs at most 100 min"]
    assert found[424242] == ["not in the catalog"]
