"""The catalog built from the real datasets in ../shared/data (skips when absent)."""

from __future__ import annotations

import csv
import gzip
import json
import re
import sqlite3
import subprocess
import sys

import pytest

from convrec.catalog.stats import catalog_stats
from convrec.errors import CatalogError

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stats(real_catalog):
    return catalog_stats(real_catalog)


def test_every_movielens_film_is_an_item(stats, real_catalog, real_data_dir):
    with open(real_data_dir / "movielens/ml-latest-small/movies.csv", encoding="utf-8") as fh:
        ml_ids = {int(row["movieId"]) for row in csv.DictReader(fh)}
    assert len(ml_ids) == 9742
    assert stats["items"]["movielens_ids"] == 9742
    mapped = {int(r[0]) for r in real_catalog.query(
        "SELECT source_id FROM item_sources WHERE source = 'movielens'")}
    assert mapped == ml_ids
    # ml-latest-small lists one film twice (two movieIds, one TMDB id): one item.
    assert stats["items"]["from_movielens"] == 9741
    assert stats["items"]["merges"]["movielens_duplicates"] == 1


def test_same_title_and_year_are_not_merged_within_movielens(real_catalog):
    # "Emma (1996)" is a feature film and a TV film: two MovieLens ids, two TMDB ids.
    rows = real_catalog.query("SELECT item_id FROM items WHERE title = 'Emma' AND year = 1996")
    assert len(rows) == 2


def test_tmdb_fields_for_every_tmdb_film(stats, real_catalog):
    assert stats["items"]["with_tmdb_fields"] == 4803
    assert stats["items"]["tmdb_5000_films"] == 4803
    # Every TMDB row has vote figures and popularity (a few lack an overview upstream).
    missing = real_catalog.query(
        "SELECT COUNT(*) FROM items WHERE has_tmdb = 1 "
        "AND (vote_count IS NULL OR popularity IS NULL OR original_language IS NULL)")
    assert missing[0][0] == 0
    with_overview = real_catalog.query(
        "SELECT COUNT(*) FROM items WHERE has_tmdb = 1 AND overview IS NOT NULL")
    assert with_overview[0][0] >= 4795
    avatar = real_catalog.items(
        [real_catalog.query("SELECT item_id FROM items WHERE tmdb_id = 19995")[0][0]])[0]
    assert avatar.title == "Avatar" and avatar.year == 2009
    assert [d.name for d in avatar.directors] == ["James Cameron"]
    assert avatar.cast[0].name == "Sam Worthington"
    assert avatar.runtime == 162 and avatar.original_language == "en"
    assert "Science Fiction" in avatar.genres


def test_interaction_counts(stats):
    assert stats["ratings"] == 100_836
    assert stats["tags"] == 3_683
    assert stats["raters"] == 610


def test_reviews(stats, real_data_dir, real_catalog):
    with gzip.open(real_data_dir / "reviews/rotten_tomatoes_flatiron/rt.reviews.tsv.gz",
                   "rt", encoding="cp1252") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    with_text = [r for r in rows if r["review"].strip()]
    assert stats["reviews"]["with_text"] == len(with_text) == 48_869
    assert stats["reviews"]["with_author"] == sum(1 for r in with_text if r["critic"].strip())
    linked_rt = set()
    with open(real_data_dir / "reviews/rotten_tomatoes_flatiron/rt_movie_links.csv") as fh:
        linked_rt = {int(r["rt_id"]) for r in csv.DictReader(fh)}
    assert stats["reviews"]["linked_to_item"] == sum(1 for r in with_text
                                                     if int(r["id"]) in linked_rt)
    # The file is cp1252 (one 0xA0 byte makes it invalid UTF-8): decoded without loss.
    assert stats["notes"]["reviews_encoding"] == "cp1252"
    assert real_catalog.query("SELECT COUNT(*) FROM reviews WHERE text LIKE '%\ufffd%'")[0][0] == 0
    assert real_catalog.query("SELECT COUNT(*) FROM reviews WHERE text LIKE '%\xa0%'")[0][0] == 1


def read_dialogues(path):
    """The dialogues of a ReDial jsonl file, plain or gzipped."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def redial_files(real_data_dir):
    train = sorted((real_data_dir / "redial/train_partial").glob("*.jsonl"))
    train += sorted((real_data_dir / "redial/train_more").glob("*.jsonl.gz"))
    assert len(train) == 4
    return real_data_dir / "redial/test_data.jsonl", train


# Training dialogues per origin (redial/train_more/README.md, and the two train_partial files).
TRAIN_BY_ORIGIN = {
    "kgsf_valid_data.jsonl": 901, "kepler_train_data_subset.jsonl": 500,  # 1,401
    "cfcrs_valid": 866, "vachon_val_full": 699, "uss_redial": 695, "iard": 242,
    "eredial_test": 85, "redial_head_amit": 15,  # train_more_full: 2,602
    "vachon_prefix_chrono": 567, "vachon_prefix_chronotextsr": 538,
    "vachon_prefix_chronotextsrgenres": 446, "vachon_prefix_old_chronotextsrgenres": 401,
    "vachon_prefix_chronotext": 374,  # train_more_partial: 2,326
}
TEST_ID_RANGE = range(20001, 23323)  # ReDial's test split


def test_redial_dialogues_and_every_mention_resolved(stats, real_data_dir, real_catalog):
    assert stats["redial"]["dialogues"] == {"test": 1342, "train": 1401 + 2602 + 2326}
    assert stats["redial"]["mentions_unresolved"] == 0
    written = 0
    test_file, train_files = redial_files(real_data_dir)
    for path in [test_file, *train_files]:
        for dialogue in read_dialogues(path):
            for message in dialogue["messages"]:
                written += len(dict.fromkeys(re.findall(r"@(\d+)", message["text"])))
    assert stats["redial"]["mentions_in_text"] == written
    orphans = real_catalog.query(
        "SELECT COUNT(*) FROM redial_message_mentions m LEFT JOIN items i USING (item_id) "
        "WHERE i.item_id IS NULL")
    assert orphans[0][0] == 0


def test_no_training_dialogue_is_a_test_dialogue(stats, real_data_dir, real_catalog):
    """The guard of redial/train_more/README.md: training files hold no test dialogue, the
    files were deduplicated against each other, and every dialogue of them is loaded."""
    test_file, train_files = redial_files(real_data_dir)
    test_ids = {str(d["conversationId"]) for d in read_dialogues(test_file)}
    assert len(test_ids) == 1342 and all(int(i) in TEST_ID_RANGE for i in test_ids)
    file_ids: list[str] = []
    for path in train_files:
        file_ids += [str(d["conversationId"]) for d in read_dialogues(path)
                     if d["conversationId"] is not None]
    assert len(file_ids) == len(set(file_ids))  # deduplicated across the files
    assert all(i.isdigit() and int(i) not in TEST_ID_RANGE for i in file_ids)
    assert test_ids.isdisjoint(file_ids)

    train = {r[0] for r in real_catalog.query(
        "SELECT conversation_id FROM redial_dialogues WHERE split = 'train'")}
    in_catalog_test = {r[0] for r in real_catalog.query(
        "SELECT conversation_id FROM redial_dialogues WHERE split = 'test'")}
    assert in_catalog_test == test_ids and train.isdisjoint(in_catalog_test)
    assert not any(c.isdigit() and int(c) in TEST_ID_RANGE for c in train)
    given = {c for c in train if not c.isdigit()}  # dialogues without conversationId
    assert len(given) == 357 and all(re.fullmatch(r"uss_redial-\d+", c) for c in given)
    assert train - given == set(file_ids)

    assert stats["redial"]["repeated_skipped"] == 0
    assert stats["redial"]["dialogues"]["train"] == sum(TRAIN_BY_ORIGIN.values()) == 6329
    assert stats["redial"]["train_by_origin"] == TRAIN_BY_ORIGIN
    assert stats["redial"]["prefix_only_dialogues"] == 2326
    partial = real_catalog.query(
        "SELECT COUNT(*) FROM redial_dialogues WHERE complete = 0 "
        "AND source_file = 'train_more_partial.jsonl.gz'")
    assert partial[0][0] == 2326


def test_redial_message_roles(real_catalog):
    roles = {(r[0], r[1]): r[2] for r in real_catalog.query(
        "SELECT d.origin, m.role, COUNT(*) FROM redial_messages m "
        "JOIN redial_dialogues d USING (conversation_id) GROUP BY 1, 2")}
    # a whole dialogue as one role-less message: kept as one 'unknown' message
    for origin, n in [("vachon_val_full", 699), ("vachon_prefix_chrono", 567),
                      ("vachon_prefix_chronotext", 374)]:
        assert roles[(origin, "unknown")] == n
        assert (origin, "seeker") not in roles and (origin, "recommender") not in roles
    # every other message has a speaker (from its role, or from the worker ids)
    assert {o for o, role in roles if role == "unknown"} == {
        "vachon_val_full", "vachon_prefix_chrono", "vachon_prefix_chronotext"}
    # role-labelled messages with a null senderWorkerId
    assert roles[("vachon_prefix_chronotextsr", "seeker")] == 1861
    assert roles[("vachon_prefix_chronotextsr", "recommender")] == 1851


def test_unmatched_redial_films_become_items(stats, real_catalog):
    assert stats["items"]["redial_ids"] == 6924
    assert stats["items"]["redial_only"] > 2000
    row = real_catalog.query(
        "SELECT i.title, i.year, i.source FROM redial_movies r JOIN items i USING (item_id) "
        "WHERE r.name LIKE 'Girls Trip%'")
    assert row and row[0]["source"] == "redial" and row[0]["year"] == 2017


def test_build_is_fast(stats):
    # The budget is 60 s on 2 cores; this guards gross regressions only.
    assert stats["build_seconds"] < 60


def test_catalog_is_read_only(real_catalog, real_catalog_path):
    before = real_catalog_path.stat().st_mtime_ns
    for sql in ["DELETE FROM items", "UPDATE items SET title = 'x'", "DROP TABLE ratings",
                "INSERT INTO meta VALUES ('k', 'v')", "PRAGMA query_only = OFF",
                f"ATTACH DATABASE '{real_catalog_path}' AS other", "CREATE TABLE t (x)"]:
        with pytest.raises(CatalogError):
            real_catalog.query(sql)
    assert real_catalog_path.stat().st_mtime_ns == before
    assert real_catalog.query("SELECT COUNT(*) FROM items")[0][0] > 13_000


def test_raw_connection_cannot_write_either(real_catalog):
    with pytest.raises(sqlite3.DatabaseError):
        real_catalog.conn.execute("DELETE FROM items")


def test_cli_stats_json(real_catalog_path):
    env = {"CONVREC_CATALOG_PATH": str(real_catalog_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "convrec.cli", "data", "stats", "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )
    figures = json.loads(out.stdout)
    assert figures["ratings"] == 100_836
    assert figures["items"]["with_tmdb_fields"] == 4803


def test_without_derived_link_files_the_catalog_is_the_same(real_data_dir, real_catalog,
                                                            tmp_path):
    """Users who download upstream archives have no derived link files: the builder
    recomputes them and must arrive at the same catalog."""
    from convrec.catalog.builder import build_catalog
    from convrec.catalog.db import Catalog

    derived = {"redial_movie_links.csv", "rt_movie_links.csv"}
    source = tmp_path / "data"
    for path in real_data_dir.rglob("*"):
        if path.is_file() and path.name not in derived:
            target = source / path.relative_to(real_data_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    report = build_catalog(source, tmp_path / "recomputed.sqlite")
    assert report.notes["redial_links"].startswith("computed")
    assert report.notes["rt_links"].startswith("computed")
    recomputed = Catalog(tmp_path / "recomputed.sqlite")
    for table in ["items", "item_sources", "redial_movies", "reviews", "rt_movies"]:
        order = "ORDER BY 1, 2" if table != "items" else "ORDER BY item_id"
        cols = "item_id, title, year, tmdb_id" if table == "items" else "*"
        sql = f"SELECT {cols} FROM {table} {order}"
        assert [tuple(r) for r in recomputed.query(sql)] == \
            [tuple(r) for r in real_catalog.query(sql)], table
