"""Rotten Tomatoes (Flatiron) movies linked to TMDB-5000 by director, year and runtime (see
`convrec.catalog.linking`)."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import pandas as pd

from convrec.catalog.linking_types import (
    RT_INT_COLUMNS,
    RT_LINK_COLUMNS,
    RT_RUNTIME_TOLERANCE_MIN,
    RT_STR_COLUMNS,
    RT_YEAR_TOLERANCE,
    RULE_DIRECTOR_EXACT_YEAR,
    RULE_DIRECTOR_YEAR_RUNTIME,
    column,
    date_years,
    float_list,
    int_list,
    movielens_tmdb_pairs,
    str_or_none,
    with_types,
)
from convrec.catalog.normalize import norm_name

log = logging.getLogger("convrec.catalog.linking")  # the logger name callers filter on


def _directors_by_name(tmdb_credits: pd.DataFrame) -> tuple[dict[str, set[int]], int]:
    """normalised director name -> TMDB ids, parsing each crew cell once; and the bad-cell count."""
    directed: dict[str, set[int]] = {}
    malformed = 0
    ids = int_list(column(tmdb_credits, "movie_id", "TMDB credits"))
    for mid, crew in zip(ids, column(tmdb_credits, "crew", "TMDB credits").tolist(), strict=True):
        if mid is None:
            continue
        if str_or_none(crew) is None or not str(crew).strip():
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
    text = str_or_none(value)
    if text is None or not text.strip():
        return None
    try:
        minutes = float(text.split()[0])
    except ValueError:
        return False
    return minutes if math.isfinite(minutes) else False


TmdbFacts = dict[int, tuple[int | None, float | None, Any]]  # id -> (year, runtime, title)


def _tmdb_facts(tmdb_movies: pd.DataFrame) -> TmdbFacts:
    """Year, runtime and title of each TMDB id (the first row of an id wins)."""
    tm_ids = int_list(column(tmdb_movies, "id", "TMDB movies"))
    tm_years = date_years(column(tmdb_movies, "release_date", "TMDB movies"))
    tm_runtimes = float_list(column(tmdb_movies, "runtime", "TMDB movies"))
    tm_titles = column(tmdb_movies, "title", "TMDB movies").tolist()
    facts: TmdbFacts = {}
    for tid, year, runtime, title in zip(tm_ids, tm_years, tm_runtimes, tm_titles, strict=True):
        if tid is not None and tid not in facts:
            facts[tid] = (year, runtime, title)
    return facts


def _unique_candidate(
    cands: set[int], year: int, minutes: float | None, facts: TmdbFacts
) -> tuple[int, str] | None:
    """The one TMDB film among a director's films that fits the RT year (and runtime), with
    its rule; None when none or several fit."""
    near = []
    for c in cands:
        c_year = facts[c][0] if c in facts else None
        if c_year is not None and abs(c_year - year) <= RT_YEAR_TOLERANCE:
            near.append(c)
    if minutes is not None:
        near = [
            c
            for c in near
            if (r := facts[c][1]) is not None and abs(r - minutes) <= RT_RUNTIME_TOLERANCE_MIN
        ]
        rule = RULE_DIRECTOR_YEAR_RUNTIME
    else:
        near = [c for c in near if facts[c][0] == year]
        rule = RULE_DIRECTOR_EXACT_YEAR
    if len(near) != 1:
        return None
    return near[0], rule


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

    facts = _tmdb_facts(tmdb_movies)
    # a TMDB id listed twice in links.csv maps to its last movieId, as in the script
    tmdb_to_ml = {tid: mid for mid, tid in movielens_tmdb_pairs(ml_links)}

    rt_ids = int_list(column(rt_info, "id", "RT movie info"))
    directors = column(rt_info, "director", "RT movie info").tolist()
    dates = column(rt_info, "theater_date", "RT movie info")
    rt_years = date_years(dates)
    runtimes = column(rt_info, "runtime", "RT movie info").tolist()
    bad_dates = bad_runtimes = 0
    rows: list[tuple[int, int, Any, int | None, int | None, str]] = []
    for rt_id, director, date, year, runtime in zip(
        rt_ids, directors, dates.tolist(), rt_years, runtimes, strict=True
    ):
        director_text, date_text = str_or_none(director), str_or_none(date)
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
        found = _unique_candidate(cands, year, minutes, facts)
        if found is None:
            continue
        tid, rule = found
        rows.append((rt_id, tid, facts[tid][2], facts[tid][0], tmdb_to_ml.get(tid), rule))

    out = pd.DataFrame(rows, columns=list(RT_LINK_COLUMNS))
    out = out.sort_values("rt_id", kind="stable").reset_index(drop=True)
    out = with_types(out, RT_INT_COLUMNS, RT_STR_COLUMNS)
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
