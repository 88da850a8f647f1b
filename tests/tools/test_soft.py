"""Soft preferences: a leaning moves films up or down and never removes one (real catalog)."""

from __future__ import annotations

import pytest

from convrec.tools.context import ToolContext
from convrec.tools.filters import FilterArgs, filter_items
from convrec.tools.pipeline import RecommendRequest, recommend
from convrec.tools.soft import SoftPreference, matches, soft_preferences

pytestmark = pytest.mark.integration


def _genres(catalog, item_id):
    item = catalog.item(item_id)
    return set(item.genres) if item else set()


def test_leanings_reorder_the_pool_and_keep_every_film(real_resources):
    ctx = ToolContext(real_resources)
    pool = filter_items(FilterArgs(decade=1990, min_votes=500), ctx).ids()[:300]
    prefs = [SoftPreference(kind="genre", value="Horror", polarity=-1, weight=0.8),
             SoftPreference(kind="genre", value="Comedy", polarity=1, weight=0.5)]
    out = soft_preferences(prefs, ctx, candidates=pool)
    ranked = [s.item_id for s in sorted(out.items, key=lambda s: -s.score)]
    assert sorted(ranked) == sorted(pool)  # nothing removed
    top, bottom = ranked[:20], ranked[-20:]
    catalog = real_resources.catalog
    assert all("Comedy" in _genres(catalog, i) for i in top)
    assert all("Horror" in _genres(catalog, i) for i in bottom)
    assert "soft preferences" in out.trace and "down" in out.trace
    scored = {s.item_id: s for s in out.items}
    assert any("leaning to Comedy" in e for e in scored[top[0]].evidence)


def test_a_leaning_matches_what_the_hard_filter_would_keep(real_resources):
    ctx = ToolContext(real_resources)
    pref = SoftPreference(kind="era", value="1990-1999", low=1990, high=1999)
    pool = filter_items(FilterArgs(genres_any=["Crime"], min_votes=1000), ctx).ids()[:200]
    found = matches([pref], pool, ctx)
    for item_id, hits in found.items():
        year = real_resources.catalog.item(item_id).year
        assert bool(hits) == (year is not None and 1990 <= year <= 1999)


def test_the_pipeline_scores_leanings_without_filtering(real_resources):
    ctx = ToolContext(real_resources)
    plain = recommend(RecommendRequest(query="space adventure", k=10), ctx)
    assert any(t.startswith("ranker (learned") for t in plain.trace)
    leaning = recommend(RecommendRequest(
        query="space adventure", k=10,
        soft=[SoftPreference(kind="genre", value="Animation", polarity=1, weight=1.0)]), ctx)
    assert any(t.startswith("soft preferences") for t in leaning.trace)
    assert any("leanings moved" in t for t in leaning.trace)
    catalog = real_resources.catalog
    animated = sum("Animation" in _genres(catalog, s.item_id) for s in leaning.items)
    assert animated > sum("Animation" in _genres(catalog, s.item_id) for s in plain.items)
    assert animated < len(leaning.items)  # a leaning, not a filter
