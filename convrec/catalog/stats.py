"""The catalog's figures: what `convrec data stats` prints."""

from __future__ import annotations

import json
from typing import Any

from convrec.catalog.db import Catalog
from convrec.catalog.ingest import SKIP_REVIEW_NO_TEXT
from convrec.catalog.ingest_redial import SKIP_REPEATED_CONVERSATION, SKIP_UNRESOLVED_MENTION


def catalog_stats(catalog: Catalog) -> dict[str, Any]:
    def one(sql: str) -> Any:
        return catalog.query(sql)[0][0]

    meta = catalog.meta()
    def counts(sql: str) -> dict[str, int]:
        return {row[0]: row[1] for row in catalog.query(sql)}

    by_source = counts("SELECT source, COUNT(*) FROM items GROUP BY source")
    splits = counts("SELECT split, COUNT(*) FROM redial_dialogues GROUP BY split")
    train_origins = counts(
        "SELECT origin, COUNT(*) FROM redial_dialogues WHERE split = 'train' "
        "GROUP BY origin ORDER BY origin")
    skips = json.loads(meta.get("skips", "{}"))
    return {
        "catalog": str(catalog.path),
        "schema_version": int(meta["schema_version"]),
        "built_at": meta.get("built_at"),
        "build_seconds": float(meta.get("build_seconds", "nan")),
        "source_dir": meta.get("source_dir"),
        "items": {
            "total": one("SELECT COUNT(*) FROM items"),
            "from_movielens": by_source.get("movielens", 0),
            "tmdb_only": by_source.get("tmdb", 0),
            "redial_only": by_source.get("redial", 0),
            "with_tmdb_fields": one("SELECT COUNT(*) FROM items WHERE has_tmdb = 1"),
            "movielens_ids": one("SELECT COUNT(*) FROM item_sources WHERE source = 'movielens'"),
            "tmdb_5000_films": one("SELECT COUNT(DISTINCT tmdb_id) FROM items WHERE has_tmdb = 1"),
            "redial_ids": one("SELECT COUNT(*) FROM redial_movies"),
            "merges": json.loads(meta.get("merges", "{}")),
        },
        "genres": one("SELECT COUNT(*) FROM genres"),
        "people": one("SELECT COUNT(*) FROM people"),
        "credits": counts("SELECT role, COUNT(*) FROM credits GROUP BY role"),
        "keywords": one("SELECT COUNT(*) FROM keywords"),
        "companies": {
            "companies": one("SELECT COUNT(*) FROM companies"),
            "films_with_companies": one("SELECT COUNT(DISTINCT item_id) FROM item_companies"),
        },
        "ratings": one("SELECT COUNT(*) FROM ratings"),
        "raters": one("SELECT COUNT(DISTINCT user_id) FROM ratings"),
        "tags": one("SELECT COUNT(*) FROM tags"),
        "reviews": {
            "with_text": one("SELECT COUNT(*) FROM reviews"),
            "with_author": one("SELECT COUNT(*) FROM reviews WHERE critic IS NOT NULL"),
            "linked_to_item": one("SELECT COUNT(*) FROM reviews WHERE item_id IS NOT NULL"),
            "critics": one("SELECT COUNT(DISTINCT critic) FROM reviews"),
            "rt_movies": one("SELECT COUNT(*) FROM rt_movies"),
            "rt_movies_linked": one("SELECT COUNT(*) FROM rt_movies WHERE item_id IS NOT NULL"),
            "skipped_without_text": skips.get(SKIP_REVIEW_NO_TEXT, 0),
        },
        "redial": {
            "dialogues": {"test": splits.get("test", 0), "train": splits.get("train", 0)},
            "train_by_origin": train_origins,
            "prefix_only_dialogues": one(
                "SELECT COUNT(*) FROM redial_dialogues WHERE complete = 0"),
            "repeated_skipped": skips.get(SKIP_REPEATED_CONVERSATION, 0),
            "messages": one("SELECT COUNT(*) FROM redial_messages"),
            "mentions_in_text": one("SELECT COUNT(*) FROM redial_message_mentions"),
            "mentions_unresolved": skips.get(SKIP_UNRESOLVED_MENTION, 0),
            "dialogue_films": one("SELECT COUNT(*) FROM redial_mentions"),
        },
        "skipped": skips,
        "notes": json.loads(meta.get("notes", "{}")),
    }
