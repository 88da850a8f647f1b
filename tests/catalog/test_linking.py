"""Tests for convrec.catalog.linking: the ReDial and RT link files recomputed from raw tables."""

from __future__ import annotations

import io
import json
import logging
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from convrec.catalog.linking import (
    REDIAL_LINK_COLUMNS,
    RT_LINK_COLUMNS,
    coerce_redial_links,
    coerce_rt_links,
    link_redial_movies,
    link_rt_movies,
)
from convrec.errors import DataSourceError

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

# --------------------------------------------------------------------------- builders


def redial(*names: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "movieId": [100 + i for i in range(len(names))],
            "movieName": list(names),
            "nbMentions": [1] * len(names),
        }
    )


def ml_movies(*rows: tuple[int, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"movieId": [r[0] for r in rows], "title": [r[1] for r in rows], "genres": "Drama"}
    )


def ml_links(*rows: tuple[int, float | None]) -> pd.DataFrame:
    """links.csv as pandas reads it: tmdbId is float because some are empty."""
    return pd.DataFrame(
        {
            "movieId": [r[0] for r in rows],
            "imdbId": ["0000001"] * len(rows),
            "tmdbId": pd.array([r[1] for r in rows], dtype="float64"),
        }
    )


def tmdb_movies(*rows: tuple[Any, ...]) -> pd.DataFrame:
    """(id, title, original_title, release_date[, runtime])."""
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "title": [r[1] for r in rows],
            "original_title": [r[2] for r in rows],
            "release_date": [r[3] for r in rows],
            "runtime": [r[4] if len(r) > 4 else 100.0 for r in rows],
        }
    )


def credits(*rows: tuple[int, Any]) -> pd.DataFrame:
    """(movie_id, director name | list of names | raw crew cell)."""
    cells = []
    for _, crew in rows:
        if isinstance(crew, str) and not crew.startswith(("[", "{")):
            crew = [crew]
        if isinstance(crew, list):
            people = [{"job": "Director", "name": n, "department": "Directing"} for n in crew]
            people.append({"job": "Producer", "name": "Some Producer"})
            crew = json.dumps(people)
        cells.append(crew)
    return pd.DataFrame(
        {"movie_id": [r[0] for r in rows], "title": "x", "cast": "[]", "crew": cells}
    )


def rt_info(*rows: tuple[Any, Any, Any, Any]) -> pd.DataFrame:
    """(id, director, theater_date, runtime)."""
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "synopsis": "...",
            "director": [r[1] for r in rows],
            "theater_date": [r[2] for r in rows],
            "runtime": [r[3] for r in rows],
        }
    )


def link_one(name: str, ml: pd.DataFrame, tm: pd.DataFrame | None = None, links=None) -> dict:
    tm = tm if tm is not None else tmdb_movies()
    links = links if links is not None else ml_links()
    out = link_redial_movies(redial(name), ml, links, tm)
    assert len(out) == 1
    return out.iloc[0].to_dict()


# --------------------------------------------------------------------------- ReDial tiers


def test_redial_title_year_exact() -> None:
    row = link_one("Heat  (1995)", ml_movies((6, "Heat (1995)"), (7, "Heat (1986)")))
    assert row["ml_movieId"] == 6
    assert row["year"] == 1995
    assert row["match_rule"] == "title+year"
    assert row["redial_movieName"] == "Heat  (1995)"
    assert pd.isna(row["tmdb_id"])
    assert row["tmdb_via_movielens"] == 0


def test_redial_movielens_article_and_alternative_titles() -> None:
    ml = ml_movies(
        (11, "American President, The (1995)"),
        (29, "City of Lost Children, The (Cité des enfants perdus, La) (1995)"),
    )
    assert link_one("The American President (1995)", ml)["ml_movieId"] == 11
    assert link_one("The City of Lost Children (1995)", ml)["ml_movieId"] == 29


def test_redial_year_plus_or_minus_one() -> None:
    ml = ml_movies((1, "Up (2009)"))
    for name in ("Up (2008)", "Up (2010)"):
        row = link_one(name, ml)
        assert (row["ml_movieId"], row["match_rule"]) == (1, "title+year_pm1")


def test_redial_year_minus_one_tried_first_and_exact_beats_pm1() -> None:
    ml = ml_movies((1, "Twins (1999)"), (2, "Twins (2001)"), (3, "Twins (2000)"))
    assert link_one("Twins (2000)", ml)["ml_movieId"] == 3
    ml = ml_movies((2, "Twins (2001)"), (1, "Twins (1999)"))
    row = link_one("Twins (2000)", ml)
    assert (row["ml_movieId"], row["match_rule"]) == (1, "title+year_pm1")


def test_redial_year_off_by_two_is_not_linked() -> None:
    row = link_one("Jumanji (2017)", ml_movies((2, "Jumanji (1995)")))
    assert pd.isna(row["ml_movieId"])
    assert row["match_rule"] == ""


def test_redial_yearless_unique_title() -> None:
    row = link_one("Gravity", ml_movies((5, "Gravity (2013)"), (6, "Heat (1995)")))
    assert (row["ml_movieId"], row["match_rule"]) == (5, "title_only_unique")
    assert pd.isna(row["year"])


def test_redial_yearless_ambiguous_title_not_linked() -> None:
    row = link_one("Halloween", ml_movies((1, "Halloween (1978)"), (2, "Halloween (2007)")))
    assert pd.isna(row["ml_movieId"])
    assert row["match_rule"] == ""


def test_redial_first_catalogue_entry_wins_for_same_title_and_year() -> None:
    ml = ml_movies((40, "Crash (2004)"), (30, "Crash (2004)"))
    assert link_one("Crash (2004)", ml)["ml_movieId"] == 40


def test_redial_tmdb_direct_by_title_or_original_title() -> None:
    tm = tmdb_movies(
        (500, "Amelie", "Le Fabuleux Destin d'Amélie Poulain", "2001-04-25"),
        (600, "Spirited Away", "千と千尋の神隠し", "2001-07-20"),
    )
    out = link_redial_movies(
        redial("Le Fabuleux Destin d'Amelie Poulain (2001)", "Spirited Away (2002)"),
        ml_movies(),
        ml_links(),
        tm,
    )
    assert out["tmdb_id"].tolist() == [500, 600]
    # MovieLens did not match, so the rule is TMDB's
    assert out["match_rule"].tolist() == ["title+year", "title+year_pm1"]
    assert out["tmdb_via_movielens"].tolist() == [0, 0]
    assert out["ml_movieId"].isna().all()


def test_redial_rule_is_movielens_tier_when_both_match() -> None:
    ml = ml_movies((1, "Se7en (1996)"))
    tm = tmdb_movies((807, "Se7en", "Se7en", "1995-09-22"))
    row = link_one("Se7en (1995)", ml, tm)
    assert (row["ml_movieId"], row["tmdb_id"]) == (1, 807)
    assert row["match_rule"] == "title+year_pm1"
    assert row["tmdb_via_movielens"] == 0


def test_redial_tmdb_via_movielens_links() -> None:
    ml = ml_movies((1, "Seven (a.k.a. Se7en) (1995)"), (2, "Obscure (1990)"))
    tm = tmdb_movies((807, "Se7en", "Se7en", "1995-09-22"))
    links = ml_links((1, 807.0), (2, 99999.0))
    out = link_redial_movies(redial("Seven (1995)", "Obscure (1990)"), ml, links, tm)
    assert out["ml_movieId"].tolist() == [1, 2]
    assert out["tmdb_id"].tolist()[0] == 807
    assert out["tmdb_via_movielens"].tolist() == [1, 0]
    assert pd.isna(out["tmdb_id"].iloc[1])  # 99999 is not in TMDB-5000
    assert out["match_rule"].tolist() == ["title+year", "title+year"]


def test_redial_links_with_missing_or_string_tmdb_ids() -> None:
    ml = ml_movies((1, "Seven (1995)"))
    tm = tmdb_movies((807, "Se7en", "Se7en", "1995-09-22"))
    missing = ml_links((1, None))
    assert pd.isna(link_one("Seven (1995)", ml, tm, missing)["tmdb_id"])
    as_str = pd.DataFrame(
        {"movieId": ["1", "2"], "imdbId": ["0114369", "1"], "tmdbId": ["807", None]}
    )
    row = link_one("Seven (1995)", ml, tm, as_str)
    assert (row["tmdb_id"], row["tmdb_via_movielens"]) == (807, 1)


def test_redial_tmdb_without_release_date_matches_only_yearless() -> None:
    tm = tmdb_movies((9, "Nameless", "Nameless", None))
    out = link_redial_movies(redial("Nameless (2001)", "Nameless"), ml_movies(), ml_links(), tm)
    assert pd.isna(out["tmdb_id"].iloc[0])
    assert out["tmdb_id"].iloc[1] == 9
    assert out["match_rule"].tolist() == ["", "title_only_unique"]


def test_redial_output_columns_types_and_order() -> None:
    out = link_redial_movies(
        redial("Heat (1995)", "Unknown Film", "Gravity"),
        ml_movies((6, "Heat (1995)"), (5, "Gravity (2013)")),
        ml_links((6, 949.0)),
        tmdb_movies((949, "Heat", "Heat", "1995-12-15")),
    )
    assert tuple(out.columns) == REDIAL_LINK_COLUMNS
    assert out["redial_movieId"].tolist() == [100, 101, 102]
    for col in ("redial_movieId", "nbMentions", "year", "ml_movieId", "tmdb_id"):
        assert out[col].dtype == pd.Int64Dtype(), col
    assert out["year"].isna().tolist() == [False, True, True]
    assert out["match_rule"].tolist() == ["title+year", "", "title_only_unique"]


def test_redial_missing_column_is_a_data_source_error() -> None:
    with pytest.raises(DataSourceError, match="release_date"):
        link_redial_movies(
            redial("Heat (1995)"),
            ml_movies(),
            ml_links(),
            pd.DataFrame({"id": [1], "title": ["x"], "original_title": ["x"]}),
        )


# --------------------------------------------------------------------------- RT rule

TM = tmdb_movies(
    (1051, "The French Connection", "The French Connection", "1971-10-07", 104.0),
    (2001, "Early Film", "Early Film", "1990-05-01", 95.0),
    (2002, "Twin A", "Twin A", "1999-03-01", 100.0),
    (2003, "Twin B", "Twin B", "1999-09-01", 98.0),
    (2004, "No Runtime", "No Runtime", "2005-01-01", None),
    (2005, "Overseas", "Overseas", "2010-01-01", 120.0),
)
CREDITS = credits(
    (1051, "William Friedkin"),
    (2001, "Jean-Pierre Jeunet"),
    (2002, "Twin Director"),
    (2003, "Twin Director"),
    (2004, "Lone Director"),
    (2005, ["Ann Other", "Co Director"]),
)
LINKS = ml_links((1953, 1051.0), (9, 2005.0), (10, 2005.0))


def rt_link(*rows: tuple[Any, Any, Any, Any], tm=TM, cr=CREDITS, links=LINKS) -> pd.DataFrame:
    return link_rt_movies(rt_info(*rows), tm, cr, links)


def test_rt_director_year_runtime() -> None:
    out = rt_link((1, "William Friedkin", "Oct 9, 1971", "102 minutes"))
    assert tuple(out.columns) == RT_LINK_COLUMNS
    row = out.iloc[0].to_dict()
    assert row == {
        "rt_id": 1,
        "tmdb_id": 1051,
        "tmdb_title": "The French Connection",
        "tmdb_year": 1971,
        "ml_movieId": 1953,
        "match_rule": "director+year+runtime",
    }


def test_rt_year_within_one_and_runtime_within_six_minutes() -> None:
    out = rt_link(
        (1, "William Friedkin", "Jan 3, 1972", "110 minutes"),  # year +1, runtime +6
        (2, "William Friedkin", "Jan 3, 1973", "104 minutes"),  # year +2
        (3, "William Friedkin", "Oct 9, 1971", "111 minutes"),  # runtime +7
    )
    assert out["rt_id"].tolist() == [1]


def test_rt_director_names_are_normalised_and_split_on_pipes() -> None:
    out = rt_link(
        (1, "JEAN PIERRE JEUNET", "May 1, 1990", "95 minutes"),
        (2, "Jéan-Pierre Jeunét", "May 1, 1990", "95 minutes"),
        (3, "Somebody Else|Co Director", "Jan 1, 2010", "120 minutes"),
    )
    assert out["tmdb_id"].tolist() == [2001, 2001, 2005]


def test_rt_exact_year_rule_when_runtime_missing() -> None:
    out = rt_link(
        (5, "Lone Director", "Feb 2, 2005", None),
        (6, "Lone Director", "Feb 2, 2006", None),  # off by one: not enough without runtime
        (7, "Lone Director", "Feb 2, 2005", "90 minutes"),  # TMDB runtime unknown
    )
    assert out["rt_id"].tolist() == [5]
    assert out["match_rule"].tolist() == ["director+exact_year"]
    assert pd.isna(out["ml_movieId"].iloc[0])


def test_rt_ambiguous_candidates_dropped() -> None:
    out = rt_link(
        (1, "Twin Director", "Jun 1, 1999", "99 minutes"),  # both twins fit
        (2, "Twin Director", "Jun 1, 1999", "93 minutes"),  # only Twin B (98) is within 6
        (3, "Twin Director", "Jun 1, 1999", None),  # both in 1999
    )
    assert out["rt_id"].tolist() == [2]
    assert out["tmdb_id"].tolist() == [2003]


def test_rt_missing_or_unparseable_date_or_runtime_skips_row() -> None:
    out = rt_link(
        (1, "William Friedkin", None, "104 minutes"),
        (2, None, "Oct 9, 1971", "104 minutes"),
        (3, "William Friedkin", "sometime in the seventies", "104 minutes"),
        (4, "William Friedkin", "Oct 9, 1971", "about two hours"),
        (5, "William Friedkin", "Oct 9, 1971", "104 minutes"),
    )
    assert out["rt_id"].tolist() == [5]
    assert out.attrs["unparseable_rt_dates"] == 1
    assert out.attrs["unparseable_rt_runtimes"] == 1


def test_rt_malformed_crew_json_is_skipped_and_counted(caplog) -> None:
    cr = credits(
        (1051, '[{"job": "Director", "name": "William Friedkin"'),  # truncated
        (2001, "Jean-Pierre Jeunet"),
        (2002, '{"job": "Director", "name": "Twin Director"}'),  # not a list
    )
    cr.loc[len(cr)] = [2003, "x", "[]", "[1, 2"]
    cr.loc[len(cr)] = [2004, "x", "[]", float("nan")]  # no crew: not malformed
    cr.loc[len(cr)] = [2005, "x", "[]", ""]
    with caplog.at_level(logging.WARNING, logger="convrec.catalog.linking"):
        out = rt_link(
            (1, "William Friedkin", "Oct 9, 1971", "104 minutes"),
            (2, "Jean-Pierre Jeunet", "May 1, 1990", "95 minutes"),
            (3, "Twin Director", "Jun 1, 1999", "93 minutes"),
            cr=cr,
        )
    assert out["rt_id"].tolist() == [2]
    assert out.attrs["malformed_crew_cells"] == 3
    assert "3 malformed crew cells" in caplog.text


def test_rt_credits_for_unknown_tmdb_movie_ignored() -> None:
    cr = credits((1051, "William Friedkin"), (777, "William Friedkin"))
    out = rt_link((1, "William Friedkin", "Oct 9, 1971", "104 minutes"), cr=cr)
    assert out["tmdb_id"].tolist() == [1051]


def test_rt_sorted_by_id_and_last_links_row_wins() -> None:
    out = rt_link(
        (30, "Co Director", "Jan 1, 2010", "120 minutes"),
        (4, "William Friedkin", "Oct 9, 1971", "104 minutes"),
    )
    assert out["rt_id"].tolist() == [4, 30]
    assert out["ml_movieId"].tolist() == [1953, 10]
    assert list(out.index) == [0, 1]


def test_rt_no_links_gives_empty_typed_frame() -> None:
    out = rt_link((1, "Nobody", "Oct 9, 1971", "104 minutes"))
    assert out.empty
    assert tuple(out.columns) == RT_LINK_COLUMNS
    assert out["tmdb_id"].dtype == pd.Int64Dtype()


# --------------------------------------------------------------------------- shipped CSV types


def test_coerce_shipped_csvs() -> None:
    redial_csv = (
        "redial_movieId,redial_movieName,nbMentions,year,ml_movieId,tmdb_id,tmdb_via_movielens,"
        "match_rule\n"
        "75796,Headhunter  (2009),1,2009,,,0,\n"
        "75815,Angels in the Outfield  (1994),6,1994,1021,,0,title+year\n"
        "80000,Gravity,3,,5,949,1,title_only_unique\n"
    )
    for kwargs in ({}, {"keep_default_na": False}):
        df = coerce_redial_links(pd.read_csv(io.StringIO(redial_csv), **kwargs))
        assert df["ml_movieId"].dtype == pd.Int64Dtype()
        assert df["ml_movieId"].isna().tolist() == [True, False, False]
        assert df["year"].isna().tolist() == [False, False, True]
        assert df["match_rule"].tolist() == ["", "title+year", "title_only_unique"]
    rt_csv = (
        "rt_id,tmdb_id,tmdb_title,tmdb_year,ml_movieId,match_rule\n"
        "1,1051,The French Connection,1971,1953,director+year+runtime\n"
        "5,2004,No Runtime,2005,,director+exact_year\n"
    )
    df = coerce_rt_links(pd.read_csv(io.StringIO(rt_csv)))
    assert_frame_equal(
        df,
        rt_link(
            (1, "William Friedkin", "Oct 9, 1971", "104 minutes"),
            (5, "Lone Director", "Feb 2, 2005", None),
        ),
        check_index_type=False,
    )


# --------------------------------------------------------------------------- real data


def _real(rel: str) -> Path:
    path = SHARED_DATA / rel
    if not path.is_file():
        pytest.skip(f"real data file {path} not present (needs ../shared/data beside the checkout)")
    return path


@pytest.fixture(scope="module")
def real_tables() -> dict[str, pd.DataFrame]:
    return {
        "redial": pd.read_csv(_real("redial/movies_with_mentions.csv")),
        "ml_movies": pd.read_csv(_real("movielens/ml-latest-small/movies.csv")),
        "ml_links": pd.read_csv(
            _real("movielens/ml-latest-small/links.csv"), dtype={"imdbId": str}
        ),
        "tmdb_movies": pd.read_csv(_real("tmdb/tmdb_5000_movies.csv.zip")),
        "tmdb_credits": pd.read_csv(_real("tmdb/tmdb_5000_credits.csv.gz")),
        "rt_info": pd.read_csv(
            _real("reviews/rotten_tomatoes_flatiron/rt.movie_info.tsv.gz"),
            sep="\t",
            encoding="utf-8",
        ),
    }


def _assert_same_rows(got: pd.DataFrame, shipped: pd.DataFrame, key: str) -> None:
    assert len(got) == len(shipped)
    same = (got == shipped).fillna(False).astype(bool) | (got.isna() & shipped.isna())
    diff = ~same.all(axis=1)
    assert not diff.any(), (
        f"{int(diff.sum())} rows differ, e.g. ours:\n{got[diff].head()}\n"
        f"shipped:\n{shipped[diff].head()}"
    )
    assert_frame_equal(got, shipped)
    assert got[key].is_unique


@pytest.mark.integration
def test_real_redial_links_equal_shipped(real_tables: dict[str, pd.DataFrame]) -> None:
    shipped = coerce_redial_links(
        pd.read_csv(_real("redial/redial_movie_links.csv"), keep_default_na=False)
    )
    start = time.perf_counter()
    got = link_redial_movies(
        real_tables["redial"],
        real_tables["ml_movies"],
        real_tables["ml_links"],
        real_tables["tmdb_movies"],
    )
    elapsed = time.perf_counter() - start
    _assert_same_rows(got, shipped, "redial_movieId")
    # the README's counts
    assert got["ml_movieId"].notna().sum() == 4152
    assert got["tmdb_id"].notna().sum() == 2716
    assert elapsed < 10, f"ReDial linking took {elapsed:.1f} s"


@pytest.mark.integration
def test_real_rt_links_equal_shipped(real_tables: dict[str, pd.DataFrame]) -> None:
    shipped = coerce_rt_links(
        pd.read_csv(_real("reviews/rotten_tomatoes_flatiron/rt_movie_links.csv"))
    )
    start = time.perf_counter()
    got = link_rt_movies(
        real_tables["rt_info"],
        real_tables["tmdb_movies"],
        real_tables["tmdb_credits"],
        real_tables["ml_links"],
    )
    elapsed = time.perf_counter() - start
    _assert_same_rows(got, shipped, "rt_id")
    assert len(got) == 299
    assert got["ml_movieId"].notna().sum() == 248
    assert got.attrs["malformed_crew_cells"] == 0
    assert elapsed < 10, f"RT linking took {elapsed:.1f} s"


@pytest.mark.integration
def test_real_links_from_text_columns(real_tables: dict[str, pd.DataFrame]) -> None:
    """Every file read as text with '' for empty cells (as the catalog ingest reads them)."""
    text = {
        name: pd.read_csv(_real(rel), dtype=str, keep_default_na=False, **kwargs)
        for name, rel, kwargs in [
            ("redial", "redial/movies_with_mentions.csv", {}),
            ("ml_movies", "movielens/ml-latest-small/movies.csv", {}),
            ("ml_links", "movielens/ml-latest-small/links.csv", {}),
            ("tmdb_movies", "tmdb/tmdb_5000_movies.csv.zip", {}),
            ("tmdb_credits", "tmdb/tmdb_5000_credits.csv.gz", {}),
            ("rt_info", "reviews/rotten_tomatoes_flatiron/rt.movie_info.tsv.gz", {"sep": "\t"}),
        ]
    }
    assert_frame_equal(
        link_redial_movies(
            text["redial"], text["ml_movies"], text["ml_links"], text["tmdb_movies"]
        ),
        link_redial_movies(
            real_tables["redial"],
            real_tables["ml_movies"],
            real_tables["ml_links"],
            real_tables["tmdb_movies"],
        ),
    )
    got = link_rt_movies(
        text["rt_info"], text["tmdb_movies"], text["tmdb_credits"], text["ml_links"]
    )
    assert got.attrs["unparseable_rt_dates"] == 0
    assert got.attrs["unparseable_rt_runtimes"] == 0
    assert_frame_equal(
        got,
        link_rt_movies(
            real_tables["rt_info"],
            real_tables["tmdb_movies"],
            real_tables["tmdb_credits"],
            real_tables["ml_links"],
        ),
    )
