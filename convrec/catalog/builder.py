"""Build the SQLite catalog from the source datasets.

The catalog is written to a temporary file beside the destination and renamed
into place only when complete, so a failed or interrupted build never leaves a
half-written catalog. A build is skipped when the catalog on disk was made by
this schema version from byte-identical source files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from convrec import __version__
from convrec.catalog.ingest import Rows, ingest_movielens, ingest_reviews, ingest_tmdb
from convrec.catalog.ingest_redial import ingest_redial
from convrec.catalog.schema import DDL, INDEXES, SCHEMA_VERSION
from convrec.catalog.sources import SourceFiles, locate_files
from convrec.errors import CatalogError
from convrec.progress import Progress

log = logging.getLogger(__name__)

STEPS = (
    "MovieLens films, ratings, tags",
    "TMDB films and credits",
    "ReDial films and dialogues",
    "critic reviews",
    "writing the catalog",
)



@dataclass
class BuildReport:
    path: Path
    built: bool
    seconds: float
    skips: dict[str, int] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def source_fingerprint(files: SourceFiles) -> str:
    """A hash of every source file's bytes: a rebuild is needed when any of them changes."""
    digest = hashlib.sha256()
    all_paths = sorted([*files.paths.values(), *files.redial_train])
    for path in all_paths:
        digest.update(str(path.relative_to(files.root)).encode())
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def read_meta(path: Path) -> dict[str, str] | None:
    """The meta table of an existing catalog, or None when there is no readable one."""
    if not path.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                return None
            return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError:
        return None


def build_catalog(
    source_dir: Path,
    dest: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Build (or confirm up to date) the catalog at `dest` from the datasets in `source_dir`."""
    started = time.perf_counter()
    files = locate_files(source_dir)
    fingerprint = source_fingerprint(files)
    meta = read_meta(dest)
    if not force and meta is not None and meta.get("source_fingerprint") == fingerprint:
        return BuildReport(dest, built=False, seconds=time.perf_counter() - started)

    def step(i: int) -> None:
        log.debug("catalog: %s", STEPS[i])
        if progress:
            progress(STEPS[i], i, len(STEPS))

    rows = Rows()
    step(0)
    ingest_movielens(files, rows)
    step(1)
    ingest_tmdb(files, rows)
    step(2)
    ingest_redial(files, rows)
    step(3)
    ingest_reviews(files, rows)
    step(4)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        _write(tmp, rows)
        seconds = time.perf_counter() - started
        _write_meta(tmp, {
            "schema_version": str(SCHEMA_VERSION),
            "convrec_version": __version__,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "build_seconds": f"{seconds:.2f}",
            "source_dir": str(source_dir.resolve()),
            "source_fingerprint": fingerprint,
            "skips": json.dumps(dict(sorted(rows.skips.items()))),
            "notes": json.dumps(rows.notes),
            "merges": json.dumps({
                "movielens_duplicates": rows.table.merged_ml_duplicates,
                "tmdb_by_title_year": rows.table.tmdb_merged_by_title,
                "redial_by_title_year": rows.table.redial_merged_by_title,
            }),
        })
        os.replace(tmp, dest)
    except sqlite3.Error as exc:
        raise CatalogError(f"could not write the catalog at {dest}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    for reason, n in sorted(rows.skips.items()):
        log.debug("catalog: skipped %d (%s)", n, reason)
    return BuildReport(dest, True, seconds, dict(rows.skips), rows.notes)


def _write_meta(path: Path, meta: dict[str, str]) -> None:
    with sqlite3.connect(path) as conn:
        conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())


def _write(path: Path, rows: Rows) -> None:
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        conn.executescript(DDL)
        with conn:
            _insert_items(conn, rows)
            _insert_people(conn, rows)
            _insert_interactions(conn, rows)
            _insert_reviews_and_dialogues(conn, rows)
        conn.executescript(INDEXES)
        conn.execute("ANALYZE")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.commit()
    finally:
        conn.close()


_ITEM_FIELDS = (
    "original_title", "original_language", "overview", "tagline", "runtime", "release_date",
    "vote_average", "vote_count", "popularity", "budget", "revenue",
)


def _insert_items(conn: sqlite3.Connection, rows: Rows) -> None:
    table = rows.table
    mentions: dict[int, int] = {}
    for _, _, n, item_id, _ in rows.redial_movies:
        mentions[item_id] = mentions.get(item_id, 0) + n
    rating_stats: dict[int, tuple[float, int]] = {}
    if rows.ratings is not None and len(rows.ratings):
        grouped = rows.ratings.groupby("item_id")["rating"].agg(["mean", "count"])
        rating_stats = {
            int(i): (round(float(m), 4), int(c))
            for i, m, c in zip(grouped.index, grouped["mean"], grouped["count"], strict=True)
        }
    placeholders = ", ".join("?" * (10 + len(_ITEM_FIELDS) + 1))
    conn.executemany(
        f"INSERT INTO items (item_id, title, year, norm_title, source, ml_movie_id, tmdb_id, "
        f"imdb_id, has_tmdb, rating_mean, {', '.join(_ITEM_FIELDS)}, rating_count) "
        f"VALUES ({placeholders})",
        (
            (
                it.item_id, it.title, it.year, it.norm, it.source, it.ml_movie_id, it.tmdb_id,
                it.imdb_id, int(it.has_tmdb), rating_stats.get(it.item_id, (None, 0))[0],
                *(it.fields.get(f) for f in _ITEM_FIELDS),
                rating_stats.get(it.item_id, (None, 0))[1],
            )
            for it in table.items.values()
        ),
    )
    conn.executemany(
        "UPDATE items SET redial_mentions = ? WHERE item_id = ?",
        ((n, item_id) for item_id, n in mentions.items()),
    )
    conn.executemany("INSERT INTO item_sources VALUES (?, ?, ?)", table.finish_sources())
    conn.executemany(
        "INSERT INTO item_titles VALUES (?, ?, ?, ?)",
        (
            (it.item_id, title, norm, kind)
            for it in table.items.values()
            for norm, (title, kind) in it.titles.items()
        ),
    )
    genre_names = sorted({g for it in table.items.values() for g in it.genres})
    genre_ids = {name: i for i, name in enumerate(genre_names, start=1)}
    conn.executemany("INSERT INTO genres VALUES (?, ?)", [(i, n) for n, i in genre_ids.items()])
    conn.executemany(
        "INSERT INTO item_genres VALUES (?, ?, ?)",
        (
            (it.item_id, genre_ids[g], source)
            for it in table.items.values()
            for g, source in it.genres.items()
        ),
    )


def _insert_people(conn: sqlite3.Connection, rows: Rows) -> None:
    conn.executemany(
        "INSERT INTO people VALUES (?, ?, ?, ?)",
        ((pid, name, norm, gender) for pid, (name, norm, gender) in rows.people.items()),
    )
    conn.executemany(
        "INSERT INTO credits VALUES (?, ?, ?, ?, ?)",
        ((i, p, role, ch, order) for (i, p, role), (ch, order) in rows.credits.items()),
    )
    conn.executemany("INSERT INTO keywords VALUES (?, ?)", rows.keywords.items())
    conn.executemany("INSERT INTO item_keywords VALUES (?, ?)", sorted(rows.item_keywords))
    conn.executemany("INSERT INTO companies VALUES (?, ?)", rows.companies.items())
    conn.executemany("INSERT INTO item_companies VALUES (?, ?)", sorted(rows.item_companies))


def _records(frame: Any, columns: list[str]) -> Any:
    return frame[columns].itertuples(index=False, name=None)


def _insert_interactions(conn: sqlite3.Connection, rows: Rows) -> None:
    if rows.ratings is not None:
        conn.executemany(
            "INSERT INTO ratings VALUES (?, ?, ?, ?, ?)",
            _records(rows.ratings, ["userId", "movieId", "item_id", "rating", "timestamp"]),
        )
    if rows.tags is not None:
        conn.executemany(
            "INSERT INTO tags VALUES (?, ?, ?, ?, ?)",
            _records(rows.tags, ["userId", "movieId", "item_id", "tag", "timestamp"]),
        )


def _insert_reviews_and_dialogues(conn: sqlite3.Connection, rows: Rows) -> None:
    conn.executemany("INSERT INTO rt_movies VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows.rt_movies)
    conn.executemany(
        "INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.reviews
    )
    conn.executemany("INSERT INTO redial_movies VALUES (?, ?, ?, ?, ?)", rows.redial_movies)
    conn.executemany(
        "INSERT INTO redial_dialogues (conversation_id, split, source_file, origin, complete, "
        "seeker_id, recommender_id, n_messages) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows.dialogues,
    )
    conn.executemany("INSERT INTO redial_messages VALUES (?, ?, ?, ?, ?, ?, ?)", rows.messages)
    conn.executemany(
        "INSERT INTO redial_message_mentions VALUES (?, ?, ?, ?)", rows.message_mentions
    )
    conn.executemany(
        "INSERT INTO redial_mentions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.mentions
    )
