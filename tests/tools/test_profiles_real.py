"""User profiles built from the real catalog (integration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from convrec.catalog.db import Catalog
from convrec.tools.profiles import (
    ItemKeys,
    ProfileStore,
    build_profiles,
    profiles_path,
)
from convrec.tools.profiles.tool import ProfileArgs, user_profile
from tests.tools.profile_cases import latest_ratings, profile_ctx


@pytest.fixture(scope="module")
def real_profiles(real_catalog: Catalog, tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("real-profiles")
    return folder, build_profiles(real_catalog, folder)


@pytest.mark.integration
def test_real_build_covers_every_rater_and_critic(real_catalog, real_profiles):
    folder, report = real_profiles
    n_raters = real_catalog.query("SELECT count(DISTINCT user_id) FROM ratings")[0][0]
    n_critics = real_catalog.query(
        "SELECT count(*) FROM (SELECT critic FROM reviews WHERE critic IS NOT NULL "
        "AND text <> '' GROUP BY critic HAVING count(*) >= 5)")[0][0]
    assert report["built"] and report["users"] == n_raters + n_critics
    assert report["entries"] > 10 * report["users"] // 2
    store = ProfileStore(profiles_path(folder))
    try:
        assert len(store.users("ml")) == n_raters
        # critics whose reviews are not linked to any catalog film still get entries
        unlinked = [u for u in store.users("critic")
                    if (i := store.user_info(u)) and i.n_linked == 0 and i.n_entries > 0]
        assert unlinked
        assert all(p.item_id is None
                   for e in store.list_entries(unlinked[0]) for p in e.provenance)
    finally:
        store.close()
    assert build_profiles(real_catalog, folder)["built"] is False


@pytest.mark.integration
def test_real_prolific_rater(real_catalog, real_profiles):
    folder, _ = real_profiles
    user = real_catalog.query(
        "SELECT user_id FROM ratings GROUP BY user_id ORDER BY count(*) DESC LIMIT 1")[0][0]
    store = ProfileStore(profiles_path(folder))
    keys = ItemKeys.load(real_catalog)
    try:
        entries = store.list_entries(f"ml:{user}")
    finally:
        store.close()
    assert len(entries) >= 15
    assert {"genre", "person", "keyword", "era"} <= {e.kind for e in entries}
    assert {"like", "dislike"} == {e.polarity for e in entries}
    ratings = latest_ratings(real_catalog, user)
    for entry in entries:
        assert 0 < entry.confidence < 1 and entry.support >= 1 and entry.provenance
        for p in entry.provenance:
            assert p.item_id is not None and p.rating is not None and entry.baseline is not None
            assert ratings[p.item_id] == p.rating
            assert entry.key in keys.by_item[p.item_id] or p.tag
            # a like is backed by films rated above the user's mean, a dislike below
            assert (p.rating - entry.baseline) * entry.sign > 0
    people = [e for e in entries if e.kind == "person"]
    for entry in people:
        name = real_catalog.query("SELECT name FROM people WHERE person_id = ?",
                                  [entry.person_id])[0][0]
        assert name == entry.value

    ctx = profile_ctx(real_catalog, folder, f"ml:{user}")
    out = user_profile(ProfileArgs(k=10), ctx)
    assert len(out.items) == 10 and not set(out.ids()) & set(ratings)
    assert all(s.evidence for s in out.items)


@pytest.mark.integration
def test_real_prolific_critic(real_catalog, real_profiles):
    folder, _ = real_profiles
    store = ProfileStore(profiles_path(folder))
    try:
        entries = store.list_entries("critic:Dennis Schwartz")
    finally:
        store.close()
    assert len(entries) >= 10
    assert {"genre", "person", "keyword"} <= {e.kind for e in entries}
    reviews = {r["review_id"]: r for r in real_catalog.query(
        "SELECT review_id, item_id, text, score, fresh FROM reviews "
        "WHERE critic = 'Dennis Schwartz'")}
    quoted = 0
    for entry in entries:
        for p in entry.provenance:
            review = reviews[p.review_id]
            assert p.sentence and p.sentence in review["text"]
            assert p.item_id == review["item_id"] and p.rating == review["score"]
            assert p.rating is not None and entry.baseline is not None  # he grades every review
            assert (p.rating - entry.baseline) * entry.sign > 0
            if p.mentions and entry.kind in {"genre", "keyword"}:
                words = entry.value.lower().split()
                assert entry.kind == "genre" or all(w in p.sentence.lower() for w in words)
                quoted += 1
    assert quoted >= 5

    ctx = profile_ctx(real_catalog, folder, "critic:Dennis Schwartz")
    out = user_profile(ProfileArgs(k=5), ctx)
    assert len(out.items) == 5
    assert any("you called" in line for s in out.items for line in s.evidence)
