"""Turn each dataset into catalog rows. One function per dataset; all of them fill `Rows`.

The order matters and is fixed by the builder: MovieLens creates the items,
TMDB enriches or adds films, ReDial (ingest_redial.py) and the reviews attach to what
exists.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from convrec.catalog import linking
from convrec.catalog.items import ItemTable
from convrec.catalog.normalize import (
    canonical_genre,
    norm_name,
    parse_movielens_title,
    parse_review_score,
)
from convrec.catalog.readers import (
    Skips,
    parse_json_cell,
    read_csv,
    read_tsv_text,
)
from convrec.catalog.sources import SourceFiles

log = logging.getLogger(__name__)

# Skip reasons that `convrec data stats` reports by name (ReDial's: ingest_redial.py).
SKIP_REVIEW_NO_TEXT = "reviews: no text"
_WRITER_JOBS = {"Screenplay", "Writer"}


@dataclass
class Rows:
    """Everything the writer inserts, table by table."""

    table: ItemTable = field(default_factory=ItemTable)
    people: dict[int, tuple[str, str, int | None]] = field(default_factory=dict)
    credits: dict[tuple[int, int, str], tuple[str | None, int]] = field(default_factory=dict)
    keywords: dict[int, str] = field(default_factory=dict)
    item_keywords: set[tuple[int, int]] = field(default_factory=set)
    companies: dict[int, str] = field(default_factory=dict)
    item_companies: set[tuple[int, int]] = field(default_factory=set)
    ratings: pd.DataFrame | None = None
    tags: pd.DataFrame | None = None
    rt_movies: list[tuple[Any, ...]] = field(default_factory=list)
    reviews: list[tuple[Any, ...]] = field(default_factory=list)
    redial_movies: list[tuple[Any, ...]] = field(default_factory=list)
    dialogues: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    message_mentions: list[tuple[Any, ...]] = field(default_factory=list)
    mentions: list[tuple[Any, ...]] = field(default_factory=list)
    skips: Skips = field(default_factory=Skips)
    notes: dict[str, str] = field(default_factory=dict)
    # kept for the linkers when the derived link files must be recomputed
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)


def int_or_none(value: Any) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(number) else int(number)


def _float_or_none(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(number) else number


def text_or_none(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


# ---------------------------------------------------------------- MovieLens


def ingest_movielens(files: SourceFiles, rows: Rows) -> None:
    movies = read_csv(
        files.require("ml_movies"), ["movieId", "title", "genres"],
        dtype={"title": str, "genres": str}, keep_default_na=False,
    )
    links = read_csv(
        files.require("ml_links"), ["movieId", "imdbId", "tmdbId"],
        dtype=str, keep_default_na=False,
    )
    rows.frames["ml_movies"] = movies
    rows.frames["ml_links"] = links
    link_by_ml = {
        int(m): (int_or_none(t), f"tt{i}" if i else None)
        for m, i, t in zip(links["movieId"], links["imdbId"], links["tmdbId"], strict=True)
        if str(m).strip().isdigit()
    }
    table = rows.table
    for ml_id, raw_title, genres in zip(
        movies["movieId"], movies["title"], movies["genres"], strict=True
    ):
        ml_id = int(ml_id)
        if ml_id in table.by_ml:
            rows.skips.add("movielens: repeated movieId")
            continue
        title, year, aliases = parse_movielens_title(raw_title)
        if not title:
            rows.skips.add("movielens: empty title")
            continue
        tmdb_id, imdb_id = link_by_ml.get(ml_id, (None, None))
        item = table.add_movielens(ml_id, title, year, aliases, tmdb_id, imdb_id)
        for name in str(genres).split("|"):
            genre = canonical_genre(name)
            if genre:
                item.add_genre(genre, "movielens")

    ratings = read_csv(
        files.require("ml_ratings"), ["userId", "movieId", "rating", "timestamp"],
        dtype={"userId": "int64", "movieId": "int64", "rating": "float64", "timestamp": "int64"},
    )
    tags = read_csv(
        files.require("ml_tags"), ["userId", "movieId", "tag", "timestamp"],
        dtype={"userId": "int64", "movieId": "int64", "tag": str, "timestamp": "int64"},
        keep_default_na=False,
    )
    rows.ratings = _attach_items(ratings, table.by_ml, rows.skips, "ratings")
    tags = tags[tags["tag"].str.strip() != ""]
    rows.tags = _attach_items(tags, table.by_ml, rows.skips, "tags")


def _attach_items(
    frame: pd.DataFrame, by_ml: dict[int, int], skips: Skips, what: str
) -> pd.DataFrame:
    frame = frame.assign(item_id=frame["movieId"].map(by_ml))
    unknown = int(frame["item_id"].isna().sum())
    if unknown:
        skips.add(f"{what}: movieId not in movies.csv", unknown)
        frame = frame[frame["item_id"].notna()]
    return frame.astype({"item_id": "int64"})


# ---------------------------------------------------------------- TMDB

_TMDB_COLUMNS = [
    "id", "title", "original_title", "overview", "genres", "keywords", "original_language",
    "release_date", "runtime", "vote_average", "vote_count", "popularity", "budget",
    "revenue", "tagline", "production_companies",
]


def ingest_tmdb(files: SourceFiles, rows: Rows) -> None:
    movies = read_csv(files.require("tmdb_movies"), _TMDB_COLUMNS, dtype=str,
                      keep_default_na=False)
    credits = read_csv(files.require("tmdb_credits"), ["movie_id", "cast", "crew"], dtype=str,
                       keep_default_na=False)
    rows.frames["tmdb_movies"] = movies
    rows.frames["tmdb_credits"] = credits
    table, skips = rows.table, rows.skips
    seen: set[int] = set()
    for rec in movies.to_dict("records"):
        tmdb_id = int_or_none(rec["id"])
        title = text_or_none(rec["title"]) or text_or_none(rec["original_title"])
        if tmdb_id is None or title is None:
            skips.add("tmdb: row without id or title")
            continue
        if tmdb_id in seen:
            skips.add("tmdb: repeated id")
            continue
        seen.add(tmdb_id)
        release = text_or_none(rec["release_date"])
        year = int_or_none(release[:4]) if release and release[:4].isdigit() else None
        item = table.attach_tmdb(tmdb_id, title, text_or_none(rec["original_title"]) or "", year)
        runtime = int_or_none(rec["runtime"])
        item.fields.update(
            original_title=text_or_none(rec["original_title"]),
            original_language=text_or_none(rec["original_language"]),
            overview=text_or_none(rec["overview"]),
            tagline=text_or_none(rec["tagline"]),
            runtime=runtime if runtime else None,  # TMDB writes 0 for unknown
            release_date=release,
            vote_average=_float_or_none(rec["vote_average"]),
            vote_count=int_or_none(rec["vote_count"]),
            popularity=_float_or_none(rec["popularity"]),
            budget=int_or_none(rec["budget"]) or None,
            revenue=int_or_none(rec["revenue"]) or None,
        )
        for genre in parse_json_cell(rec["genres"], skips, "tmdb: malformed genres cell"):
            name = canonical_genre(genre.get("name", ""))
            if name:
                item.add_genre(name, "tmdb")
        for kw in parse_json_cell(rec["keywords"], skips, "tmdb: malformed keywords cell"):
            kw_id, kw_name = int_or_none(kw.get("id")), text_or_none(kw.get("name"))
            if kw_id is not None and kw_name:
                rows.keywords[kw_id] = kw_name
                rows.item_keywords.add((item.item_id, kw_id))
        for co in parse_json_cell(rec["production_companies"], skips,
                                  "tmdb: malformed production_companies cell"):
            co_id, co_name = int_or_none(co.get("id")), text_or_none(co.get("name"))
            if co_id is not None and co_name:
                rows.companies[co_id] = co_name
                rows.item_companies.add((item.item_id, co_id))

    for movie_id, cast, crew in zip(
        credits["movie_id"], credits["cast"], credits["crew"], strict=True
    ):
        tmdb_id = int_or_none(movie_id)
        item_id = table.by_tmdb.get(tmdb_id) if tmdb_id is not None else None
        if item_id is None or tmdb_id not in seen:
            skips.add("tmdb credits: film not in the movies file")
            continue
        for person in parse_json_cell(cast, skips, "tmdb credits: malformed cast cell"):
            _add_credit(rows, item_id, person, "actor", person.get("character"),
                        int_or_none(person.get("order")))
        counters: dict[str, int] = defaultdict(int)
        for person in parse_json_cell(crew, skips, "tmdb credits: malformed crew cell"):
            job = person.get("job")
            role = "director" if job == "Director" else "writer" if job in _WRITER_JOBS else None
            if role:
                _add_credit(rows, item_id, person, role, None, counters[role])
                counters[role] += 1


def _add_credit(
    rows: Rows, item_id: int, person: dict[str, Any], role: str,
    character: Any, order: int | None,
) -> None:
    person_id, name = int_or_none(person.get("id")), text_or_none(person.get("name"))
    if person_id is None or name is None:
        rows.skips.add("tmdb credits: person without id or name")
        return
    rows.people.setdefault(person_id, (name, norm_name(name), int_or_none(person.get("gender"))))
    key = (item_id, person_id, role)
    if key not in rows.credits:  # an actor playing two parts keeps the first billing
        rows.credits[key] = (text_or_none(character), order if order is not None else 9999)


# ---------------------------------------------------------------- reviews

_REVIEW_COLUMNS = ["id", "review", "rating", "fresh", "critic", "top_critic", "publisher", "date"]


def ingest_reviews(files: SourceFiles, rows: Rows) -> None:
    info_path = files.require("rt_movie_info")
    info, _ = read_tsv_text(info_path, ["id", "synopsis", "director", "theater_date", "runtime",
                                        "genre"])
    links_path = files.get("rt_links")
    if links_path is not None:
        links = read_csv(links_path, ["rt_id", "tmdb_id", "match_rule"], dtype=str,
                         keep_default_na=False)
        rows.notes["rt_links"] = f"shipped ({links_path.name})"
    else:
        raw_info = info.replace({"": None})
        links = linking.link_rt_movies(
            raw_info, rows.frames["tmdb_movies"], rows.frames["tmdb_credits"],
            rows.frames["ml_links"],
        )
        rows.notes["rt_links"] = "computed (no rt_movie_links.csv)"
    by_tmdb = rows.table.by_tmdb
    rt_to_item: dict[int, tuple[int, str]] = {}
    for rt_id, tmdb_id, rule in zip(links["rt_id"], links["tmdb_id"], links["match_rule"],
                                    strict=True):
        rt, tmdb = int_or_none(rt_id), int_or_none(tmdb_id)
        if rt is not None and tmdb is not None and tmdb in by_tmdb:
            rt_to_item[rt] = (by_tmdb[tmdb], rule)
    for rec in info.to_dict("records"):
        rt_id = int_or_none(rec["id"])
        if rt_id is None:
            rows.skips.add("rt movie info: row without id")
            continue
        item_id, rule = rt_to_item.get(rt_id, (None, None))
        runtime = str(rec["runtime"]).split(" ")[0]
        rows.rt_movies.append((
            rt_id, item_id, rule, text_or_none(rec["director"]),
            text_or_none(rec["theater_date"]), int_or_none(runtime) if runtime else None,
            text_or_none(rec["genre"]), text_or_none(rec["synopsis"]),
        ))
        if item_id is not None:
            rows.table.sources.append(("rt", str(rt_id), item_id))

    reviews_path = files.require("rt_reviews")
    reviews, encoding = read_tsv_text(reviews_path, _REVIEW_COLUMNS)
    rows.notes["reviews_encoding"] = encoding
    dates = pd.to_datetime(reviews["date"], format="%B %d, %Y", errors="coerce")
    iso_dates = dates.dt.strftime("%Y-%m-%d").where(dates.notna(), None)
    for rec, date in zip(reviews.to_dict("records"), iso_dates, strict=True):
        text = text_or_none(rec["review"])
        rt_id = int_or_none(rec["id"])
        if text is None:
            rows.skips.add(SKIP_REVIEW_NO_TEXT)
            continue
        if rt_id is None:
            rows.skips.add("reviews: no movie id")
            continue
        fresh = {"fresh": 1, "rotten": 0}.get(str(rec["fresh"]).strip().lower())
        score_raw = text_or_none(rec["rating"])
        rows.reviews.append((
            len(rows.reviews) + 1, rt_id, rt_to_item.get(rt_id, (None, None))[0],
            text_or_none(rec["critic"]), 1 if str(rec["top_critic"]).strip() == "1" else 0,
            text_or_none(rec["publisher"]), text, score_raw, parse_review_score(score_raw),
            fresh, date,
        ))
