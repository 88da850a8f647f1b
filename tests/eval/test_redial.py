"""The ReDial recommendation benchmark (`convrec eval redial`).

Metric plumbing is checked on hand-built turns with a fake ranking whose Recall@k is worked
out by hand; the turn protocol (variants, coverage) on the synthetic catalog's dialogues;
every system and the CLI on the real catalog (skipped when the data are absent).
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from convrec.catalog.db import Catalog
from convrec.errors import ConvrecError
from convrec.eval.bench_retrieval import Message
from convrec.eval.redial import (
    PUBLISHED,
    SYSTEMS,
    RedialTurn,
    evaluate_rankings,
    load_redial_turns,
    parse_systems,
    real_items,
    variant_qrels_and_run,
)
from convrec.eval.redial_bench import run_redial_bench
from convrec.tools.context import Resources, ToolContext
from tests.test_cli import assert_one_line_error, run_cli

FILLER = list(range(1000, 1100))  # item ids that are never a target


def turn(turn_id: str, targets: set[int], context_items: set[int]) -> RedialTurn:
    context = [Message(0, "seeker", "hello", [], {})]
    return RedialTurn(turn_id, turn_id.split(":")[0], context, targets, context_items, [])


def ranking(at: dict[int, int], length: int = 60) -> list[int]:
    """A ranking of `length` filler films with the given films put at the given 1-based ranks."""
    out = FILLER[: length - len(at)]
    for item, rank in sorted(at.items(), key=lambda x: x[1]):
        out.insert(rank - 1, item)
    return out


# ----------------------------------------------------------------------- metrics by hand


def test_recall_by_hand_raw_and_mentioned_removed():
    turns = [
        # repeats film 1 (mentioned before) and adds film 2
        turn("a:1", {1, 2}, {1}),
        turn("b:1", {3}, set()),
        # only repeats film 4: evaluated raw, skipped once mentioned films are removed
        turn("c:1", {4}, {4}),
        turn("d:1", {9}, set()),  # never ranked
    ]
    rankings = {
        # film 1 first, film 2 11th; with film 1 removed film 2 moves up to 10th
        "a:1": ranking({1: 1, 2: 11}),
        "b:1": ranking({3: 1}),
        "c:1": ranking({4: 3}),
        "d:1": ranking({}),
    }
    results = evaluate_rankings(turns, rankings)
    # raw, per turn (R@1, R@10, R@50): a (1/2, 1/2, 1), b (1, 1, 1), c (0, 1, 1), d (0, 0, 0)
    assert results["raw"] == pytest.approx(
        {"recall@1": 1.5 / 4, "recall@10": 2.5 / 4, "recall@50": 3 / 4}, abs=1e-4)
    # mentioned removed, turns a, b, d: a (0, 1, 1), b (1, 1, 1), d (0, 0, 0)
    assert results["mentioned_removed"] == pytest.approx(
        {"recall@1": 1 / 3, "recall@10": 2 / 3, "recall@50": 2 / 3}, abs=1e-4)


def test_only_the_top_50_counts():
    turns = [turn("a:1", {7}, set())]
    at_50 = evaluate_rankings(turns, {"a:1": ranking({7: 50})})["raw"]
    at_51 = evaluate_rankings(turns, {"a:1": ranking({7: 51})})["raw"]
    assert at_50 is not None and at_50["recall@50"] == 1.0
    assert at_51 is not None and at_51["recall@50"] == 0.0
    # a missing ranking scores 0; a variant with no turn left is None
    assert evaluate_rankings(turns, {})["raw"] == {
        "recall@1": 0.0, "recall@10": 0.0, "recall@50": 0.0}
    assert evaluate_rankings([turn("c:1", {4}, {4})], {})["mentioned_removed"] is None


def test_mentioned_removed_drops_context_films_from_rankings_and_targets():
    t = turn("a:1", {1, 2}, {1, 5})
    qrels, run = variant_qrels_and_run([t], {"a:1": [5, 1, 2, 3]}, "mentioned_removed")
    assert qrels == {"a:1": {"2": 1}}
    assert list(run["a:1"]) == ["2", "3"]  # 5 and 1 were mentioned before
    qrels, run = variant_qrels_and_run([t], {"a:1": [5, 1, 2, 3]}, "raw")
    assert qrels == {"a:1": {"1": 1, "2": 1}} and list(run["a:1"]) == ["5", "1", "2", "3"]


def test_published_figures_have_sources():
    assert {p.variant for p in PUBLISHED} == {"raw", "mentioned_removed"}
    for p in PUBLISHED:
        assert p.source and all(0 < v < 1 for v in p.recall.values())


def test_systems_are_validated():
    assert parse_systems(" bm25, agent,bm25 ") == ["bm25", "agent"]
    with pytest.raises(ConvrecError, match="bogus"):
        parse_systems("bm25,bogus")
    with pytest.raises(ConvrecError, match="no system"):
        parse_systems(" , ")


# ----------------------------------------------------------------------- synthetic dialogues


def item_of(catalog: Catalog, redial_movie_id: int) -> int:
    return catalog.query(
        "SELECT item_id FROM redial_movies WHERE redial_movie_id = ?", [redial_movie_id]
    )[0][0]


def test_turns_targets_and_coverage(synthetic_catalog):
    turns, stats = load_redial_turns(synthetic_catalog, "test")
    by_id = {t.turn_id: t for t in turns}
    groundhog, clueless, dumb = (item_of(synthetic_catalog, r) for r in (120948, 143623, 122385))

    # context: every earlier message, both roles, titles in quotes instead of @ids
    second = by_id["20001:3"]
    assert second.targets == {clueless, dumb} and second.context_items == {groundhog}
    assert [m.role for m in second.context] == ["seeker", "recommender", "seeker"]
    groundhog_title = synthetic_catalog.item(groundhog).title
    assert f'I loved "{groundhog_title}"!' in second.text() and "@" not in second.text()
    assert second.seeker_items == [groundhog]

    # a repeat is a raw target, and leaves nothing once mentioned films are removed
    repeat = by_id["20001:5"]
    assert repeat.targets == {clueless} and repeat.new_targets == set()

    # ReDial-only stubs never are targets: @204334 (a stub) beside @120948 (a real film)
    stub = item_of(synthetic_catalog, 204334)
    assert stub not in real_items(synthetic_catalog)
    assert by_id["20003:3"].targets == {groundhog}
    assert "20003:5" not in by_id  # mentions only a stub (@93706)
    # 21 distinct @ids in the recommender messages; the two stubs above do not resolve
    assert (stats.target_mentions, stats.resolved_target_mentions) == (21, 19)
    assert stats.coverage()["raw"] == pytest.approx(19 / 21, abs=1e-4)
    assert stats.skipped_no_resolved_target == 1
    assert stats.skipped_all_mentioned_before == sum(not t.new_targets for t in turns) >= 1
    assert len(turns) + stats.skipped_no_resolved_target == stats.recommender_turns_with_mentions
    assert load_redial_turns(synthetic_catalog, "test", limit=2)[0] == turns[:2]


def test_run_with_a_fake_ranker_that_puts_mentioned_films_first(synthetic_catalog):
    ctx = ToolContext(Resources(synthetic_catalog, Path("unused")))

    def mentioned_first(turns, progress):
        return {t.turn_id: [*sorted(t.context_items), *sorted(t.new_targets)] for t in turns}

    report = run_redial_bench(ctx, rankers={"fake": mentioned_first})
    raw, removed = report["results"]["raw"]["fake"], report["results"]["mentioned_removed"]["fake"]
    assert raw["recall@50"] == 1.0  # every target is in the ranking
    # once the mentioned films are gone the new targets lead: all in the top 10
    assert removed["recall@10"] == 1.0 and removed["recall@1"] > raw["recall@1"]
    assert report["turns"]["mentioned_removed"] < report["turns"]["raw"]
    with pytest.raises(ConvrecError, match="limit"):
        run_redial_bench(ctx, limit=0, rankers={"fake": mentioned_first})


# ----------------------------------------------------------------------- real catalog


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_every_system_on_30_real_turns(real_resources):
    report = run_redial_bench(ToolContext(real_resources), limit=30)
    assert report["turns"]["raw"] == 30 and report["systems"] == list(SYSTEMS)
    assert 0 < report["coverage"]["raw"] <= 1
    for variant in ("raw", "mentioned_removed"):
        for name in SYSTEMS:
            figures = report["results"][variant][name]
            assert set(figures) == {"recall@1", "recall@10", "recall@50"}
            values = list(figures.values())
            assert all(math.isfinite(v) and 0 <= v <= 1 for v in values)
            assert values == sorted(values)  # recall grows with k
    assert report["notes"]["agent"]["tool_errors"] == 0
    turns, _ = load_redial_turns(real_resources.catalog, "test", limit=30)
    assert all(t.targets <= real_items(real_resources.catalog) for t in turns)


def run_eval(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("eval", *args, env=env, timeout=600)


def test_cli_bad_input_is_one_line(tmp_path):
    env = {"CONVREC_HOME": str(tmp_path)}
    assert_one_line_error(run_eval("redial", "--systems", "bm25,bogus", env=env), "bogus")
    assert_one_line_error(run_eval("redial", "--limit", "0", env=env), "--limit")
    assert_one_line_error(run_eval("redial", "--split", "dev", env=env), "dev")
    no_data = {**env, "CONVREC_DATA_DIR": str(tmp_path / "nowhere")}
    assert_one_line_error(run_eval("redial", "--limit", "3", env=no_data), "CONVREC_DATA_DIR")


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_cli_runs_and_writes_the_section(real_resources, real_catalog_path, tmp_path):
    doc = tmp_path / "BENCHMARKS.md"
    result = run_eval(
        "redial", "--limit", "5", "--systems", "popularity,bm25", "--json", "--write",
        "--doc", str(doc),
        env={"CONVREC_HOME": str(tmp_path / "home"),
             "CONVREC_CATALOG_PATH": str(real_catalog_path),
             "CONVREC_INDEX_DIR": str(real_resources.index_dir)},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["turns"]["raw"] == 5 and report["systems"] == ["popularity", "bm25"]
    text = doc.read_text()
    assert "<!-- bench:redial -->" in text and "<!-- /bench:redial -->" in text
    assert "convrec eval redial --limit 5 --systems popularity,bm25 --write" in text
    assert "Machine:" in text and "Protocol" in text and "UniCRS (published)" in text
