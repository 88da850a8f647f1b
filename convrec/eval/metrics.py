"""Metrics of a simulated-user run: per dialogue (`dialogue_metrics`) and per system (`summarize`).

Protocol (every figure in a run's metrics.json and report.md follows it):

* Scored dialogues: a dialogue with `leaked=True` (a simulator message named the target) is
  dropped from every metric and counted per system (`leaked`). A dialogue with `error` set
  counts as a failure (success 0, turns to success max_turns + 1) and is counted (`errors`);
  the films it showed before the error still count as shown. `n` is the number of scored
  dialogues; `ended_by` counts them by how they ended.
* Success (Hit@T): the record's `success` (a target was in a list shown within max_turns).
  `success_by_turn[t-1]` is the share of scored dialogues whose `success_turn <= t`, for
  t = 1..max_turns (the largest max_turns of the system's dialogues).
* Turns to success: `success_turn`; a miss counts as max_turns + 1. `avg_turns` is the mean.
* Lists: a list is the `item_ids` of a turn that has items (a turn with an empty list is not a
  list; a 'recommend' turn without items is counted in `n_empty_recommends`). Duplicate ids
  within one list keep their first position.
* List-level Recall@k / NDCG@k (`list_recall@k`, `list_ndcg@k`): each list ranked against
  `scenario.target_ids` (binary relevance, every target relevant), mean over all lists of the
  system (pooled over dialogues).
* Dialogue-level Recall@k / NDCG@k (`recall@k`, `ndcg@k`, k in KS): the cumulative shown
  sequence (every film in the order it was first shown across the dialogue, duplicates
  removed) ranked against the targets, mean over scored dialogues; a dialogue that showed
  nothing scores 0. Rankings go through ranx (Qrels / Run / evaluate) with string ids and
  scores descending by position; ranx drops queries without items, so empty ones are set to 0
  here before averaging.
* Constraint violations: `violation_rate` = films with a non-empty `violations` entry / films
  shown; `list_violation_rate` = lists with any violation / lists.
* `repeat_rate` = `repeats` films / films shown; `ooc_rate` = `out_of_catalog` films / films
  shown. Films shown counts every film of every list (a film shown twice counts twice).
* Acts: turns whose act starts with 'ask' (`n_asks`) and turns whose act is 'recommend'
  (`n_recommends`); `ask_recommend_ratio` = n_asks / n_recommends; `acts` counts every act.
* Latency: p50 / p95 / mean of `latency_ms` over all turns of the scored dialogues (numpy's
  default linear-interpolated percentiles).
* Breakdowns: success and avg_turns per persona (`by_persona`) and per scenario source
  (`by_source`).

Ratios are pooled (sum of numerators / sum of denominators over dialogues, `SYSTEM_METRICS`),
so `compare` can bootstrap exactly the figure the summary reports. A ratio whose denominator
is 0 (no film shown, no list, no recommend turn) is None.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from convrec.eval.records import DialogueRecord

KS: tuple[int, ...] = (5, 10, 20)

# Per-dialogue scalar values (always numbers) returned by `dialogue_metrics`.
DIALOGUE_METRICS: tuple[str, ...] = (
    "success",
    "turns_to_success",
    *(f"recall@{k}" for k in KS),
    *(f"ndcg@{k}" for k in KS),
    *(f"list_recall@{k}_total" for k in KS),
    *(f"list_ndcg@{k}_total" for k in KS),
    "n_turns",
    "n_lists",
    "n_films",
    "n_violating_films",
    "n_violating_lists",
    "n_repeats",
    "n_ooc",
    "n_asks",
    "n_recommends",
    "n_empty_recommends",
    "latency_total_ms",
)

# System-level metric -> (numerator, denominator) over per-dialogue values; denominator None
# means the mean over dialogues. Both `summarize` and `compare` aggregate through this.
SYSTEM_METRICS: dict[str, tuple[str, str | None]] = {
    "success": ("success", None),
    "avg_turns": ("turns_to_success", None),
    **{f"recall@{k}": (f"recall@{k}", None) for k in KS},
    **{f"ndcg@{k}": (f"ndcg@{k}", None) for k in KS},
    **{f"list_recall@{k}": (f"list_recall@{k}_total", "n_lists") for k in KS},
    **{f"list_ndcg@{k}": (f"list_ndcg@{k}_total", "n_lists") for k in KS},
    "violation_rate": ("n_violating_films", "n_films"),
    "list_violation_rate": ("n_violating_lists", "n_lists"),
    "repeat_rate": ("n_repeats", "n_films"),
    "ooc_rate": ("n_ooc", "n_films"),
    "ask_recommend_ratio": ("n_asks", "n_recommends"),
    "latency_mean_ms": ("latency_total_ms", "n_turns"),
    "turns_per_dialogue": ("n_turns", None),
    "films_per_dialogue": ("n_films", None),
}


# ----------------------------------------------------------------------------- rankings


def _ranx_scores(
    queries: Mapping[str, tuple[Sequence[int], Sequence[int]]], names: Sequence[str]
) -> dict[str, dict[str, float]]:
    """`names` (ranx metric names) for each query id -> (targets, ranked items).

    A query without items scores 0 on every metric (ranx would drop it).
    """
    scores = {qid: dict.fromkeys(names, 0.0) for qid in queries}
    ranked = {qid: q for qid, q in queries.items() if q[1]}
    if not ranked:
        return scores
    from ranx import Qrels, Run, evaluate  # deferred: ranx takes ~10 s to import (numba)

    qrels = Qrels({qid: {str(t): 1 for t in targets} for qid, (targets, _) in ranked.items()})
    run = Run({qid: _run_entry(items) for qid, (_, items) in ranked.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety warnings inside ranx
        evaluate(qrels, run, list(names), return_mean=False)
    for name in names:
        for qid, value in run.scores[name].items():
            scores[qid][name] = float(value)
    return scores


def _run_entry(items: Sequence[int]) -> dict[str, float]:
    """Scores descending by position, so ranx ranks exactly in list order (first kept)."""
    unique = list(dict.fromkeys(items))
    return {str(item): float(len(unique) - rank) for rank, item in enumerate(unique)}


def shown_sequence(record: DialogueRecord) -> list[int]:
    """Every film in the order it was first shown across the dialogue, duplicates removed."""
    return list(dict.fromkeys(item for turn in record.turns for item in turn.item_ids))


def _ranking_metrics(records: Sequence[DialogueRecord]) -> list[dict[str, float]]:
    """Cumulative and list-level ranking metrics of each record, in one ranx call each."""
    names = [f"{m}@{k}" for m in ("recall", "ndcg") for k in KS]
    cumulative = {
        str(i): (r.scenario.target_ids, shown_sequence(r)) for i, r in enumerate(records)
    }
    lists = {
        f"{i}:{t}": (r.scenario.target_ids, turn.item_ids)
        for i, r in enumerate(records)
        for t, turn in enumerate(r.turns)
        if turn.item_ids
    }
    cum_scores = _ranx_scores(cumulative, names)
    list_scores = _ranx_scores(lists, names)
    out: list[dict[str, float]] = [dict(cum_scores[str(i)]) for i in range(len(records))]
    for qid, values in list_scores.items():
        row = out[int(qid.split(":")[0])]
        for name, value in values.items():
            row[f"list_{name}_total"] = row.get(f"list_{name}_total", 0.0) + value
    for row in out:
        for name in names:
            row.setdefault(f"list_{name}_total", 0.0)
    return out


# ----------------------------------------------------------------------------- dialogues


def _failed(record: DialogueRecord) -> bool:
    return record.error is not None or not record.success


def _turns_to_success(record: DialogueRecord) -> int:
    if _failed(record) or record.success_turn is None:
        return record.max_turns + 1
    return record.success_turn


def _counts(record: DialogueRecord) -> dict[str, float]:
    turns = record.turns
    lists = [t for t in turns if t.item_ids]
    return {
        "success": 0.0 if _failed(record) else 1.0,
        "turns_to_success": float(_turns_to_success(record)),
        "n_turns": float(len(turns)),
        "n_lists": float(len(lists)),
        "n_films": float(sum(len(t.item_ids) for t in turns)),
        "n_violating_films": float(sum(sum(1 for v in t.violations.values() if v) for t in turns)),
        "n_violating_lists": float(sum(1 for t in lists if any(t.violations.values()))),
        "n_repeats": float(sum(len(t.repeats) for t in turns)),
        "n_ooc": float(sum(len(t.out_of_catalog) for t in turns)),
        "n_asks": float(sum(1 for t in turns if t.act.startswith("ask"))),
        "n_recommends": float(sum(1 for t in turns if t.act == "recommend")),
        "n_empty_recommends": float(
            sum(1 for t in turns if t.act == "recommend" and not t.item_ids)
        ),
        "latency_total_ms": float(sum(t.latency_ms for t in turns)),
    }


def _with_details(record: DialogueRecord, values: dict[str, float]) -> dict[str, Any]:
    """Per-dialogue values plus list-level means and the latency list (for reports)."""
    n_lists = values["n_lists"]
    means = {
        f"list_{m}@{k}": (values[f"list_{m}@{k}_total"] / n_lists if n_lists else None)
        for m in ("recall", "ndcg")
        for k in KS
    }
    return {
        "system": record.system,
        "scenario_id": record.scenario.id,
        "persona": record.persona,
        "source": record.scenario.source,
        "leaked": record.leaked,
        "error": record.error,
        "ended_by": record.ended_by,
        "max_turns": record.max_turns,
        "success_turn": None if _failed(record) else record.success_turn,
        **{name: values[name] for name in DIALOGUE_METRICS},
        **means,
        "acts": dict(Counter(t.act for t in record.turns)),
        "latencies_ms": [t.latency_ms for t in record.turns],
    }


def dialogues_metrics(records: Sequence[DialogueRecord]) -> list[dict[str, Any]]:
    """`dialogue_metrics` of many records at once (one ranx evaluation for all of them)."""
    ranking = _ranking_metrics(records)
    return [
        _with_details(r, {**_counts(r), **rank}) for r, rank in zip(records, ranking, strict=True)
    ]


def dialogue_metrics(record: DialogueRecord) -> dict[str, Any]:
    """One dialogue's values: every name in DIALOGUE_METRICS (numbers), list-level means
    (`list_recall@k`, `list_ndcg@k`; None without lists), act counts, the per-turn latency list
    and identifying fields. Leaked dialogues get values too; `summarize` drops them."""
    return dialogues_metrics([record])[0]


# ----------------------------------------------------------------------------- systems


def pooled(rows: Sequence[dict[str, Any]], metric: str) -> float | None:
    """A SYSTEM_METRICS figure over per-dialogue rows (None when its denominator is 0)."""
    numerator, denominator = SYSTEM_METRICS[metric]
    if not rows:
        return None
    num = float(np.sum([row[numerator] for row in rows]))
    den = float(len(rows)) if denominator is None else float(np.sum([r[denominator] for r in rows]))
    return num / den if den else None


def _success_by_turn(rows: Sequence[dict[str, Any]]) -> list[float]:
    horizon = max((row["max_turns"] for row in rows), default=0)
    turns = np.array(
        [horizon + 1 if row["success_turn"] is None else row["success_turn"] for row in rows],
        dtype=float,
    )
    if not len(turns):
        return []
    return [float(np.mean(turns <= t)) for t in range(1, horizon + 1)]


def _latency(rows: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    values = np.array([v for row in rows for v in row["latencies_ms"]], dtype=float)
    if not len(values):
        return {"latency_p50_ms": None, "latency_p95_ms": None}
    p50, p95 = np.percentile(values, [50, 95])
    return {"latency_p50_ms": float(p50), "latency_p95_ms": float(p95)}


def _breakdown(rows: Sequence[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row[key]), []).append(row)
    return {
        name: {
            "n": len(group),
            "success": pooled(group, "success"),
            "avg_turns": pooled(group, "avg_turns"),
        }
        for name, group in sorted(groups.items())
    }


def system_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One system's figures from its per-dialogue rows (leaked ones included: dropped here)."""
    scored = [row for row in rows if not row["leaked"]]
    acts: Counter[str] = Counter()
    for row in scored:
        acts.update(row["acts"])
    return {
        "n": len(scored),
        "n_total": len(rows),
        "leaked": len(rows) - len(scored),
        "errors": sum(1 for row in scored if row["error"] is not None),
        "ended_by": dict(Counter(row["ended_by"] for row in scored)),
        "max_turns": max((row["max_turns"] for row in scored), default=0),
        **{metric: pooled(scored, metric) for metric in SYSTEM_METRICS},
        **_latency(scored),
        "n_lists": int(sum(row["n_lists"] for row in scored)),
        "n_films": int(sum(row["n_films"] for row in scored)),
        "n_asks": int(sum(row["n_asks"] for row in scored)),
        "n_recommends": int(sum(row["n_recommends"] for row in scored)),
        "n_empty_recommends": int(sum(row["n_empty_recommends"] for row in scored)),
        "acts": dict(sorted(acts.items())),
        "success_by_turn": _success_by_turn(scored),
        "by_persona": _breakdown(scored, "persona"),
        "by_source": _breakdown(scored, "source"),
    }


def systems_in_order(records: Iterable[DialogueRecord]) -> list[str]:
    """System names in order of first appearance."""
    return list(dict.fromkeys(r.system for r in records))


def summarize(records: Sequence[DialogueRecord]) -> dict[str, Any]:
    """metrics.json: the cutoffs and one `system_summary` per system (first-appearance order).

    JSON-serializable: plain floats, ints, strings, lists, dicts and None.
    """
    rows = dialogues_metrics(records)
    by_system: dict[str, list[dict[str, Any]]] = {s: [] for s in systems_in_order(records)}
    for row in rows:
        by_system[row["system"]].append(row)
    return {
        "ks": list(KS),
        "systems": {name: system_summary(group) for name, group in by_system.items()},
    }
