"""Recompute the derived link files of shared/data from the raw source tables.

shared/data ships two derived files that upstream downloads lack:

* ``redial/redial_movie_links.csv`` (tools/link_redial_movies.py): every ReDial
  movie linked to MovieLens ml-latest-small and TMDB-5000 by normalised title,
  in tiers ``title+year``, ``title+year_pm1`` and ``title_only_unique``.
* ``reviews/rotten_tomatoes_flatiron/rt_movie_links.csv``
  (tools/link_rt_flatiron.py): Rotten Tomatoes (Flatiron) movie ids linked to
  TMDB-5000 by director, year and runtime.

`link_redial_movies` and `link_rt_movies` apply the same rules as those scripts
and give the same rows on the shipped data (checked by the integration tests),
so the catalog is the same whether the links were shipped or recomputed. Inputs
are DataFrames as pandas reads the raw files; ids may come as int, float (links.csv
``tmdbId`` has NaN) or str.

Output types differ from the CSV files in one deliberate way: integer columns
(ids, years, counts) are nullable ``Int64`` with ``<NA>`` where the CSV has an
empty cell; string columns are pandas ``string``, and ``match_rule`` is ``""``
when nothing matched, as in the CSV. `coerce_redial_links` / `coerce_rt_links`
turn a shipped CSV, read by pandas, into the same types.

Behaviour kept from the scripts on purpose, so shipped and recomputed links agree:
a title whose normalised key is empty (ReDial names like " (2015)", TMDB original
titles in non-Latin scripts) is matched like any other key; the first catalogue
entry wins when several share a (title, year) key; for MovieLens links.csv a
tmdbId listed twice maps back to the last movieId.

Where the scripts would crash, these functions skip instead: a credits crew
cell that is not a JSON list, an RT row whose theater date or runtime cannot be
parsed, a credits id absent from the movies table. The counts are logged and
kept in ``DataFrame.attrs`` of the result.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from convrec.catalog.normalize import norm_name, norm_title, split_year
from convrec.errors import DataSourceError

log = logging.getLogger(__name__)

REDIAL_LINK_COLUMNS = (
    "redial_movieId",
    "redial_movieName",
    "nbMentions",
    "year",
    "ml_movieId",
    "tmdb_id",
    "tmdb_via_movielens",
    "match_rule",
)
RT_LINK_COLUMNS = ("rt_id", "tmdb_id", "tmdb_title", "tmdb_year", "ml_movieId", "match_rule")

_REDIAL_INT_COLUMNS = (
    "redial_movieId",
    "nbMentions",
    "year",
    "ml_movieId",
    "tmdb_id",
    "tmdb_via_movielens",
)
_REDIAL_STR_COLUMNS = ("redial_movieName", "match_rule")
_RT_INT_COLUMNS = ("rt_id", "tmdb_id", "tmdb_year", "ml_movieId")
_RT_STR_COLUMNS = ("tmdb_title", "match_rule")

RULE_TITLE_YEAR = "title+year"
RULE_TITLE_YEAR_PM1 = "title+year_pm1"
RULE_TITLE_ONLY_UNIQUE = "title_only_unique"
RULE_DIRECTOR_YEAR_RUNTIME = "director+year+runtime"
RULE_DIRECTOR_EXACT_YEAR = "director+exact_year"

# RT rule tolerances (tools/link_rt_flatiron.py).
RT_YEAR_TOLERANCE = 1
RT_RUNTIME_TOLERANCE_MIN = 6.0


# --------------------------------------------------------------------------- helpers


def _column(df: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in df.columns:
        have = ", ".join(map(str, df.columns))
        raise DataSourceError(f"{what} has no column {name!r} (it has: {have})")
    return df[name]


def _int_list(values: pd.Series) -> list[int | None]:
    """Integers from an int, float (NaN) or str column; None where missing or not a whole number."""
    numeric = pd.to_numeric(values, errors="coerce")
    out: list[int | None] = []
    for v in numeric.tolist():
        if isinstance(v, int):
            out.append(v)
        elif isinstance(v, float) and math.isfinite(v) and v.is_integer():
            out.append(int(v))
        else:  # NaN, <NA>, None, inf, 1.5
            out.append(None)
    return out


def _float_list(values: pd.Series) -> list[float | None]:
    numeric = pd.to_numeric(values, errors="coerce")
    out: list[float | None] = []
    for v in numeric.tolist():
        ok = isinstance(v, int | float) and math.isfinite(v)
        out.append(float(v) if ok else None)
    return out


def _years(dates: pd.Series) -> list[int | None]:
    """The year of each date string (any format pandas parses); None where missing or unparseable.

    Each cell is parsed on its own (format="mixed"), as the RT script does with
    scalars; the TMDB script parses its ISO dates as one series, which agrees.
    """
    parsed = pd.to_datetime(dates, errors="coerce", format="mixed")
    return [None if pd.isna(y) else int(y) for y in parsed.dt.year.tolist()]


def _str_or_none(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return str(value)


def _with_types(
    df: pd.DataFrame, int_columns: Iterable[str], str_columns: Iterable[str]
) -> pd.DataFrame:
    for col in int_columns:
        df[col] = pd.array(_int_list(df[col]), dtype=pd.Int64Dtype())
    for col in str_columns:
        df[col] = pd.array([_str_or_none(v) for v in df[col].tolist()], dtype=pd.StringDtype())
    return df


# --------------------------------------------------------------------------- ReDial


def _match(
    key: str,
    year: int | None,
    by_key_year: dict[tuple[str, int | None], int],
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
    ml_idx: dict[tuple[str, int | None], int] = {}
    ml_title: dict[str, set[int]] = {}
    ml_ids = _int_list(_column(ml_movies, "movieId", "MovieLens movies"))
    for mid, title in zip(
        ml_ids, _column(ml_movies, "title", "MovieLens movies").tolist(), strict=True
    ):
        if mid is None:
            continue
        name, year = split_year(title)
        key = norm_title(name)
        ml_idx.setdefault((key, year), mid)
        ml_title.setdefault(key, set()).add(mid)

    tm_idx: dict[tuple[str, int | None], int] = {}
    tm_title: dict[str, set[int]] = {}
    tm_ids = _int_list(_column(tmdb_movies, "id", "TMDB movies"))
    tm_years = _years(_column(tmdb_movies, "release_date", "TMDB movies"))
    titles = _column(tmdb_movies, "title", "TMDB movies").tolist()
    originals = _column(tmdb_movies, "original_title", "TMDB movies").tolist()
    for tid, t1, t2, year in zip(tm_ids, titles, originals, tm_years, strict=True):
        if tid is None:
            continue
        for key in {norm_title(t1), norm_title(t2)}:
            tm_idx.setdefault((key, year), tid)
            tm_title.setdefault(key, set()).add(tid)
    tmdb_ids = {tid for tid in tm_ids if tid is not None}

    ml_to_tmdb: dict[int, int] = {}
    for mid, tid in zip(
        _int_list(_column(ml_links, "movieId", "MovieLens links")),
        _int_list(_column(ml_links, "tmdbId", "MovieLens links")),
        strict=True,
    ):
        if mid is not None and tid is not None:
            ml_to_tmdb[mid] = tid

    names = _column(redial_movies, "movieName", "ReDial movies").tolist()
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
            "redial_movieId": _column(redial_movies, "movieId", "ReDial movies").tolist(),
            "redial_movieName": names,
            "nbMentions": _column(redial_movies, "nbMentions", "ReDial movies").tolist(),
            "year": pd.array(years, dtype=pd.Int64Dtype()),
            "ml_movieId": pd.array(ml_out, dtype=pd.Int64Dtype()),
            "tmdb_id": pd.array(tm_out, dtype=pd.Int64Dtype()),
            "tmdb_via_movielens": via_ml,
            "match_rule": rules,
        },
        columns=list(REDIAL_LINK_COLUMNS),
    )
    return _with_types(out, _REDIAL_INT_COLUMNS, _REDIAL_STR_COLUMNS)


# --------------------------------------------------------------------------- Rotten Tomatoes


def _directors_by_name(tmdb_credits: pd.DataFrame) -> tuple[dict[str, set[int]], int]:
    """normalised director name -> TMDB ids, parsing each crew cell once; and the bad-cell count."""
    directed: dict[str, set[int]] = {}
    malformed = 0
    ids = _int_list(_column(tmdb_credits, "movie_id", "TMDB credits"))
    for mid, crew in zip(ids, _column(tmdb_credits, "crew", "TMDB credits").tolist(), strict=True):
        if mid is None:
            continue
        if _str_or_none(crew) is None or not str(crew).strip():
            continue  # no crew listed: nothing to parse, not malformed
        try:
            people = json.loads(crew)
        except (TypeError, ValueError):
            people = None
        if not isinstance(people, list):
            malformed += 1
            continue
        for person in people:
            if isinstance(person, dict) and person.get("job") == "Director" and "name" in person:
                directed.setdefault(norm_name(person["name"]), set()).add(mid)
    return directed, malformed


def _runtime_minutes(value: Any) -> float | bool | None:
    """Minutes from an RT runtime like "104 minutes": None if missing, False if unparseable."""
    text = _str_or_none(value)
    if text is None or not text.strip():
        return None
    try:
        minutes = float(text.split()[0])
    except ValueError:
        return False
    return minutes if math.isfinite(minutes) else False


def link_rt_movies(
    rt_info: pd.DataFrame,
    tmdb_movies: pd.DataFrame,
    tmdb_credits: pd.DataFrame,
    ml_links: pd.DataFrame,
) -> pd.DataFrame:
    """Link Rotten Tomatoes (Flatiron) movies to TMDB-5000: the rows of rt_movie_links.csv.

    Inputs: rt.movie_info.tsv (id, director '|'-separated, theater_date,
    runtime "NNN minutes"), tmdb_5000_movies.csv (id, title, release_date,
    runtime), tmdb_5000_credits.csv (movie_id, crew JSON) and MovieLens links.csv
    (movieId, tmdbId).

    Candidates are TMDB movies with a crew "Director" whose normalised name
    equals one of the RT directors and whose release year is within one of the
    RT theater year. With an RT runtime, the TMDB runtime must also be within 6
    minutes (``director+year+runtime``); without one, the year must be equal
    (``director+exact_year``). A link is kept only when exactly one candidate
    remains. RT rows without director or theater date are skipped, as are rows
    whose date or runtime cannot be parsed; crew cells that are not JSON lists
    are skipped (an empty cell is no crew, not malformed). Those counts are in
    ``attrs`` ("malformed_crew_cells", "unparseable_rt_dates",
    "unparseable_rt_runtimes") and logged.

    Returns columns `RT_LINK_COLUMNS` sorted by rt_id; ids and tmdb_year are
    ``Int64`` (ml_movieId ``<NA>`` when the TMDB movie is not in links.csv).
    """
    directed, malformed = _directors_by_name(tmdb_credits)

    tm_ids = _int_list(_column(tmdb_movies, "id", "TMDB movies"))
    tm_years = _years(_column(tmdb_movies, "release_date", "TMDB movies"))
    tm_runtimes = _float_list(_column(tmdb_movies, "runtime", "TMDB movies"))
    tm_titles = _column(tmdb_movies, "title", "TMDB movies").tolist()
    year_of: dict[int, int | None] = {}
    runtime_of: dict[int, float | None] = {}
    title_of: dict[int, Any] = {}
    for tid, year, runtime, title in zip(tm_ids, tm_years, tm_runtimes, tm_titles, strict=True):
        if tid is not None and tid not in year_of:
            year_of[tid], runtime_of[tid], title_of[tid] = year, runtime, title

    tmdb_to_ml: dict[int, int] = {}
    for mid, tid in zip(
        _int_list(_column(ml_links, "movieId", "MovieLens links")),
        _int_list(_column(ml_links, "tmdbId", "MovieLens links")),
        strict=True,
    ):
        if mid is not None and tid is not None:
            tmdb_to_ml[tid] = mid  # last wins, as in the script

    rt_ids = _int_list(_column(rt_info, "id", "RT movie info"))
    directors = _column(rt_info, "director", "RT movie info").tolist()
    dates = _column(rt_info, "theater_date", "RT movie info")
    rt_years = _years(dates)
    runtimes = _column(rt_info, "runtime", "RT movie info").tolist()
    bad_dates = bad_runtimes = 0
    rows: list[tuple[int, int, Any, int | None, int | None, str]] = []
    for rt_id, director, date, year, runtime in zip(
        rt_ids, directors, dates.tolist(), rt_years, runtimes, strict=True
    ):
        director_text, date_text = _str_or_none(director), _str_or_none(date)
        if rt_id is None or not director_text or not date_text or not date_text.strip():
            continue  # as the script: no director or no theater date, no link
        if year is None:
            bad_dates += 1
            continue
        minutes = _runtime_minutes(runtime)
        if minutes is False:
            bad_runtimes += 1
            continue
        cands: set[int] = set()
        for name in director_text.split("|"):
            cands |= directed.get(norm_name(name), set())
        near = []
        for c in cands:
            c_year = year_of.get(c)
            if c_year is not None and abs(c_year - year) <= RT_YEAR_TOLERANCE:
                near.append(c)
        if minutes is not None:
            near = [
                c
                for c in near
                if (r := runtime_of[c]) is not None and abs(r - minutes) <= RT_RUNTIME_TOLERANCE_MIN
            ]
            rule = RULE_DIRECTOR_YEAR_RUNTIME
        else:
            near = [c for c in near if year_of[c] == year]
            rule = RULE_DIRECTOR_EXACT_YEAR
        if len(near) != 1:
            continue
        tid = near[0]
        rows.append((rt_id, tid, title_of[tid], year_of[tid], tmdb_to_ml.get(tid), rule))

    out = pd.DataFrame(rows, columns=list(RT_LINK_COLUMNS))
    out = out.sort_values("rt_id", kind="stable").reset_index(drop=True)
    out = _with_types(out, _RT_INT_COLUMNS, _RT_STR_COLUMNS)
    stats = {
        "malformed_crew_cells": malformed,
        "unparseable_rt_dates": bad_dates,
        "unparseable_rt_runtimes": bad_runtimes,
    }
    if malformed or bad_dates or bad_runtimes:
        log.warning(
            "RT linking skipped %d malformed crew cells, %d RT rows with an unparseable "
            "theater date and %d with an unparseable runtime",
            malformed,
            bad_dates,
            bad_runtimes,
        )
    out.attrs.update(stats)
    return out


# --------------------------------------------------------------------------- shipped files


def coerce_redial_links(df: pd.DataFrame) -> pd.DataFrame:
    """A shipped redial_movie_links.csv, as read by pandas, typed as `link_redial_movies` returns.

    Empty cells (NaN, or "" with keep_default_na=False) become ``<NA>`` in the
    integer columns and ``""`` in match_rule.
    """
    out = df.loc[:, list(REDIAL_LINK_COLUMNS)].copy()
    out["match_rule"] = out["match_rule"].astype(object).where(out["match_rule"].notna(), "")
    return _with_types(out.reset_index(drop=True), _REDIAL_INT_COLUMNS, _REDIAL_STR_COLUMNS)


def coerce_rt_links(df: pd.DataFrame) -> pd.DataFrame:
    """A shipped rt_movie_links.csv, as pandas reads it, in the types `link_rt_movies` returns."""
    out = df.loc[:, list(RT_LINK_COLUMNS)].copy()
    out["match_rule"] = out["match_rule"].astype(object).where(out["match_rule"].notna(), "")
    return _with_types(out.reset_index(drop=True), _RT_INT_COLUMNS, _RT_STR_COLUMNS)
