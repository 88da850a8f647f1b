"""The whole recommendation step on the synthetic catalog, every index built for real."""

from __future__ import annotations

import pytest

from convrec.tools.context import Resources, ToolContext
from convrec.tools.filters import FilterArgs
from convrec.tools.index_build import build_indexes
from convrec.tools.pipeline import RecommendRequest, history_ids, recommend


@pytest.fixture(scope="module")
def resources(synthetic_catalog, tmp_path_factory) -> Resources:
    index_dir = tmp_path_factory.mktemp("pipeline-index")
    results = build_indexes(synthetic_catalog, index_dir)
    assert set(results) == {"bm25", "dense", "cf", "profiles", "ranker"}
    again = build_indexes(synthetic_catalog, index_dir)
    assert all(not r.get("built", False) for r in again.values())  # idempotent
    return Resources(synthetic_catalog, index_dir)


def year_genres_people(catalog, item_id):
    item = catalog.item(item_id)
    people = {r[0] for r in catalog.query(
        "SELECT p.name FROM credits c JOIN people p USING (person_id) WHERE c.item_id = ?",
        [item_id])}
    return item.year, set(item.genres), people


def test_constraints_hold_for_every_film_shown(resources, synthetic_source):
    ctx = ToolContext(resources)
    request = RecommendRequest(
        constraints=FilterArgs(genres_any=["Comedy"], decade=1990,
                               people_exclude=[{"name": "Adam Sandler", "role": "actor"}]),
        query="funny", k=3,
    )
    result = recommend(request, ctx)
    assert result.items
    for scored in result.items:
        year, genres, people = year_genres_people(resources.catalog, scored.item_id)
        assert 1990 <= year <= 1999 and "Comedy" in genres and "Adam Sandler" not in people
    assert result.trace[0].startswith("filter:")
    assert any(t.startswith("verify:") for t in result.trace)
    assert set(result.timings_ms) >= {"filter", "bm25", "dense", "fuse", "verify"}


def test_excluded_films_never_come_back(resources):
    ctx = ToolContext(resources)
    first = recommend(RecommendRequest(query="space adventure", k=3), ctx)
    shown = [s.item_id for s in first.items]
    second = recommend(RecommendRequest(query="space adventure", k=3, exclude_ids=shown), ctx)
    assert second.items and not set(shown) & {s.item_id for s in second.items}


def test_known_user_and_liked_films_add_rankings(resources, synthetic_source):
    _, exp = synthetic_source
    ctx = ToolContext(resources, user_id="ml:1")
    result = recommend(RecommendRequest(like_ids=[exp.article_moved_ml_id], k=3), ctx)
    fused = next(t for t in result.trace if t.startswith("fuse"))
    assert "user_profile" in fused and "rank_cf" in fused
    assert exp.article_moved_ml_id not in {s.item_id for s in result.items}
    assert all(resources.catalog.item(s.item_id) for s in result.items)


def test_nothing_matches_says_what_to_relax(resources):
    ctx = ToolContext(resources)
    request = RecommendRequest(
        constraints=FilterArgs(genres_all=["Horror", "Animation"], runtime_max=60), k=3)
    result = recommend(request, ctx)
    assert result.items == []
    assert result.notes


def test_a_dataset_users_history_is_not_recommended(resources, synthetic_catalog):
    ctx = ToolContext(resources, user_id="ml:1")
    rated = {r[0] for r in synthetic_catalog.query(
        "SELECT item_id FROM ratings WHERE user_id = 1")}
    result = recommend(RecommendRequest(query="comedy", k=5), ctx)
    assert result.items and not rated & {s.item_id for s in result.items}
    assert history_ids(ctx) == rated
    assert history_ids(ToolContext(resources)) == set()
