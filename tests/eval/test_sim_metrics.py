"""Simulated-run metrics, comparison and report on hand-built dialogue records.

Every expected value below was worked out by hand from the records in `run()`.
"""

from __future__ import annotations

import json
import math

import pytest

from convrec.eval.compare import compare_markdown, compare_runs, compare_table
from convrec.eval.metrics import DIALOGUE_METRICS, dialogue_metrics, summarize
from convrec.eval.records import DialogueRecord, Scenario, TurnRecord
from convrec.eval.run_report import summary_markdown, write_metrics, write_report

MAX_TURNS = 5
SCENARIOS = {
    "s1": Scenario(id="s1", source="movielens", split="test", target_ids=[100]),
    "s2": Scenario(id="s2", source="redial", split="test", target_ids=[200]),
    "s3": Scenario(id="s3", source="critics", split="test", target_ids=[300]),
    "s4": Scenario(id="s4", source="movielens", split="test", target_ids=[400]),
}
PERSONAS = {"s1": "terse", "s2": "chatty", "s3": "terse", "s4": "terse"}


def turn(index: int, act: str, items: list[int] | None = None, latency: float = 0.0,
         **kw) -> TurnRecord:
    return TurnRecord(index=index, user="...", act=act, item_ids=items or [], latency_ms=latency,
                      **kw)


def record(system: str, sid: str, turns: list[TurnRecord], **kw) -> DialogueRecord:
    return DialogueRecord(system=system, scenario=SCENARIOS[sid], persona=PERSONAS[sid],
                          simulator="template", seed=0, max_turns=MAX_TURNS, turns=turns, **kw)


def hit_at(system: str, sid: str, hit_turn: int | None) -> DialogueRecord:
    """A 3-film list every turn; the target is first in the list of `hit_turn` (None: a miss)."""
    target = SCENARIOS[sid].target_ids[0]
    last = hit_turn or MAX_TURNS
    turns = [
        turn(t, "recommend", [target, 1, 2] if t == hit_turn else [10 * t, 10 * t + 1, 10 * t + 2])
        for t in range(1, last + 1)
    ]
    return record(system, sid, turns, success=hit_turn is not None, success_turn=hit_turn,
                  ended_by="accept" if hit_turn else "max_turns")


def agent_records() -> list[DialogueRecord]:
    s1 = record("agent:local", "s1", [
        turn(1, "ask_genre", latency=100),
        turn(2, "recommend", [1, 2, 3, 4, 5], 200, violations={2: ["genre"]}),
        turn(3, "recommend", [6, 100, 7, 8, 9], 300, hit_rank=2),  # target 7th distinct film
    ], success=True, success_turn=3, ended_by="accept")
    s2 = record("agent:local", "s2", [  # a miss
        turn(1, "ask_genre", latency=400),
        turn(2, "recommend", [1, 2, 3], 500, out_of_catalog=[3]),
        turn(3, "recommend", [], 600),  # an empty list: not a list
        turn(4, "recommend", [1, 10, 11], 700, repeats=[1],
             violations={10: ["runtime"], 11: []}),
        turn(5, "answer", latency=800),
    ], ended_by="max_turns")
    s3 = record("agent:local", "s3", [turn(1, "recommend", [300], 10_000, hit_rank=1)],
                success=True, success_turn=1, ended_by="accept", leaked=True,
                leak_detail="named the target")
    s4 = record("agent:local", "s4", [turn(1, "recommend", [400, 1], 900, hit_rank=1)],
                success=True, success_turn=1, ended_by="error", error="backend timeout")
    return [s1, s2, s3, s4]


def floor_records() -> list[DialogueRecord]:
    """Never a hit; s2 shows nothing at all (its cumulative recall must count as 0)."""
    out = [hit_at("floor", sid, None) for sid in ("s1", "s3", "s4")]
    out.insert(1, record("floor", "s2", [turn(t, "ask_genre") for t in range(1, 6)]))
    return out


def run() -> list[DialogueRecord]:
    bm25 = [hit_at("bm25", sid, t) for sid, t in (("s1", 1), ("s2", 2), ("s3", 1), ("s4", 2))]
    return agent_records() + bm25 + floor_records()


# ----------------------------------------------------------------------------- dialogues


def test_dialogue_metrics_cumulative_and_list_ranks():
    m = dialogue_metrics(agent_records()[0])
    assert set(DIALOGUE_METRICS) <= set(m)
    assert m["success"] == 1.0 and m["turns_to_success"] == 3
    # target first shown as the 7th distinct film
    assert m["recall@5"] == 0.0 and m["recall@10"] == 1.0 and m["recall@20"] == 1.0
    assert m["ndcg@5"] == 0.0
    assert m["ndcg@10"] == pytest.approx(1 / math.log2(8))
    # lists: [1..5] misses; [6, 100, ...] has the target at rank 2 -> NDCG 1/log2(3)
    assert m["n_lists"] == 2 and m["list_recall@5"] == 0.5
    assert m["list_ndcg@5"] == pytest.approx((0 + 1 / math.log2(3)) / 2)
    assert m["n_films"] == 10 and m["n_violating_films"] == 1 and m["n_violating_lists"] == 1
    assert m["latencies_ms"] == [100, 200, 300]
    assert m["acts"] == {"ask_genre": 1, "recommend": 2}


def test_dialogue_metrics_miss_error_and_empty():
    _, miss, _, error = (dialogue_metrics(r) for r in agent_records())
    assert miss["success"] == 0.0 and miss["turns_to_success"] == MAX_TURNS + 1
    assert miss["n_lists"] == 2 and miss["n_empty_recommends"] == 1 and miss["n_films"] == 6
    assert miss["n_violating_films"] == 1  # the film with an empty violations entry is fine
    # an error is a failure even though the record says success; its films still count
    assert error["success"] == 0.0 and error["turns_to_success"] == MAX_TURNS + 1
    assert error["recall@5"] == 1.0
    nothing = dialogue_metrics(floor_records()[1])
    assert nothing["recall@10"] == 0.0 and nothing["n_lists"] == 0
    assert nothing["list_recall@10"] is None


# ----------------------------------------------------------------------------- systems


def test_summary_of_the_agent():
    a = summarize(run())["systems"]["agent:local"]
    assert (a["n"], a["n_total"], a["leaked"], a["errors"]) == (3, 4, 1, 1)
    assert a["ended_by"] == {"accept": 1, "max_turns": 1, "error": 1}
    assert a["success"] == pytest.approx(1 / 3)
    assert a["avg_turns"] == pytest.approx((3 + 6 + 6) / 3)
    assert a["success_by_turn"] == pytest.approx([0, 0, 1 / 3, 1 / 3, 1 / 3])
    # cumulative: s1 (0, 1, 1/3), s2 (0, 0, 0), s4 (1, 1, 1) for (R@5, R@10, NDCG@10)
    assert a["recall@5"] == pytest.approx(1 / 3)
    assert a["recall@10"] == pytest.approx(2 / 3)
    assert a["ndcg@10"] == pytest.approx((1 / 3 + 0 + 1) / 3)
    # five lists, pooled: recall@5 hits in s1 turn 3 and s4
    assert a["n_lists"] == 5
    assert a["list_recall@5"] == pytest.approx(2 / 5)
    assert a["list_ndcg@5"] == pytest.approx((1 / math.log2(3) + 1) / 5)
    # films shown 10 + 6 + 2 = 18
    assert a["n_films"] == 18
    assert a["violation_rate"] == pytest.approx(2 / 18)
    assert a["list_violation_rate"] == pytest.approx(2 / 5)
    assert a["repeat_rate"] == pytest.approx(1 / 18)
    assert a["ooc_rate"] == pytest.approx(1 / 18)
    assert (a["n_asks"], a["n_recommends"], a["n_empty_recommends"]) == (2, 6, 1)
    assert a["ask_recommend_ratio"] == pytest.approx(2 / 6)
    assert a["acts"] == {"answer": 1, "ask_genre": 2, "recommend": 6}
    # latencies 100..900 (the leaked dialogue's 10,000 is dropped)
    assert a["latency_p50_ms"] == 500 and a["latency_mean_ms"] == 500
    assert a["latency_p95_ms"] == pytest.approx(860)


def test_summary_breakdowns_and_other_systems():
    summary = summarize(run())
    assert list(summary["systems"]) == ["agent:local", "bm25", "floor"]
    a = summary["systems"]["agent:local"]
    assert a["by_persona"] == {
        "chatty": {"n": 1, "success": 0.0, "avg_turns": 6.0},
        "terse": {"n": 2, "success": 0.5, "avg_turns": 4.5},
    }
    assert a["by_source"] == {
        "movielens": {"n": 2, "success": 0.5, "avg_turns": 4.5},
        "redial": {"n": 1, "success": 0.0, "avg_turns": 6.0},
    }
    b = summary["systems"]["bm25"]
    assert b["success"] == 1.0 and b["avg_turns"] == 1.5 and b["leaked"] == 0
    assert b["success_by_turn"] == [0.5, 1.0, 1.0, 1.0, 1.0]
    assert b["recall@5"] == 1.0  # hits on turn 1 (1st film) or turn 2 (4th distinct film)
    assert b["ndcg@10"] == pytest.approx((1 + 1 / math.log2(5)) / 2)
    f = summary["systems"]["floor"]
    assert f["n"] == 4 and f["success"] == 0.0 and f["recall@10"] == 0.0
    assert f["n_films"] == 45 and f["ask_recommend_ratio"] == pytest.approx(5 / 15)
    json.dumps(summary, allow_nan=False)  # becomes metrics.json


# ----------------------------------------------------------------------------- compare


def test_compare_identical_runs_is_zero():
    rows = compare_runs(run(), run(), resamples=500)
    assert {r["system_a"] for r in rows} == {"agent:local", "bm25", "floor"}
    for row in rows:
        if row["diff"] is None:  # e.g. ask/recommend where a side never recommends
            continue
        assert row["diff"] == pytest.approx(0)
        assert row["ci_low"] <= 0 <= row["ci_high"]
        assert row["method"] == "paired"
    agent = [r for r in rows if r["system_a"] == "agent:local"]
    assert {r["n_paired"] for r in agent} == {3}  # the leaked dialogue is not paired


def test_compare_two_systems_of_one_run_all_versus_none():
    records = run()
    rows = compare_runs(records, records, system_a="floor", system_b="bm25",
                        metrics=["success", "avg_turns"], resamples=1000, seed=3)
    success, turns = rows
    assert (success["system_a"], success["system_b"]) == ("floor", "bm25")
    assert success["mean_a"] == 0.0 and success["mean_b"] == 1.0
    assert success["diff"] == 1.0 and (success["ci_low"], success["ci_high"]) == (1.0, 1.0)
    assert success["n_paired"] == 4 and success["method"] == "paired"
    assert turns["diff"] == pytest.approx(1.5 - 6)
    headers, table = compare_table(rows)
    assert headers[0] == "system" and table[0][0] == "floor → bm25"
    assert "floor → bm25" in compare_markdown(rows)


def test_compare_is_deterministic_and_unpaired_without_overlap():
    records = run()
    first = compare_runs(records, records, system_a="agent:local", system_b="bm25", seed=7,
                         resamples=2000)
    again = compare_runs(records, records, system_a="agent:local", system_b="bm25", seed=7,
                         resamples=2000)
    assert first == again
    a_side = [r for r in records if r.system == "floor" and r.scenario.id in ("s1", "s2")]
    b_side = [r for r in records if r.system == "floor" and r.scenario.id in ("s3", "s4")]
    rows = compare_runs(a_side, b_side, metrics=["films_per_dialogue"], resamples=200)
    assert rows[0]["method"] == "unpaired" and rows[0]["n_paired"] == 0
    assert (rows[0]["mean_a"], rows[0]["mean_b"]) == (7.5, 15.0)
    with pytest.raises(ValueError, match="unknown metrics"):
        compare_runs(records, records, metrics=["nope"])
    with pytest.raises(ValueError, match="no system 'dense' in run B"):
        compare_runs(records, records, system_a="bm25", system_b="dense")


# ----------------------------------------------------------------------------- report


def test_write_report_and_metrics(tmp_path):
    records = run()
    summary = summarize(records)
    path = write_report(tmp_path, records, summary, title="Sim run", command="convrec simulate",
                        config={"max_turns": MAX_TURNS, "systems": ["agent:local", "bm25"]})
    text = path.read_text()
    for name in ("success_by_turn.png", "latency.png", "recall.png"):
        assert (tmp_path / name).stat().st_size > 0
        assert f"({name})" in text
    for system in ("agent:local", "bm25", "floor"):
        assert system in text
    assert "convrec simulate" in text and "## By persona" in text
    assert summary_markdown(summary) in text
    metrics = write_metrics(tmp_path, summary)
    assert json.loads(metrics.read_text()) == summary
