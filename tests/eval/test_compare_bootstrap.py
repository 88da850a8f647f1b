"""compare's bootstrap (scipy.stats.bootstrap) against the protocol written out by hand: the
same resample indices from default_rng(seed), the same percentile interval, and sides of a
single dialogue (which scipy alone refuses)."""

from __future__ import annotations

import numpy as np
import pytest

from convrec.eval.compare import compare_runs
from convrec.eval.records import DialogueRecord, Scenario, TurnRecord

MAX_TURNS = 5


def dialogue(system: str, sid: str, hit_turn: int | None) -> DialogueRecord:
    """A 3-film list every turn; the target is first in the list of `hit_turn` (None: a miss)."""
    scenario = Scenario(id=sid, source="movielens", split="test", target_ids=[999])
    last = hit_turn or MAX_TURNS
    turns = [
        TurnRecord(index=t, user="...", act="recommend", latency_ms=0.0,
                   item_ids=[999, 1, 2] if t == hit_turn else [10 * t, 10 * t + 1, 10 * t + 2])
        for t in range(1, last + 1)
    ]
    return DialogueRecord(system=system, scenario=scenario, persona="terse",
                          simulator="template", seed=0, max_turns=MAX_TURNS, turns=turns,
                          success=hit_turn is not None, success_turn=hit_turn,
                          ended_by="accept" if hit_turn else "max_turns")


HITS_A = [None, 2, None, 4, 1, None, 3, None, None, 5, 2, None]
HITS_B = [1, 2, None, 2, 1, 3, 1, None, 2, 3, 1, 4]


def reference(a: np.ndarray, b: np.ndarray, *, seed: int, resamples: int,
              confidence: float) -> tuple[float, float]:
    """The paired percentile bootstrap of mean(b) - mean(a), by hand."""
    idx = np.random.default_rng(seed).integers(0, len(a), size=(resamples, len(a)))
    diffs = b[idx].mean(axis=1) - a[idx].mean(axis=1)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return float(low), float(high)


def test_paired_interval_is_the_hand_written_bootstrap():
    a = [dialogue("floor", f"s{i}", h) for i, h in enumerate(HITS_A)]
    b = [dialogue("floor", f"s{i}", h) for i, h in enumerate(HITS_B)]
    for seed, resamples, confidence in ((0, 10_000, 0.95), (7, 2_000, 0.9)):
        rows = compare_runs(a, b, metrics=["success", "avg_turns"], seed=seed,
                            resamples=resamples, confidence=confidence)
        success, turns = rows
        assert success["method"] == "paired" and success["n_paired"] == len(HITS_A)
        wins_a = np.array([h is not None for h in HITS_A], dtype=float)
        wins_b = np.array([h is not None for h in HITS_B], dtype=float)
        turns_a = np.array([h or MAX_TURNS + 1 for h in HITS_A], dtype=float)
        turns_b = np.array([h or MAX_TURNS + 1 for h in HITS_B], dtype=float)
        assert (turns["mean_a"], turns["mean_b"]) == (turns_a.mean(), turns_b.mean())
        kw = {"seed": seed, "resamples": resamples, "confidence": confidence}
        assert (success["ci_low"], success["ci_high"]) == reference(wins_a, wins_b, **kw)
        # (a ratio of resampled sums here, a difference of means there: rounding may differ)
        assert (turns["ci_low"], turns["ci_high"]) == pytest.approx(
            reference(turns_a, turns_b, **kw), abs=1e-12)


def test_a_side_of_one_dialogue():
    one = [dialogue("floor", "s0", 2)]
    paired = compare_runs(one, [dialogue("floor", "s0", None)], metrics=["success"])[0]
    assert paired["method"] == "paired" and paired["n_paired"] == 1
    assert (paired["diff"], paired["ci_low"], paired["ci_high"]) == (-1.0, -1.0, -1.0)
    others = [dialogue("floor", f"t{i}", h) for i, h in enumerate(HITS_B)]
    unpaired = compare_runs(one, others, metrics=["success"], seed=3, resamples=1000)[0]
    assert unpaired["method"] == "unpaired" and (unpaired["n_a"], unpaired["n_b"]) == (1, 12)
    # A is constant (numpy draws nothing for one dialogue), so B's draws come first
    idx = np.random.default_rng(3).integers(0, len(HITS_B), size=(1000, len(HITS_B)))
    wins_b = np.array([h is not None for h in HITS_B], dtype=float)
    low, high = np.percentile(wins_b[idx].mean(axis=1) - 1.0, [2.5, 97.5])
    assert (unpaired["ci_low"], unpaired["ci_high"]) == (float(low), float(high))
