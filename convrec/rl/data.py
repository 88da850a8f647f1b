"""From collected states to the three training sets: preference pairs (reward model), the
best choice of each state (warm start) and GRPO's prompts with their measured outcomes.

Every set is built from `StateRecord`s only, and split by scenario (a scenario's states are
all in training or all held out), so held-out accuracy is measured on unseen users.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from typing import Any

from convrec.agent.policy import policy_messages
from convrec.rl.rewards import outcome_reward
from convrec.rl.rollout import StateRecord


def is_heldout(scenario_id: str, fraction: float, seed: int) -> bool:
    digest = hashlib.sha256(f"{seed}:heldout:{scenario_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little") / 2**64 < fraction


def split_states(states: list[StateRecord], fraction: float,
                 seed: int) -> tuple[list[StateRecord], list[StateRecord]]:
    """(training, held-out) states, split by scenario."""
    train = [s for s in states if not is_heldout(s.scenario, fraction, seed)]
    held = [s for s in states if is_heldout(s.scenario, fraction, seed)]
    return train, held


def usable(state: StateRecord) -> dict[str, Any]:
    """The outcomes of a state that can be trusted: the replay reached the same state and
    nothing failed."""
    return {a: o for a, o in state.outcomes.items() if o.replay_ok and o.error is None}


def prompt_of(state: StateRecord) -> list[dict[str, str]]:
    return policy_messages(state.state, plans=True)


def preference_pairs(states: list[StateRecord]) -> list[dict[str, Any]]:
    """For every state and two acts tried there, the one whose dialogue reached the target
    sooner (then: ranked it higher) is chosen; equal outcomes make no pair."""
    pairs = []
    for state in states:
        outcomes = usable(state)
        for a, b in itertools.combinations(sorted(outcomes), 2):
            ka, kb = outcomes[a].preference_key(), outcomes[b].preference_key()
            if ka == kb:
                continue
            chosen, rejected = (a, b) if ka < kb else (b, a)
            pairs.append({
                "prompt": prompt_of(state),
                "chosen": [{"role": "assistant", "content": chosen}],
                "rejected": [{"role": "assistant", "content": rejected}],
                "scenario": state.scenario,
            })
    return pairs


def sample(rows: list[dict[str, Any]], n: int, seed: int) -> list[dict[str, Any]]:
    if len(rows) <= n:
        return rows
    return random.Random(seed).sample(rows, n)


def warm_start_examples(states: list[StateRecord]) -> list[dict[str, Any]]:
    """Prompt and best choice of every state whose best outcome reached the target (ties
    go to the collecting policy's own choice, so where nothing did better it is imitated)."""
    out = []
    for state in states:
        best = state.best_act()
        if best is None or best not in usable(state):
            continue
        out.append({"prompt": prompt_of(state),
                    "completion": [{"role": "assistant", "content": best}]})
    return out


def grpo_rows(states: list[StateRecord], turn_cost: float) -> list[dict[str, Any]]:
    """GRPO's prompts: the branched states whose acts did not all end alike (where every
    act scores the same the group's advantages are all zero and the step learns nothing)."""
    rows = []
    for state in states:
        outcomes = usable(state)
        if len(outcomes) < 2:
            continue
        values = {round(outcome_reward(o, turn_cost), 6) + (o.hit_rank or 0) * 1e-3
                  for o in outcomes.values()}
        if len(values) < 2:
            continue
        rows.append({
            "prompt": prompt_of(state),
            "state": state.state.model_dump_json(),
            "outcomes": json.dumps({a: o.model_dump(mode="json") for a, o in outcomes.items()}),
            "scenario": state.scenario,
        })
    return rows
