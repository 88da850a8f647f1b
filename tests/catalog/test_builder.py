"""The catalog builder on the synthetic dataset: merge rules, edge cases and bad input."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from convrec.catalog.builder import build_catalog
from convrec.catalog.db import Catalog
from convrec.catalog.ingest_redial import message_role
from convrec.catalog.schema import REDIAL_ID_BASE, SCHEMA_VERSION, TMDB_ID_BASE
from convrec.errors import CatalogError, DataSourceError
from tests import synthetic_data as sd


@pytest.fixture
def fresh_source(tmp_path) -> tuple[Path, sd.SyntheticExpectations]:
    """A synthetic dataset of the test's own, free to damage."""
    root = tmp_path / "data"
    return root, sd.write_synthetic_dataset(root)


def item_members(catalog: Catalog) -> set[frozenset[str]]:
    """Each item as the set of source keys it merges, in the expectations' notation."""
    members: dict[int, list[str]] = {}
    for row in catalog.query(
        "SELECT item_id, source, source_id FROM item_sources WHERE source IN "
        "('movielens', 'redial')"
    ):
        prefix = "ml" if row["source"] == "movielens" else "redial"
        members.setdefault(row["item_id"], []).append(f"{prefix}:{row['source_id']}")
    for row in catalog.query("SELECT item_id, tmdb_id FROM items WHERE has_tmdb = 1"):
        members.setdefault(row["item_id"], []).append(f"tmdb:{row['tmdb_id']}")
    return {frozenset(keys) for keys in members.values()}


def expected_members(exp: sd.SyntheticExpectations) -> set[frozenset[str]]:
    return {frozenset(keys) for keys in exp.item_members}


# ----------------------------------------------------------------------- merge rules


def test_items_follow_the_merge_rules(synthetic_catalog, synthetic_source):
    _, exp = synthetic_source
    assert synthetic_catalog.query("SELECT COUNT(*) FROM items")[0][0] == exp.n_items
    assert item_members(synthetic_catalog) == expected_members(exp)


def test_item_ids_are_stable_by_source(synthetic_catalog, synthetic_source):
    _, exp = synthetic_source
    ml = synthetic_catalog.item(exp.article_moved_ml_id)
    assert ml is not None and ml.ml_movie_id == exp.article_moved_ml_id
    for tmdb_id in exp.tmdb_only_ids:
        item = synthetic_catalog.item(TMDB_ID_BASE + tmdb_id)
        assert item is not None and item.source == "tmdb" and item.tmdb_id == tmdb_id
    first_unmatched = min(exp.redial_unmatched_ids)
    item = synthetic_catalog.item(REDIAL_ID_BASE + first_unmatched)
    assert item is not None and item.source == "redial"


def test_movielens_title_forms(synthetic_catalog, synthetic_source):
    _, exp = synthetic_source
    matrix = synthetic_catalog.item(exp.article_moved_ml_id)
    assert matrix is not None and matrix.title == "The Matrix" and matrix.year == 1999
    titles = {r[0] for r in synthetic_catalog.query(
        "SELECT title FROM item_titles WHERE item_id = ?", [exp.alt_title_ml_id])}
    assert "The City of Lost Children" in titles
    assert "La Cité des enfants perdus" in titles
    no_year = synthetic_catalog.item(exp.no_year_ml_id)
    assert no_year is not None and no_year.year is None


def test_duplicates_and_homonyms(synthetic_catalog, synthetic_source):
    _, exp = synthetic_source
    a, b = exp.dup_ml_ids
    owner = dict(synthetic_catalog.query(
        "SELECT source_id, item_id FROM item_sources WHERE source = 'movielens' "
        "AND source_id IN (?, ?)", [str(a), str(b)]))
    assert owner[str(a)] == owner[str(b)]
    h1, h2 = exp.same_title_diff_year_ml_ids
    assert synthetic_catalog.item(h1) is not None and synthetic_catalog.item(h2) is not None
    assert synthetic_catalog.item(h1).year != synthetic_catalog.item(h2).year  # type: ignore[union-attr]


def test_tmdb_merges_by_title_and_original_title(synthetic_catalog, synthetic_source):
    _, exp = synthetic_source
    for tmdb_id, ml_id in (exp.title_year_merge, exp.original_title_merge):
        item = synthetic_catalog.item(ml_id)
        assert item is not None and item.tmdb_id == tmdb_id
        assert synthetic_catalog.item(TMDB_ID_BASE + tmdb_id) is None


def test_redial_films(synthetic_catalog, synthetic_source):
    _, exp = synthetic_source
    owner = {int(r[0]): r[1] for r in synthetic_catalog.query(
        "SELECT redial_movie_id, item_id FROM redial_movies")}
    assert len(owner) == exp.n_redial_movies
    x, y = exp.redial_merged_pair
    assert owner[x] == owner[y]
    for redial_id, (ml_id, tmdb_id) in exp.redial_links.items():
        if ml_id is not None:
            assert owner[redial_id] == ml_id
        elif tmdb_id is not None:
            assert synthetic_catalog.item(owner[redial_id]).tmdb_id == tmdb_id  # type: ignore[union-attr]
    for redial_id in exp.redial_double_space_ids:
        title = synthetic_catalog.item(owner[redial_id]).title  # type: ignore[union-attr]
        assert "  " not in title


def test_tmdb_details(synthetic_catalog, synthetic_source):
    _, exp = synthetic_source
    item = synthetic_catalog.item(TMDB_ID_BASE + exp.empty_date_tmdb_id)
    assert item is not None and item.release_date is None
    sandler = synthetic_catalog.item(exp.sandler_cast_ml_ids[0])
    assert sandler is not None
    assert "Adam Sandler" in {p.name for p in sandler.cast}
    assert sandler.directors
    assert "Comedy" in sandler.genres


def test_malformed_json_cells_are_skipped_and_counted(synthetic_catalog, synthetic_source):
    _, exp = synthetic_source
    skips = synthetic_catalog.meta()["skips"]
    assert "tmdb: malformed genres cell" in skips
    assert "tmdb: malformed keywords cell" in skips
    assert "tmdb credits: malformed cast cell" in skips
    for tmdb_id in exp.malformed_cast_tmdb_ids:
        item_id = synthetic_catalog.query(
            "SELECT item_id FROM items WHERE tmdb_id = ?", [tmdb_id])[0][0]
        item = synthetic_catalog.item(item_id)
        assert item is not None and item.cast == () and item.runtime is not None


def test_counts(synthetic_catalog, synthetic_source):
    _, exp = synthetic_source
    one = lambda sql: synthetic_catalog.query(sql)[0][0]  # noqa: E731
    assert one("SELECT COUNT(*) FROM ratings") == exp.n_ratings
    assert one("SELECT COUNT(*) FROM tags") == exp.n_tags
    assert one("SELECT COUNT(*) FROM reviews") == exp.n_reviews_with_text
    assert one("SELECT COUNT(*) FROM reviews WHERE item_id IS NOT NULL") == exp.n_reviews_linked
    assert one("SELECT COUNT(*) FROM reviews WHERE critic IS NULL") == \
        exp.n_reviews_without_critic
    assert one("SELECT COUNT(*) FROM redial_dialogues WHERE split = 'test'") == \
        exp.n_redial_test_dialogues
    assert one("SELECT COUNT(*) FROM redial_dialogues WHERE split = 'train'") == \
        exp.n_redial_train_dialogues
    assert one("SELECT COUNT(*) FROM redial_messages") == \
        exp.n_redial_test_messages + exp.n_redial_train_messages
    assert one("SELECT COUNT(*) FROM rt_movies") == exp.n_rt_movies


def test_reviews_keep_cp1252_text_and_unlinked_movies(synthetic_catalog, synthetic_source):
    _, exp = synthetic_source
    text = "".join(r[0] for r in synthetic_catalog.query("SELECT text FROM reviews"))
    for ch in exp.non_ascii_review_chars:
        assert ch in text
    assert "\ufffd" not in text
    for rt_id in exp.rt_unlinked_reviewed_ids:
        rows = synthetic_catalog.query(
            "SELECT item_id FROM reviews WHERE rt_movie_id = ?", [rt_id])
        assert rows and all(r[0] is None for r in rows)
    assert synthetic_catalog.meta()["skips"].count("reviews: no text")


def test_redial_questionnaires_and_mentions(synthetic_catalog, synthetic_source):
    _, exp = synthetic_source
    for conv in exp.empty_questions_conversations:
        assert synthetic_catalog.query(
            "SELECT COUNT(*) FROM redial_dialogues WHERE conversation_id = ?", [conv])[0][0] == 1
    orphans = synthetic_catalog.query(
        "SELECT COUNT(*) FROM redial_message_mentions m LEFT JOIN items i USING (item_id) "
        "WHERE i.item_id IS NULL")[0][0]
    assert orphans == 0
    assert synthetic_catalog.query("SELECT COUNT(*) FROM redial_message_mentions")[0][0] > 0


def test_redial_train_dialogues_keep_origin_completeness_and_roles(
    synthetic_catalog, synthetic_source
):
    _, exp = synthetic_source
    query = synthetic_catalog.query
    by_origin = {r[0]: r[1] for r in query(
        "SELECT origin, COUNT(*) FROM redial_dialogues WHERE split = 'train' GROUP BY origin")}
    assert by_origin == exp.redial_train_by_origin
    assert {r[0] for r in query("SELECT origin FROM redial_dialogues WHERE split = 'test'")} \
        == {"test_data.jsonl"}
    prefixes = {r[0] for r in query(
        "SELECT conversation_id FROM redial_dialogues WHERE complete = 0")}
    assert prefixes == set(exp.redial_prefix_conversations)
    # dialogues without conversationId: one row each, under an id no ReDial id can take
    for conv in exp.redial_synthetic_conversations:
        row = query("SELECT split, origin, source_file FROM redial_dialogues "
                    "WHERE conversation_id = ?", [conv])
        assert [tuple(r) for r in row] == [("train", "uss_redial", "train_more_full.jsonl.gz")]
        assert not conv.isdigit()
    assert not query("SELECT 1 FROM redial_dialogues WHERE conversation_id = 'None'")
    for conv, roles in exp.redial_more_roles.items():
        got = query("SELECT role FROM redial_messages WHERE conversation_id = ? "
                    "ORDER BY position", [conv])
        assert tuple(r[0] for r in got) == roles, conv
        n = query("SELECT n_messages FROM redial_dialogues WHERE conversation_id = ?", [conv])
        assert n[0][0] == len(roles)
    for conv, mentions in exp.redial_more_mentions.items():
        got = query("SELECT position, redial_movie_id FROM redial_message_mentions "
                    "WHERE conversation_id = ? ORDER BY rowid", [conv])
        assert tuple(tuple(r) for r in got) == mentions, conv  # text order
    assert "redial: repeated conversationId" not in synthetic_catalog.meta()["skips"]


def test_message_role_prefers_the_role_field():
    assert message_role({"role": "seeker"}, 7, 8, 7) == "seeker"  # over the worker ids
    assert message_role({"role": "Recommender"}, None, None, None) == "recommender"
    assert message_role({"role": None}, 8, 8, 7) == "seeker"
    assert message_role({}, 7, 8, 7) == "recommender"
    assert message_role({"role": "narrator"}, 9, 8, 7) == "unknown"
    assert message_role({"role": None}, None, None, None) == "unknown"  # not None == None


def test_repeated_conversation_id_keeps_the_first(fresh_source, tmp_path):
    root, exp = fresh_source
    kgsf_first = json.loads((root / sd.REDIAL_KGSF).read_text(encoding="utf-8").splitlines()[0])
    copy = {**kgsf_first, "messages": [{"text": "a later copy", "senderWorkerId": None,
                                         "role": "seeker"}], "_source": "vachon_prefix_chrono",
            "_partial": True}
    path = root / sd.REDIAL_MORE_PARTIAL
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())
                                   + json.dumps(copy).encode() + b"\n"))
    report = build_catalog(root, tmp_path / "cat.sqlite")
    assert report.skips["redial: repeated conversationId"] == 1
    query = Catalog(tmp_path / "cat.sqlite").query
    row = query("SELECT origin, complete, n_messages FROM redial_dialogues "
                "WHERE conversation_id = ?", [kgsf_first["conversationId"]])
    assert tuple(row[0]) == ("kgsf_valid_data.jsonl", 1, len(kgsf_first["messages"]))
    train = query("SELECT COUNT(*) FROM redial_dialogues WHERE split = 'train'")
    assert train[0][0] == exp.n_redial_train_dialogues


def test_recomputed_links_give_the_same_items(tmp_path, synthetic_catalog):
    root = tmp_path / "data"
    exp = sd.write_synthetic_dataset(root, include_derived_links=False)
    report = build_catalog(root, tmp_path / "c.sqlite")
    assert report.notes["redial_links"].startswith("computed")
    assert item_members(Catalog(tmp_path / "c.sqlite")) == expected_members(exp)


# ----------------------------------------------------------------------- rebuilds


def test_rebuild_only_when_sources_change(fresh_source, tmp_path):
    root, _ = fresh_source
    dest = tmp_path / "cat.sqlite"
    assert build_catalog(root, dest).built
    assert not build_catalog(root, dest).built
    assert build_catalog(root, dest, force=True).built
    ratings = root / sd.ML_RATINGS
    ratings.write_text(ratings.read_text() + "99,1,4.0,964982703\r\n")
    assert build_catalog(root, dest).built
    assert Catalog(dest).query("SELECT COUNT(*) FROM ratings WHERE user_id = 99")[0][0] == 1


def test_failed_build_keeps_the_old_catalog(fresh_source, tmp_path):
    root, _ = fresh_source
    dest = tmp_path / "out" / "cat.sqlite"
    build_catalog(root, dest)
    before = dest.read_bytes()
    (root / sd.TMDB_MOVIES_ZIP).write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataSourceError, match="cannot read"):
        build_catalog(root, dest, force=True)
    assert dest.read_bytes() == before
    assert os.listdir(dest.parent) == ["cat.sqlite"]


def test_a_catalog_of_another_schema_is_refused(fresh_source, tmp_path):
    root, _ = fresh_source
    dest = tmp_path / "cat.sqlite"
    build_catalog(root, dest)
    with sqlite3.connect(dest) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(CatalogError, match="rebuild"):
        Catalog(dest)
    assert build_catalog(root, dest).built  # a stale catalog is rebuilt, not trusted
    Catalog(dest)


def test_a_catalog_of_the_previous_schema_is_refused_clearly(fresh_source, tmp_path):
    root, _ = fresh_source
    dest = tmp_path / "cat.sqlite"
    build_catalog(root, dest)
    with sqlite3.connect(dest) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    with pytest.raises(CatalogError, match=rf"schema {SCHEMA_VERSION - 1}, this convrec needs "
                       rf"{SCHEMA_VERSION}; rebuild it with `convrec data build --force`"):
        Catalog(dest)


# ----------------------------------------------------------------------- bad input


def test_missing_file_is_named(fresh_source, tmp_path):
    root, _ = fresh_source
    (root / sd.ML_RATINGS).unlink()
    with pytest.raises(DataSourceError, match=r"ratings\.csv"):
        build_catalog(root, tmp_path / "cat.sqlite")
    assert not (tmp_path / "cat.sqlite").exists()


def test_truncated_gzip(fresh_source, tmp_path):
    root, _ = fresh_source
    credits = root / sd.TMDB_CREDITS_GZ
    credits.write_bytes(credits.read_bytes()[: len(credits.read_bytes()) // 2])
    with pytest.raises(DataSourceError, match="tmdb_5000_credits"):
        build_catalog(root, tmp_path / "cat.sqlite")


def test_wrong_file_in_place(fresh_source, tmp_path):
    root, _ = fresh_source
    shutil.copy(root / sd.ML_TAGS, root / sd.ML_MOVIES)
    with pytest.raises(DataSourceError, match="lacks column"):
        build_catalog(root, tmp_path / "cat.sqlite")


def test_reviews_saved_as_utf8_read_the_same(fresh_source, tmp_path, synthetic_catalog):
    root, _ = fresh_source
    path = root / sd.RT_REVIEWS_GZ
    text = gzip.decompress(path.read_bytes()).decode("cp1252")
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    build_catalog(root, tmp_path / "cat.sqlite")
    utf8 = Catalog(tmp_path / "cat.sqlite")
    assert utf8.meta()["notes"].count('"reviews_encoding": "utf-8"')
    sql = "SELECT text FROM reviews ORDER BY review_id"
    assert [r[0] for r in utf8.query(sql)] == [r[0] for r in synthetic_catalog.query(sql)]


def test_undecodable_reviews_are_a_clear_error(fresh_source, tmp_path):
    root, _ = fresh_source
    path = root / sd.RT_REVIEWS_GZ
    # 0x81 is undefined in cp1252 and invalid as UTF-8 here.
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()) + b"\x81\xff\n"))
    with pytest.raises(DataSourceError, match="cannot decode"):
        build_catalog(root, tmp_path / "cat.sqlite")


def test_broken_dialogue_line_is_skipped(fresh_source, tmp_path):
    root, exp = fresh_source
    path = root / sd.REDIAL_TEST
    path.write_text(path.read_text(encoding="utf-8") + '\n{"conversationId": "1", "messa\n',
                    encoding="utf-8")
    report = build_catalog(root, tmp_path / "cat.sqlite")
    assert report.skips["redial: malformed dialogue line"] == 1
    assert Catalog(tmp_path / "cat.sqlite").query(
        "SELECT COUNT(*) FROM redial_dialogues WHERE split = 'test'")[0][0] == \
        exp.n_redial_test_dialogues


def test_build_leaves_no_temporary_files_when_interrupted(fresh_source, tmp_path, monkeypatch):
    root, _ = fresh_source
    from convrec.catalog import builder

    def boom(*_: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(builder, "_insert_reviews_and_dialogues", boom)
    with pytest.raises(CatalogError, match="could not write"):
        build_catalog(root, tmp_path / "out" / "cat.sqlite")
    assert os.listdir(tmp_path / "out") == []


# ----------------------------------------------------------------------- read access


def test_items_keep_order_and_drop_unknown_ids(synthetic_catalog, synthetic_source):
    _, exp = synthetic_source
    a, b = exp.article_moved_ml_id, exp.alt_title_ml_id
    assert [i.item_id for i in synthetic_catalog.items([b, 999_999_999, a])] == [b, a]
    assert synthetic_catalog.exists([a, 999_999_999]) == {a}


def test_string_arguments_are_bound_not_spliced(synthetic_catalog):
    before = synthetic_catalog.query("SELECT COUNT(*) FROM reviews")[0][0]
    assert synthetic_catalog.reviews(critic="x' OR '1'='1") == []
    assert synthetic_catalog.reviews(critic="'; DROP TABLE reviews; --") == []
    assert synthetic_catalog.query("SELECT COUNT(*) FROM reviews")[0][0] == before


def test_reviews_by_critic_are_typed(synthetic_catalog):
    critic = synthetic_catalog.query(
        "SELECT critic FROM reviews WHERE critic IS NOT NULL AND score IS NOT NULL LIMIT 1")[0][0]
    reviews = synthetic_catalog.reviews(critic=critic)
    assert reviews and all(r.critic == critic for r in reviews)
    assert any(r.score is not None and 0 <= r.score <= 1 for r in reviews)
    with pytest.raises(CatalogError):
        synthetic_catalog.reviews()
