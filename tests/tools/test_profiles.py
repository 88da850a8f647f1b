"""User profiles: extraction, the store and its edits, and the user_profile tool (on the
synthetic catalog; the real one: test_profiles_real.py)."""

from __future__ import annotations

import statistics
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from convrec.catalog.db import Catalog
from convrec.tools.base import ToolArgumentError
from convrec.tools.profiles import (
    ENTRY_KINDS,
    ItemKeys,
    ProfileEntry,
    ProfileStore,
    build_profiles,
    confidence,
    profiles_path,
)
from convrec.tools.profiles.tool import ProfileArgs, profile_summary, user_profile
from tests.tools.profile_cases import latest_ratings, profile_ctx

# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def index_dir(synthetic_catalog: Catalog, tmp_path: Path) -> Path:
    """Profiles of the synthetic catalog, built afresh for every test (they take ~0.1 s)."""
    folder = tmp_path / "index"
    report = build_profiles(synthetic_catalog, folder)
    assert report["built"] is True
    return folder


@pytest.fixture
def store(index_dir: Path) -> Iterator[ProfileStore]:
    s = ProfileStore(profiles_path(index_dir))
    yield s
    s.close()


def _entry(store: ProfileStore, user: str, key: str) -> ProfileEntry:
    found = [e for e in store.list_entries(user, include_deleted=True) if e.key == key]
    assert found, f"{user} has no entry {key}: {[e.key for e in store.list_entries(user)]}"
    return found[0]


def _genre_items(catalog: Catalog, genre: str) -> set[int]:
    return {r[0] for r in catalog.query(
        "SELECT item_id FROM item_genres JOIN genres USING (genre_id) WHERE name = ?", [genre])}


# ----------------------------------------------------------------------------- extraction


def test_rater_who_rates_comedies_high_gets_a_liked_comedy_entry(synthetic_catalog, store):
    # user 1's synthetic taste is Comedy + Romance
    ratings = latest_ratings(synthetic_catalog, 1)
    comedies = _genre_items(synthetic_catalog, "Comedy")
    mean_all = statistics.fmean(ratings.values())
    comedy = [r for i, r in ratings.items() if i in comedies]
    assert statistics.fmean(comedy) > mean_all

    entry = _entry(store, "ml:1", "genre:Comedy")
    assert (entry.kind, entry.value, entry.polarity) == ("genre", "Comedy", "like")
    assert entry.support == len(comedy)
    assert entry.mean == pytest.approx(statistics.fmean(comedy), abs=1e-3)
    assert entry.baseline == pytest.approx(mean_all, abs=1e-3)
    assert 0 < len(entry.provenance) <= 3
    for p in entry.provenance:
        # each supporting row is one of the user's actual ratings, of a comedy, above their mean
        assert p.item_id in comedies
        assert synthetic_catalog.query(
            "SELECT 1 FROM ratings WHERE user_id = 1 AND item_id = ? AND rating = ?",
            [p.item_id, p.rating])
        assert p.rating == ratings[p.item_id] and p.rating > mean_all
        assert p.review_id is None and p.sentence is None
    # the best-rated comedies come first
    given = [p.rating or 0.0 for p in entry.provenance]
    assert given == sorted(given, reverse=True)
    assert entry.provenance[0].rating == max(comedy)


def test_sandler_hater_dislikes_adam_sandler(synthetic_catalog, store):
    entries = {e.value: e for e in store.list_entries("ml:3") if e.kind == "person"}
    sandler = entries["Adam Sandler"]
    assert sandler.polarity == "dislike" and sandler.person_id is not None
    sandler_items = {r[0] for r in synthetic_catalog.query(
        "SELECT item_id FROM credits WHERE person_id = ?", [sandler.person_id])}
    ratings = latest_ratings(synthetic_catalog, 3)
    for p in sandler.provenance:
        assert p.item_id in sandler_items and ratings[p.item_id] == p.rating
        assert p.rating < statistics.fmean(ratings.values())


def test_own_tags_are_themes_with_the_tag_as_provenance(synthetic_catalog, store):
    tagged = [(e, p) for user in store.users("ml") for e in store.list_entries(user)
              for p in e.provenance if p.tag]
    assert tagged, "no entry came from a rater's own tags"
    for entry, p in tagged:
        assert entry.kind == "keyword" and entry.value == p.tag.lower()
        user = int(entry.user_id.split(":")[1])
        assert synthetic_catalog.query(
            "SELECT 1 FROM tags WHERE user_id = ? AND item_id = ? AND tag = ?",
            [user, p.item_id, p.tag])


def test_critic_provenance_sentences_come_from_their_own_reviews(synthetic_catalog, store):
    critics = store.users("critic")
    assert critics
    checked = 0
    for user in critics:
        name = user.split(":", 1)[1]
        for entry in store.list_entries(user):
            assert entry.scale == "score" and entry.fresh_count is not None
            for p in entry.provenance:
                row = synthetic_catalog.query(
                    "SELECT critic, item_id, text, score, fresh FROM reviews WHERE review_id = ?",
                    [p.review_id])[0]
                assert row["critic"] == name
                assert p.sentence and p.sentence in row["text"]
                assert p.item_id == row["item_id"] and p.rating == row["score"]
                assert p.fresh == bool(row["fresh"])
                if p.rating is not None and entry.baseline is not None:
                    # a like is backed by reviews scored above the critic's mean, a dislike below
                    assert (p.rating - entry.baseline) * entry.sign > 0
                checked += 1
    assert checked


def test_critic_entries_use_unlinked_reviews_and_quote_mentions(synthetic_catalog, store):
    all_prov = [(e, p) for user in store.users("critic") for e in store.list_entries(user)
                for p in e.provenance]
    unlinked = [p for _, p in all_prov if p.item_id is None]
    assert unlinked, "reviews of films not in the catalog should still count"
    for p in unlinked:
        assert synthetic_catalog.query(
            "SELECT 1 FROM reviews WHERE review_id = ? AND item_id IS NULL", [p.review_id])
    mentions = [(e, p) for e, p in all_prov if p.mentions]
    assert mentions
    for entry, p in mentions:
        if entry.kind == "runtime":
            assert "running time" in p.sentence or "overlong" in p.sentence


def test_confidence_is_in_unit_interval_and_shrinks_sparse_evidence(store):
    entries = [e for user in store.users() for e in store.list_entries(user)]
    assert entries
    assert all(0.0 <= e.confidence <= 1.0 for e in entries)
    assert {e.kind for e in entries} <= set(ENTRY_KINDS)
    assert confidence(0.0, 50, 500) == 0.0
    assert 0.0 < confidence(50.0, 10**6, 10**6) <= 1.0
    assert confidence(1.0, 2, 100) < confidence(1.0, 20, 100)  # fewer films, less sure
    assert confidence(1.0, 5, 5) < confidence(1.0, 5, 500)  # sparse user, less sure
    assert confidence(0.3, 10, 100) < confidence(1.5, 10, 100)  # weaker effect, less sure


# ----------------------------------------------------------------------------- the tool


def test_score_is_the_sum_of_matching_entries(synthetic_catalog, index_dir, store):
    ctx = profile_ctx(synthetic_catalog, index_dir, "ml:1")
    entries = store.list_entries("ml:1")
    keys = ItemKeys.load(synthetic_catalog)
    candidates = sorted(keys.by_item)[:25]
    out = user_profile(ProfileArgs(), ctx, candidates=[*candidates, 987654321])
    assert out.tool == "user_profile"
    assert sorted(out.ids()) == candidates
    assert any("not catalog items" in n for n in out.notes)
    for scored in out.items:
        expected = sum(e.weight for e in entries if e.key in keys.by_item[scored.item_id])
        assert scored.score == pytest.approx(expected, abs=1e-3)
    assert [s.score for s in out.items] == sorted((s.score for s in out.items), reverse=True)
    assert len(user_profile(ProfileArgs(k=3), ctx, candidates=candidates).items) == 3


def test_evidence_names_entries_and_provenance(synthetic_catalog, index_dir, store):
    ctx = profile_ctx(synthetic_catalog, index_dir, "ml:1")
    comedy = _entry(store, "ml:1", "genre:Comedy")
    target = sorted(_genre_items(synthetic_catalog, "Comedy"))
    out = user_profile(ProfileArgs(kinds=["genre"]), ctx, candidates=target)
    lines = [line for s in out.items for line in s.evidence]
    first_title = str(comedy.provenance[0].label).rsplit(" (", 1)[0]
    assert any("Comedy films" in line and first_title in line for line in lines)


def test_without_candidates_lists_entries_and_unseen_films(synthetic_catalog, index_dir):
    ctx = profile_ctx(synthetic_catalog, index_dir, "ml:1")
    out = user_profile(ProfileArgs(k=5), ctx)
    assert any("Comedy films" in n for n in out.notes)
    assert 0 < len(out.items) <= 5
    rated = set(latest_ratings(synthetic_catalog, 1))
    assert not rated & set(out.ids())
    assert all(s.score > 0 and s.evidence for s in out.items)


def test_kinds_restrict_the_entries_used(synthetic_catalog, index_dir, store):
    ctx = profile_ctx(synthetic_catalog, index_dir, "ml:1")
    keys = ItemKeys.load(synthetic_catalog)
    genre_entries = [e for e in store.list_entries("ml:1") if e.kind == "genre"]
    candidates = sorted(keys.by_item)
    out = user_profile(ProfileArgs(kinds=["genre"]), ctx, candidates=candidates)
    for scored in out.items:
        expected = sum(e.weight for e in genre_entries if e.key in keys.by_item[scored.item_id])
        assert scored.score == pytest.approx(expected, abs=1e-3)
    bad: list[dict[str, Any]] = [{"kinds": ["mood"]}, {"user_id": "ml:1"}]  # the user comes
    for fields in bad:  # from the session, never from an argument
        with pytest.raises(ValueError):
            ProfileArgs(**fields)


def test_delete_and_flip_are_honoured_by_the_very_next_call(synthetic_catalog, index_dir, store):
    ctx = profile_ctx(synthetic_catalog, index_dir, "ml:1")
    comedy = _entry(store, "ml:1", "genre:Comedy")
    films = sorted(_genre_items(synthetic_catalog, "Comedy"))[:6]

    def scores() -> dict[int, float]:
        return {s.item_id: s.score for s in user_profile(ProfileArgs(), ctx,
                                                         candidates=films).items}

    before = scores()
    assert user_profile(ProfileArgs(), ctx, candidates=films).items  # warm any caches

    deleted = store.delete_entry("ml:1", "genre:Comedy")
    assert deleted.deleted
    after_delete = scores()
    for item_id in films:
        assert after_delete[item_id] == pytest.approx(before[item_id] - comedy.weight, abs=1e-3)
    assert "genre:Comedy" not in {e.key for e in profile_summary(ctx)}

    store.restore_entry("ml:1", "genre:Comedy")
    flipped = store.flip_entry("ml:1", "genre:Comedy")
    assert flipped.polarity == "dislike" and flipped.flipped
    after_flip = scores()
    for item_id in films:
        assert after_flip[item_id] == pytest.approx(
            before[item_id] - 2 * comedy.weight, abs=1e-3)
    summary = {e.key: e for e in profile_summary(ctx)}
    assert summary["genre:Comedy"].polarity == "dislike"
    out = user_profile(ProfileArgs(), ctx, candidates=films)
    assert any("you told us you dislike Comedy films" in line
               for s in out.items for line in s.evidence)

    back = store.flip_entry("ml:1", "genre:Comedy")  # flipping twice is the original again
    assert back.polarity == "like" and not back.flipped
    assert store.edits("ml:1") == {}
    assert scores() == before


def test_edits_survive_a_forced_rebuild(synthetic_catalog, index_dir, store):
    entries = store.list_entries("ml:2")
    flip_key, delete_key = entries[0].key, entries[1].key
    store.flip_entry("ml:2", flip_key)
    store.delete_entry("ml:2", delete_key)
    edits = store.edits("ml:2")

    assert build_profiles(synthetic_catalog, index_dir)["built"] is False  # current: skipped
    calls: list[tuple[str, int, int | None]] = []
    report = build_profiles(synthetic_catalog, index_dir, force=True,
                            progress=lambda *call: calls.append(call))
    assert report["built"] is True and report["users"] > 0
    assert ("MovieLens raters", 15, 15) in calls and any(c[0] == "critics" for c in calls)

    assert store.edits("ml:2") == edits
    after = {e.key: e for e in store.list_entries("ml:2", include_deleted=True)}
    assert after[flip_key].flipped and after[flip_key].polarity != entries[0].polarity
    assert after[delete_key].deleted
    assert delete_key not in {e.key for e in store.list_entries("ml:2")}
    fresh = ProfileStore(profiles_path(index_dir))  # a new process sees the same
    try:
        assert {e.key for e in fresh.list_entries("ml:2")} == {
            e.key for e in store.list_entries("ml:2")}
    finally:
        fresh.close()


def test_concurrent_edits_from_two_threads(index_dir, store):
    """One thread shares the store object, the other has its own (as another process would)."""
    plans = {"ml:4": store.list_entries("ml:4")[:6], "ml:5": store.list_entries("ml:5")[:6]}
    other = ProfileStore(profiles_path(index_dir))
    stores = {"ml:4": store, "ml:5": other}
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(user: str) -> None:
        store = stores[user]
        try:
            barrier.wait()
            for _ in range(5):
                for i, entry in enumerate(plans[user]):
                    if i % 2:
                        store.flip_entry(user, entry.key)
                    else:
                        store.delete_entry(user, entry.key)
                        store.restore_entry(user, entry.key)
                    store.list_entries(user)
            for entry in plans[user][:2]:
                store.delete_entry(user, entry.key)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(user,)) for user in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    other.close()
    assert not errors, errors
    for user, planned in plans.items():
        now = {e.key: e for e in store.list_entries(user, include_deleted=True)}
        for i, entry in enumerate(planned):
            if i < 2:
                assert now[entry.key].deleted
            elif i % 2:  # flipped five times: opposite of the extracted polarity
                assert now[entry.key].flipped and now[entry.key].polarity != entry.polarity
            else:
                assert not now[entry.key].deleted and not now[entry.key].flipped


def test_user_without_profile_gets_neutral_scores(synthetic_catalog, index_dir, store):
    candidates = [1, 2, 6]
    anon = profile_ctx(synthetic_catalog, index_dir, None)
    out = user_profile(ProfileArgs(), anon, candidates=candidates)
    assert [s.score for s in out.items] == [0.0, 0.0, 0.0] and out.notes
    assert user_profile(ProfileArgs(), anon).items == [] and profile_summary(anon) == []

    empty = [u for u in store.users() if store.user_info(u).n_entries == 0]
    assert empty, "the synthetic critics include some without clear likes"
    ctx = profile_ctx(synthetic_catalog, index_dir, empty[0])
    out = user_profile(ProfileArgs(), ctx, candidates=candidates)
    assert {s.score for s in out.items} == {0.0} and out.notes
    assert user_profile(ProfileArgs(), ctx).items == []


@pytest.mark.parametrize("user", ["bob", "ml:abc", "critic:", "imdb:12", "ml:", ""])
def test_malformed_user_ids_are_argument_errors(synthetic_catalog, index_dir, store, user):
    with pytest.raises(ToolArgumentError):
        user_profile(ProfileArgs(), profile_ctx(synthetic_catalog, index_dir, user))
    with pytest.raises(ToolArgumentError):
        store.list_entries(user)
    with pytest.raises(ToolArgumentError):
        store.flip_entry(user, "genre:Comedy")


def test_unknown_users_and_entries_are_argument_errors(synthetic_catalog, index_dir, store):
    with pytest.raises(ToolArgumentError, match="unknown user"):
        user_profile(ProfileArgs(), profile_ctx(synthetic_catalog, index_dir, "ml:99999"))
    with pytest.raises(ToolArgumentError) as err:
        user_profile(ProfileArgs(),
                     profile_ctx(synthetic_catalog, index_dir, "critic:Roger Ebbert"))
    assert "critic:Roger Ebert" in err.value.suggestions["user_id"]
    with pytest.raises(ToolArgumentError) as err:
        store.delete_entry("ml:1", "genre:Comdy")
    assert "genre:Comedy" in err.value.suggestions["entry_key"]
    assert store.edits("ml:1") == {}  # state left intact
    store.delete_entry("ml:1", "genre:Comedy")
    with pytest.raises(ToolArgumentError, match="deleted"):
        store.flip_entry("ml:1", "genre:Comedy")


def test_user_ids_are_canonical(store):
    assert [e.key for e in store.list_entries("ml:007")] == [
        e.key for e in store.list_entries("ml:7")]
    assert store.user_info(" critic:Roger Ebert ".strip()) is not None


def test_tool_builds_missing_profiles_on_first_use(synthetic_catalog, tmp_path):
    ctx = profile_ctx(synthetic_catalog, tmp_path / "fresh-index", "ml:1")
    assert not profiles_path(tmp_path / "fresh-index").exists()
    assert profile_summary(ctx)
    assert profiles_path(tmp_path / "fresh-index").is_file()
