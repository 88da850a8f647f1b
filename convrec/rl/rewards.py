"""GRPO's rewards: plain callables `f(prompts, completions, **columns) -> list[float]`.

A completion is the policy's reply to a collected state: it should name one allowed act.
Every reward but `reward_model` is verifiable: it reads the `Outcome` measured when that act
was actually run at that state by `convrec rl collect` (the step, then the dialogue to its
end), passed in the dataset's `outcomes` column. `collect` tries every allowed act at each
branched state, so each valid completion has a measured outcome.

- valid_act: 0 for an allowed act, -1 for anything else (every other reward is 0 then).
- target_rank: per-rank credit for the list this step showed, 1 / log2(1 + rank) when the
  target is in it (the DCG gain, as Rank-GRPO credits each rank), else 0.
- outcome: 1 when the dialogue went on to show the target, less `turn_cost` for each turn
  it took after this one; when it never did, minus `turn_cost` per turn spent.
- violations: minus the share of films shown that break what the user had said.
- repeats: minus the share of films shown that were shown before or are not in the catalog.
- reward_model: the trained reward model's score of (state, act).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from convrec.agent.policy import PolicyInput, parse_choice
from convrec.rl.config import REWARD_NAMES
from convrec.rl.rollout import Outcome

RewardFunc = Callable[..., list[float]]


def completion_text(completion: Any) -> str:
    """The text of a completion, plain or conversational ([{'role', 'content'}])."""
    if isinstance(completion, list):
        return "".join(str(m.get("content", "")) for m in completion if isinstance(m, dict))
    return str(completion)


def _acts_and_outcomes(completions: Sequence[Any], state: Sequence[str],
                       outcomes: Sequence[str]) -> list[Outcome | None]:
    """The measured outcome of each completion's act; None for an invalid act."""
    out: list[Outcome | None] = []
    for completion, state_json, outcomes_json in zip(completions, state, outcomes, strict=True):
        act = parse_choice(completion_text(completion),
                           PolicyInput.model_validate_json(state_json))
        measured = json.loads(outcomes_json)
        out.append(Outcome.model_validate(measured[act]) if act in measured else None)
    return out


def valid_act(prompts: Sequence[Any], completions: Sequence[Any], *, state: Sequence[str],
              outcomes: Sequence[str], **_: Any) -> list[float]:
    return [0.0 if o is not None else -1.0
            for o in _acts_and_outcomes(completions, state, outcomes)]


def rank_credit(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / math.log2(1 + rank)


def target_rank(prompts: Sequence[Any], completions: Sequence[Any], *, state: Sequence[str],
                outcomes: Sequence[str], **_: Any) -> list[float]:
    return [0.0 if o is None else rank_credit(o.hit_rank)
            for o in _acts_and_outcomes(completions, state, outcomes)]


def outcome_reward(o: Outcome, turn_cost: float) -> float:
    if o.turns_to_target is not None:
        return 1.0 - turn_cost * (o.turns_to_target - 1)
    return -turn_cost * o.turns


def make_outcome(turn_cost: float) -> RewardFunc:
    def outcome(prompts: Sequence[Any], completions: Sequence[Any], *, state: Sequence[str],
                outcomes: Sequence[str], **_: Any) -> list[float]:
        return [0.0 if o is None else outcome_reward(o, turn_cost)
                for o in _acts_and_outcomes(completions, state, outcomes)]

    return outcome


def violations(prompts: Sequence[Any], completions: Sequence[Any], *, state: Sequence[str],
               outcomes: Sequence[str], **_: Any) -> list[float]:
    return [0.0 if o is None or not o.shown else -o.violations / o.shown
            for o in _acts_and_outcomes(completions, state, outcomes)]


def repeats(prompts: Sequence[Any], completions: Sequence[Any], *, state: Sequence[str],
            outcomes: Sequence[str], **_: Any) -> list[float]:
    return [0.0 if o is None or not o.shown else -min(1.0, (o.repeats + o.out_of_catalog)
                                                      / o.shown)
            for o in _acts_and_outcomes(completions, state, outcomes)]


def success(prompts: Sequence[Any], completions: Sequence[Any], *, state: Sequence[str],
            outcomes: Sequence[str], **_: Any) -> list[float]:
    """1 when the completion's act went on to reach the target: a metric GRPO logs with
    weight 0 (the success curve of training), not a reward."""
    return [0.0 if o is None else float(o.success)
            for o in _acts_and_outcomes(completions, state, outcomes)]


def make_reward_model(scorer: Any) -> RewardFunc:
    """The reward model's score of each (state, act); 0 for an invalid act."""

    def reward_model(prompts: Sequence[Any], completions: Sequence[Any], *,
                     state: Sequence[str], outcomes: Sequence[str], **_: Any) -> list[float]:
        measured = _acts_and_outcomes(completions, state, outcomes)
        pairs = [(PolicyInput.model_validate_json(s), o.act)
                 for s, o in zip(state, measured, strict=True) if o is not None]
        scores = iter(scorer.score(pairs)) if pairs else iter(())
        return [0.0 if o is None else float(next(scores)) for o in measured]

    return reward_model


def reward_functions(weights: dict[str, float], turn_cost: float,
                     scorer: Any = None) -> tuple[list[RewardFunc], list[float]]:
    """The reward callables with a non-zero weight, in REWARD_NAMES order, and the weights."""
    made: dict[str, RewardFunc] = {
        "valid_act": valid_act, "target_rank": target_rank, "outcome": make_outcome(turn_cost),
        "violations": violations, "repeats": repeats}
    if scorer is not None:
        made["reward_model"] = make_reward_model(scorer)
    funcs, used = [], []
    for name in REWARD_NAMES:
        weight = weights.get(name, 0.0)
        if weight and name in made:
            func = made[name]
            func.__name__ = name
            funcs.append(func)
            used.append(float(weight))
    return funcs, used
