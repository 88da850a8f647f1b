"""The whole recommendation step on the real catalog and real indexes."""

from __future__ import annotations

import pytest

from convrec.tools.context import ToolContext
from convrec.tools.filters import FilterArgs
from convrec.tools.pipeline import RecommendRequest, recommend

pytestmark = [pytest.mark.integration, pytest.mark.timeout(3600)]


def test_comedy_from_the_90s_without_adam_sandler(real_resources):
    catalog = real_resources.catalog
    request = RecommendRequest(
        constraints=FilterArgs(genres_any=["Comedy"], decade=1990,
                               people_exclude=[{"name": "Adam Sandler"}]),
        query="something funny", k=5,
    )
    result = recommend(request, ToolContext(real_resources))
    assert len(result.items) == 5
    sandler = {r[0] for r in catalog.query(
        "SELECT c.item_id FROM credits c JOIN people p USING (person_id) "
        "WHERE p.name = 'Adam Sandler'")}
    for scored in result.items:
        item = catalog.item(scored.item_id)
        assert item is not None and "Comedy" in item.genres
        assert item.year is not None and 1990 <= item.year <= 1999
        assert scored.item_id not in sandler
    assert result.trace[0].startswith("filter: 13,507 ->")


def test_known_user_gets_every_ranking_and_nothing_repeats(real_resources):
    ctx = ToolContext(real_resources, user_id="ml:414")
    first = recommend(RecommendRequest(query="war drama", k=5), ctx)
    fused = next(t for t in first.trace if t.startswith("fuse"))
    for tool in ("search_bm25", "search_dense", "user_profile", "rank_cf"):
        assert tool in fused
    rated = {r[0] for r in real_resources.catalog.query(
        "SELECT item_id FROM ratings WHERE user_id = 414")}
    shown = [s.item_id for s in first.items]
    assert not rated & set(shown)  # CF and profile never recommend what they rated
    second = recommend(RecommendRequest(query="war drama", k=5, exclude_ids=shown), ctx)
    assert second.items and not set(shown) & {s.item_id for s in second.items}


def test_like_the_matrix(real_resources):
    catalog = real_resources.catalog
    matrix = catalog.query("SELECT item_id FROM items WHERE title = 'The Matrix'")[0][0]
    result = recommend(RecommendRequest(like_ids=[matrix], k=5), ToolContext(real_resources))
    assert matrix not in {s.item_id for s in result.items}
    genres = [set(catalog.item(s.item_id).genres) for s in result.items]
    assert sum("Science Fiction" in g or "Action" in g for g in genres) >= 3


def test_a_profile_entry_flipped_to_dislike_pushes_its_films_last(real_resources):
    from convrec.tools.profiles.tool import load_profiles

    ctx = ToolContext(real_resources, user_id="ml:608")
    store = load_profiles(ctx)
    store.restore_entry("ml:608", "genre:Crime")
    try:
        before = recommend(RecommendRequest(k=5), ctx)
        genres = [real_resources.catalog.item(s.item_id).genres for s in before.items]
        assert any("Crime" in g for g in genres)
        store.flip_entry("ml:608", "genre:Crime")
        after = recommend(RecommendRequest(k=5, pool=100), ctx)
        assert any(t.startswith("profile edits:") for t in after.trace)
        assert not any("Crime" in real_resources.catalog.item(s.item_id).genres
                       for s in after.items)
    finally:
        store.restore_entry("ml:608", "genre:Crime")


def test_the_learned_ranker_cites_the_conversations(real_resources):
    """Films suggested after Alien in the training dialogues come first, and say so."""
    catalog = real_resources.catalog
    alien = catalog.query("SELECT item_id FROM items WHERE title = 'Alien' AND year = 1979")[0][0]
    result = recommend(RecommendRequest(like_ids=[alien], k=5), ToolContext(real_resources))
    assert any(t.startswith("ranker (learned") for t in result.trace)
    assert alien not in {s.item_id for s in result.items}
    cited = [s for s in result.items
             if s.evidence and s.evidence[0] == "suggested in conversations about Alien (1979)"]
    assert len(cited) >= 3
