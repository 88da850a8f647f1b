"""The link files' columns, match rules and pandas types, shared by both linkers.

`coerce_redial_links` / `coerce_rt_links` type a shipped CSV as the linkers type their
output (see `convrec.catalog.linking`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from convrec.errors import DataSourceError

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

REDIAL_INT_COLUMNS = (
    "redial_movieId",
    "nbMentions",
    "year",
    "ml_movieId",
    "tmdb_id",
    "tmdb_via_movielens",
)
REDIAL_STR_COLUMNS = ("redial_movieName", "match_rule")
RT_INT_COLUMNS = ("rt_id", "tmdb_id", "tmdb_year", "ml_movieId")
RT_STR_COLUMNS = ("tmdb_title", "match_rule")

RULE_TITLE_YEAR = "title+year"
RULE_TITLE_YEAR_PM1 = "title+year_pm1"
RULE_TITLE_ONLY_UNIQUE = "title_only_unique"
RULE_DIRECTOR_YEAR_RUNTIME = "director+year+runtime"
RULE_DIRECTOR_EXACT_YEAR = "director+exact_year"

# RT rule tolerances (tools/link_rt_flatiron.py).
RT_YEAR_TOLERANCE = 1
RT_RUNTIME_TOLERANCE_MIN = 6.0


def column(df: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in df.columns:
        have = ", ".join(map(str, df.columns))
        raise DataSourceError(f"{what} has no column {name!r} (it has: {have})")
    return df[name]


def int_list(values: pd.Series) -> list[int | None]:
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


def float_list(values: pd.Series) -> list[float | None]:
    numeric = pd.to_numeric(values, errors="coerce")
    out: list[float | None] = []
    for v in numeric.tolist():
        ok = isinstance(v, int | float) and math.isfinite(v)
        out.append(float(v) if ok else None)
    return out


def date_years(dates: pd.Series) -> list[int | None]:
    """The year of each date string (any format pandas parses); None where missing or unparseable.

    Each cell is parsed on its own (format="mixed"), as the RT script does with
    scalars; the TMDB script parses its ISO dates as one series, which agrees.
    """
    parsed = pd.to_datetime(dates, errors="coerce", format="mixed")
    return [None if pd.isna(y) else int(y) for y in parsed.dt.year.tolist()]


def str_or_none(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return str(value)


def with_types(
    df: pd.DataFrame, int_columns: Iterable[str], str_columns: Iterable[str]
) -> pd.DataFrame:
    for col in int_columns:
        df[col] = pd.array(int_list(df[col]), dtype=pd.Int64Dtype())
    for col in str_columns:
        df[col] = pd.array([str_or_none(v) for v in df[col].tolist()], dtype=pd.StringDtype())
    return df



def movielens_tmdb_pairs(ml_links: pd.DataFrame) -> list[tuple[int, int]]:
    """(MovieLens movieId, TMDB id) of each links.csv row that has both, in file order."""
    return [
        (mid, tid)
        for mid, tid in zip(
            int_list(column(ml_links, "movieId", "MovieLens links")),
            int_list(column(ml_links, "tmdbId", "MovieLens links")),
            strict=True,
        )
        if mid is not None and tid is not None
    ]

def coerce_redial_links(df: pd.DataFrame) -> pd.DataFrame:
    """A shipped redial_movie_links.csv, as read by pandas, typed as `link_redial_movies` returns.

    Empty cells (NaN, or "" with keep_default_na=False) become ``<NA>`` in the
    integer columns and ``""`` in match_rule.
    """
    out = df.loc[:, list(REDIAL_LINK_COLUMNS)].copy()
    out["match_rule"] = out["match_rule"].astype(object).where(out["match_rule"].notna(), "")
    return with_types(out.reset_index(drop=True), REDIAL_INT_COLUMNS, REDIAL_STR_COLUMNS)


def coerce_rt_links(df: pd.DataFrame) -> pd.DataFrame:
    """A shipped rt_movie_links.csv, as pandas reads it, in the types `link_rt_movies` returns."""
    out = df.loc[:, list(RT_LINK_COLUMNS)].copy()
    out["match_rule"] = out["match_rule"].astype(object).where(out["match_rule"].notna(), "")
    return with_types(out.reset_index(drop=True), RT_INT_COLUMNS, RT_STR_COLUMNS)
