"""ReDial movies linked to MovieLens and TMDB-5000 by normalised title (see
`convrec.catalog.linking`)."""

from __future__ import annotations

import pandas as pd

from convrec.catalog.linking_types import (
    REDIAL_INT_COLUMNS,
    REDIAL_LINK_COLUMNS,
    REDIAL_STR_COLUMNS,
    RULE_TITLE_ONLY_UNIQUE,
    RULE_TITLE_YEAR,
    RULE_TITLE_YEAR_PM1,
    column,
    date_years,
    int_list,
    movielens_tmdb_pairs,
    with_types,
)
from convrec.catalog.normalize import norm_title, split_year

TitleKeys = dict[tuple[str, int | None], int]  # (normalised title, year) -> id, first wins


def _match(
    key: str,
    year: int | None,
    by_key_year: TitleKeys,
    by_title: dict[str, set[int]],
) -> tuple[int | None, str]:
    """The id and tier for one catalogue, or (None, "")."""
    if year is not None:
        found = by_key_year.get((key, year))
        if found is not None:
            return found, RULE_TITLE_YEAR
        for other in (year - 1, year + 1):
            found = by_key_year.get((key, other))
            if found is not None:
                return found, RULE_TITLE_YEAR_PM1
    else:
        ids = by_title.get(key, ())
        if len(ids) == 1:
            return next(iter(ids)), RULE_TITLE_ONLY_UNIQUE
    return None, ""


def _movielens_titles(ml_movies: pd.DataFrame) -> tuple[TitleKeys, dict[str, set[int]]]:
    """MovieLens movies by (normalised title, year) and by normalised title alone."""
    ml_idx: TitleKeys = {}
    ml_title: dict[str, set[int]] = {}
    ml_ids = int_list(column(ml_movies, "movieId", "MovieLens movies"))
    for mid, title in zip(
        ml_ids, column(ml_movies, "title", "MovieLens movies").tolist(), strict=True
    ):
        if mid is None:
            continue
        name, year = split_year(title)
        key = norm_title(name)
        ml_idx.setdefault((key, year), mid)
        ml_title.setdefault(key, set()).add(mid)
    return ml_idx, ml_title


def _tmdb_titles(tmdb_movies: pd.DataFrame) -> tuple[TitleKeys, dict[str, set[int]], set[int]]:
    """TMDB movies by (normalised title or original title, year), by title alone, and the
    set of TMDB ids."""
    tm_idx: TitleKeys = {}
    tm_title: dict[str, set[int]] = {}
    tm_ids = int_list(column(tmdb_movies, "id", "TMDB movies"))
    tm_years = date_years(column(tmdb_movies, "release_date", "TMDB movies"))
    titles = column(tmdb_movies, "title", "TMDB movies").tolist()
    originals = column(tmdb_movies, "original_title", "TMDB movies").tolist()
    for tid, t1, t2, year in zip(tm_ids, titles, originals, tm_years, strict=True):
        if tid is None:
            continue
        for key in {norm_title(t1), norm_title(t2)}:
            tm_idx.setdefault((key, year), tid)
            tm_title.setdefault(key, set()).add(tid)
    return tm_idx, tm_title, {tid for tid in tm_ids if tid is not None}


def link_redial_movies(
    redial_movies: pd.DataFrame,
    ml_movies: pd.DataFrame,
    ml_links: pd.DataFrame,
    tmdb_movies: pd.DataFrame,
) -> pd.DataFrame:
    """Link ReDial movies to MovieLens and TMDB-5000: the rows of redial_movie_links.csv.

    Inputs: redial/movies_with_mentions.csv (movieId, movieName, nbMentions),
    MovieLens movies.csv (movieId, title), links.csv (movieId, tmdbId) and
    tmdb_5000_movies.csv (id, title, original_title, release_date).

    Per ReDial movie, each catalogue is matched on its own, by normalised title:
    ``title+year``, else ``title+year_pm1`` (year off by one; year-1 tried
    first), or, when the ReDial name has no year, ``title_only_unique`` (the
    title names one movie in that catalogue). TMDB is matched on title and
    original_title. ``match_rule`` is the MovieLens tier, or the TMDB one when
    MovieLens did not match. When TMDB did not match directly but MovieLens did,
    links.csv gives the TMDB id if that movie is in TMDB-5000
    (``tmdb_via_movielens`` = 1).

    Returns one row per ReDial movie, in input order, with columns
    `REDIAL_LINK_COLUMNS`; ids, year, nbMentions and tmdb_via_movielens are
    ``Int64`` (``<NA>`` for "no year" / "no match"), match_rule is ``""`` for no match.
    """
    ml_idx, ml_title = _movielens_titles(ml_movies)
    tm_idx, tm_title, tmdb_ids = _tmdb_titles(tmdb_movies)
    ml_to_tmdb = dict(movielens_tmdb_pairs(ml_links))

    names = column(redial_movies, "movieName", "ReDial movies").tolist()
    years: list[int | None] = []
    ml_out: list[int | None] = []
    tm_out: list[int | None] = []
    via_ml: list[int] = []
    rules: list[str] = []
    for name in names:
        title, year = split_year(name)
        key = norm_title(title)
        ml_id, ml_rule = _match(key, year, ml_idx, ml_title)
        tm_id, tm_rule = _match(key, year, tm_idx, tm_title)
        via = 0
        if tm_id is None and ml_id is not None and ml_to_tmdb.get(ml_id) in tmdb_ids:
            tm_id, via = ml_to_tmdb[ml_id], 1
        years.append(year)
        ml_out.append(ml_id)
        tm_out.append(tm_id)
        via_ml.append(via)
        rules.append(ml_rule or tm_rule)

    out = pd.DataFrame(
        {
            "redial_movieId": column(redial_movies, "movieId", "ReDial movies").tolist(),
            "redial_movieName": names,
            "nbMentions": column(redial_movies, "nbMentions", "ReDial movies").tolist(),
            "year": pd.array(years, dtype=pd.Int64Dtype()),
            "ml_movieId": pd.array(ml_out, dtype=pd.Int64Dtype()),
            "tmdb_id": pd.array(tm_out, dtype=pd.Int64Dtype()),
            "tmdb_via_movielens": via_ml,
            "match_rule": rules,
        },
        columns=list(REDIAL_LINK_COLUMNS),
    )
    return with_types(out, REDIAL_INT_COLUMNS, REDIAL_STR_COLUMNS)
