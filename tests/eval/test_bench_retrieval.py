"""The ReDial retrieval benchmark, and the retrieval tools on the real catalog.

Unit tests run the protocol on the synthetic catalog's test dialogues. The integration tests
build the real BM25 and dense indexes once for this module (the dense build embeds 13.5k
documents: several minutes on 2 cores) and check the tools' behaviour on real films.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from convrec.catalog.db import Catalog
from convrec.eval.bench_retrieval import load_turns, run_retrieval_bench
from convrec.tools.bm25 import Bm25Args, search_bm25
from convrec.tools.bm25_build import build_bm25_index
from convrec.tools.context import Resources, ToolContext
from convrec.tools.dense import DenseArgs, build_dense_index, search_dense


def build_indexes(catalog: Catalog, folder: Path) -> ToolContext:
    build_bm25_index(catalog, folder)
    build_dense_index(catalog, folder)
    return ToolContext(Resources(catalog, folder))


def redial_item(catalog: Catalog, redial_movie_id: int) -> int:
    return catalog.query(
        "SELECT item_id FROM redial_movies WHERE redial_movie_id = ?", [redial_movie_id]
    )[0][0]


def title(catalog: Catalog, item_id: int) -> str:
    item = catalog.item(item_id)
    assert item is not None
    return item.title


# ----------------------------------------------------------------------- synthetic


@pytest.fixture(scope="module")
def synthetic_ctx(synthetic_catalog, tmp_path_factory) -> ToolContext:
    return build_indexes(synthetic_catalog, tmp_path_factory.mktemp("bench-index"))


def test_turns_follow_the_protocol(synthetic_catalog):
    ctx = ToolContext(Resources(synthetic_catalog, Path("unused")))
    turns, stats = load_turns(ctx, "test")
    by_id = {t.turn_id: t for t in turns}
    groundhog = redial_item(synthetic_catalog, 120948)
    clueless, dumb = redial_item(synthetic_catalog, 143623), redial_item(synthetic_catalog, 122385)

    # first recommendation: the seeker's opening message, nothing to exclude yet
    first = by_id["20001:1"]
    assert first.targets == {groundhog} and first.exclude == set()
    assert first.query.startswith("Hi there! I'm looking for a comedy from the 90s")

    # second: seeker turns so far with @ids replaced by titles; earlier films excluded
    second = by_id["20001:3"]
    assert second.targets == {clueless, dumb} and second.exclude == {groundhog}
    assert f"I loved {title(synthetic_catalog, groundhog)}!" in second.query
    assert "@" not in second.query and "Bill Murray" not in second.query  # seeker text only

    # a recommender message that only repeats an earlier film is not a turn
    assert "20001:5" not in by_id
    assert stats.skipped_no_new_target >= 1
    assert stats.dialogues == 6
    assert all(t.targets and not (t.targets & t.exclude) and t.query for t in turns)
    assert len(turns) + stats.skipped_empty_context + stats.skipped_no_new_target == (
        stats.recommender_turns_with_mentions
    )
    assert load_turns(ctx, "test", limit=2)[0] == turns[:2]


def test_benchmark_runs_on_the_synthetic_dialogues(synthetic_ctx):
    report = run_retrieval_bench(synthetic_ctx, ks=(1, 10))
    assert report["split"] == "test" and report["turns"] > 0
    assert report["coverage"] == pytest.approx(
        report["resolved_target_mentions"] / report["target_mentions"]
    )
    assert set(report["results"]) == {"bm25", "dense", "fused"}
    for figures in report["results"].values():
        assert set(figures) == {"recall@1", "recall@10"}
        assert 0 <= figures["recall@1"] <= figures["recall@10"] <= 1
    limited = run_retrieval_bench(synthetic_ctx, limit=3)
    assert limited["turns"] == 3 and limited["limit"] == 3


# ----------------------------------------------------------------------- real catalog

OCEANS_ELEVEN_TITLE = "Ocean's Eleven"
MATRIX = 2571


@pytest.fixture(scope="module")
def real_ctx(real_resources) -> ToolContext:
    return ToolContext(real_resources)


@pytest.mark.integration
@pytest.mark.timeout(3600)
def test_real_catalog_heist_query_finds_oceans_eleven(real_ctx):
    oceans = {
        r[0]
        for r in real_ctx.catalog.query(
            "SELECT item_id FROM items WHERE title = ?", [OCEANS_ELEVEN_TITLE]
        )
    }
    assert oceans
    query = "heist crew robs a casino"
    assert oceans & set(search_bm25(Bm25Args(query=query, k=10), real_ctx).ids())
    assert oceans & set(search_dense(DenseArgs(query=query, k=10), real_ctx).ids())


@pytest.mark.integration
@pytest.mark.timeout(3600)
def test_real_catalog_like_the_matrix_gives_sci_fi_action(real_ctx):
    matrix = real_ctx.catalog.item(MATRIX)
    assert matrix is not None and matrix.title == "The Matrix"
    out = search_dense(DenseArgs(like_ids=[MATRIX], k=10), real_ctx)
    assert MATRIX not in out.ids() and len(out.items) == 10
    items = real_ctx.catalog.items(out.ids())
    sci_fi = [i.item_id for i in items if "Science Fiction" in i.genres]
    sci_fi_action = [i.item_id for i in items if {"Science Fiction", "Action"} <= set(i.genres)]
    # at the time of writing: 6 of 10 sci-fi, 3 of the top 5 sci-fi action (the two sequels
    # and eXistenZ); the rest are paranoia thrillers (Enemy of the State, Arlington Road)
    assert len(sci_fi) >= 5
    assert len(set(sci_fi_action) & set(out.ids()[:5])) >= 2
    assert all(s.evidence == ["similar to The Matrix (1999)"] for s in out.items)


@pytest.mark.integration
@pytest.mark.timeout(3600)
def test_real_catalog_benchmark_on_a_few_turns(real_ctx):
    report = run_retrieval_bench(real_ctx, limit=40)
    assert report["turns"] == 40
    assert report["coverage"] == 1.0
    for figures in report["results"].values():
        assert 0 <= figures["recall@10"] <= figures["recall@50"] <= 1
