"""search_bm25 on the synthetic catalog: builds, ranking, candidate sets, evidence, errors.

The real-catalog check ("heist crew robs a casino" -> Ocean's Eleven) lives in
tests/eval/test_bench_retrieval.py, which builds the real indexes once for all such tests.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from convrec.catalog.db import Catalog
from convrec.errors import ConvrecError
from convrec.tools import bm25 as bm25_mod
from convrec.tools.base import ToolArgumentError
from convrec.tools.bm25 import Bm25Args, Bm25Index, s_stem, search_bm25
from convrec.tools.bm25_build import build_bm25_index
from convrec.tools.context import Resources, ToolContext

HAPPY_GILMORE = 104
MATRIX = 2571


@pytest.fixture(scope="module")
def index_dir(synthetic_catalog, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bm25-index")
    build_bm25_index(synthetic_catalog, folder)
    return folder


@pytest.fixture
def ctx(synthetic_catalog, index_dir) -> ToolContext:
    return ToolContext(Resources(synthetic_catalog, index_dir))


def changed_catalog(path: Path, tmp_path: Path) -> Catalog:
    """A copy of the catalog whose source fingerprint differs (as after a data update)."""
    copy = tmp_path / "changed.sqlite"
    shutil.copy(path, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE meta SET value = value || '-changed' WHERE key = 'source_fingerprint'")
    return Catalog(copy)


def all_item_ids(catalog: Catalog) -> list[int]:
    return [r[0] for r in catalog.query("SELECT item_id FROM items ORDER BY item_id")]


# ----------------------------------------------------------------------- build


def test_build_is_idempotent_and_follows_the_catalog(
    synthetic_catalog, synthetic_catalog_path, tmp_path
):
    first = build_bm25_index(synthetic_catalog, tmp_path)
    assert first["built"] is True
    assert first["items"] == len(all_item_ids(synthetic_catalog))
    files = {p: p.stat().st_mtime_ns for p in (tmp_path / "bm25").rglob("*") if p.is_file()}

    again = build_bm25_index(synthetic_catalog, tmp_path)
    assert again["built"] is False
    assert {p: p.stat().st_mtime_ns for p in files} == files  # nothing rewritten

    assert build_bm25_index(synthetic_catalog, tmp_path, force=True)["built"] is True
    changed = changed_catalog(synthetic_catalog_path, tmp_path)
    assert build_bm25_index(changed, tmp_path)["built"] is True
    assert build_bm25_index(changed, tmp_path)["built"] is False


def test_changing_the_stemmer_rebuilds(synthetic_catalog, tmp_path):
    assert build_bm25_index(synthetic_catalog, tmp_path, stemmer="none")["stemmer"] == "none"
    assert Bm25Index.load(tmp_path / "bm25").stemmer == "none"
    rebuilt = build_bm25_index(synthetic_catalog, tmp_path, stemmer="s-stemmer")
    assert rebuilt["built"] is True and rebuilt["stemmer"] == "s-stemmer"
    with pytest.raises(ConvrecError, match="unknown stemmer"):
        build_bm25_index(synthetic_catalog, tmp_path, stemmer="porter2000")


def test_progress_is_reported(synthetic_catalog, tmp_path):
    calls: list[tuple[str, int, int]] = []
    build_bm25_index(synthetic_catalog, tmp_path, progress=lambda d, n, t: calls.append((d, n, t)))
    assert calls and all(0 <= n <= t for _, n, t in calls)
    assert calls[-1][0] == "bm25: done"


def test_s_stemmer_folds_plurals_only():
    assert [s_stem(w) for w in ("casinos", "robs", "stories", "boss", "virus", "heist")] == [
        "casino",
        "rob",
        "story",
        "boss",
        "virus",
        "heist",
    ]


# ----------------------------------------------------------------------- search


def test_distinctive_query_finds_the_film(ctx):
    out = search_bm25(Bm25Args(query="hockey player golf tour"), ctx)
    assert out.tool == "search_bm25"
    assert out.ids()[0] == HAPPY_GILMORE
    evidence = out.items[0].evidence[0]
    assert "'golf'" in evidence and "'hockey'" in evidence
    assert out.trace == f"bm25: top {len(out.items)}"
    assert [s.score for s in out.items] == sorted((s.score for s in out.items), reverse=True)


def test_evidence_names_the_matching_fields(ctx):
    out = search_bm25(Bm25Args(query="Adam Sandler golf", k=5), ctx)
    top = out.items[0]
    assert top.item_id == HAPPY_GILMORE
    assert "'sandler' (people, tag)" in top.evidence[0]
    matrix = search_bm25(Bm25Args(query="matrix cyberpunk", k=3), ctx).items[0]
    assert matrix.item_id == MATRIX
    assert matrix.evidence == ["matches 'matrix' (title), 'cyberpunk' (tag)"]


def test_only_matching_items_are_returned(ctx):
    out = search_bm25(Bm25Args(query="golf", k=100), ctx)
    assert 0 < len(out.items) < 100
    assert all(s.score > 0 and "'golf'" in s.evidence[0] for s in out.items)


def test_candidate_restriction_is_exact(ctx, synthetic_catalog):
    everything = all_item_ids(synthetic_catalog)
    candidates = set(everything[::3]) | {HAPPY_GILMORE}
    for query in ("comedy romance", "space crew alien", "crime family", "golf"):
        unrestricted = search_bm25(Bm25Args(query=query, k=len(everything)), ctx)
        expected = [s for s in unrestricted.items if s.item_id in candidates][:4]
        restricted = search_bm25(Bm25Args(query=query, k=4), ctx, candidates=candidates)
        assert [(s.item_id, s.score) for s in restricted.items] == [
            (s.item_id, s.score) for s in expected
        ], query
        assert set(restricted.ids()) <= candidates
        assert restricted.trace == f"bm25: {len(candidates)} -> {len(restricted.items)}"


def test_candidates_outside_the_catalog_are_ignored(ctx):
    out = search_bm25(Bm25Args(query="golf"), ctx, candidates={HAPPY_GILMORE, 999_999_999})
    assert out.ids() == [HAPPY_GILMORE]
    assert search_bm25(Bm25Args(query="golf"), ctx, candidates=set()).items == []


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_an_argument_error(query):
    with pytest.raises(ToolArgumentError, match="query is empty"):
        Bm25Args(query=query)


def test_stop_words_only_give_no_items_and_a_note(ctx):
    out = search_bm25(Bm25Args(query="the and of"), ctx)
    assert out.items == [] and out.notes


def test_reloaded_index_gives_the_same_results(ctx, index_dir):
    query = "a comedy about friendship and love"
    before = search_bm25(Bm25Args(query=query, k=20), ctx)
    reloaded = Bm25Index.load(index_dir / "bm25")
    after = reloaded.search(query, 20)
    assert [(h.item_id, round(h.score, 4)) for h in after] == [
        (s.item_id, s.score) for s in before.items
    ]


def test_index_is_loaded_once_per_process(ctx):
    search_bm25(Bm25Args(query="golf"), ctx)
    first = ctx.resources.get(bm25_mod.NAME, lambda: None)
    search_bm25(Bm25Args(query="space"), ctx)
    assert ctx.resources.get(bm25_mod.NAME, lambda: None) is first is not None


def test_missing_or_stale_index_is_a_clear_error(
    synthetic_catalog, synthetic_catalog_path, tmp_path
):
    empty = ToolContext(Resources(synthetic_catalog, tmp_path / "nothing"))
    with pytest.raises(ConvrecError, match="no bm25 index"):
        search_bm25(Bm25Args(query="golf"), empty)
    build_bm25_index(changed_catalog(synthetic_catalog_path, tmp_path), tmp_path)
    stale = ToolContext(Resources(synthetic_catalog, tmp_path))
    with pytest.raises(ConvrecError, match="another catalog"):
        search_bm25(Bm25Args(query="golf"), stale)
