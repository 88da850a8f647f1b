"""The RL loop's parts that need no model: the config (YAML, overrides, refusals), the
policy's choices, the reward functions and the training sets built from collected states."""

from __future__ import annotations

import json
import math
import os

import pytest

from convrec.agent.policy import (
    PolicyDecision,
    PolicyInput,
    RulePolicy,
    choices,
    decision_for,
    parse_choice,
    policy_messages,
)
from convrec.errors import ConvrecError
from convrec.rl.config import RlConfig, load_config
from convrec.rl.data import grpo_rows, preference_pairs, split_states, warm_start_examples
from convrec.rl.rewards import (
    make_outcome,
    rank_credit,
    repeats,
    reward_functions,
    success,
    target_rank,
    valid_act,
    violations,
)
from convrec.rl.rollout import Outcome, ScriptedPolicy, StateRecord


def state(**changes) -> PolicyInput:
    base = dict(turn=1, user_act="inform", hard_constraints=1, slots=["genre"],
                has_wish=True, candidates=2000, rankers=["search_bm25", "search_dense",
                                                          "rank_cf"])
    return PolicyInput(**{**base, **changes})


# ----------------------------------------------------------------------------- config


def test_config_reads_yaml_then_overrides(tmp_path):
    path = tmp_path / "rl.yaml"
    path.write_text("collect:\n  n: 7\n  scenarios: [movielens:dev]\n"
                    "grpo:\n  steps: 9\n  rewards:\n    turn_cost: 0.2\n")
    config = load_config(path, ["grpo.steps=11", "grpo.rewards.weights={\"outcome\": 2}",
                                "grpo.use_cpu=true", "eval.n=3"])
    assert config.collect.n == 7 and config.collect.scenarios == ["movielens:dev"]
    assert config.grpo.steps == 11 and config.grpo.rewards.turn_cost == 0.2
    assert config.grpo.rewards.weights == {"outcome": 2.0}
    assert config.grpo.use_cpu is True and config.eval.n == 3
    assert load_config(None).to_json() == RlConfig().to_json()
    assert load_config(None, base=RlConfig.small()).grpo.steps == 2


def test_set_accepts_the_command_line_spellings():
    config = load_config(None, ["collect.scenarios=movielens:dev, redial:dev",
                                "grpo.use_cpu=none", "grpo.lora= Yes ", "grpo.learning_rate=1e-4",
                                "collect.n= 12 ", "eval.personas={\"terse\": 1}"])
    assert config.collect.scenarios == ["movielens:dev", "redial:dev"]
    assert config.grpo.use_cpu is None and config.grpo.lora is True
    assert config.grpo.learning_rate == 1e-4 and config.collect.n == 12
    assert config.eval.personas == {"terse": 1.0}
    for bad, fragment in (("grpo.lora=maybe", "'maybe' is not a valid bool"),
                          ("collect.n=2.5", "'2.5' is not a valid int"),
                          ("eval.personas={bad", "is not a valid dict")):
        with pytest.raises(ConvrecError, match=fragment) as info:
            load_config(None, [bad])
        assert "\n" not in str(info.value)


@pytest.mark.parametrize(("yaml_text", "overrides", "fragment"), [
    ("collect:\n  scenarios: [movielens:test]\n", [], "dev split"),
    ("grpo:\n  stepz: 3\n", [], "unknown field stepz"),
    ("training:\n  steps: 3\n", [], "unknown section"),
    ("grpo: [1, 2]\n", [], "mapping"),
    ("collect: {n: [}", [], "not valid YAML"),
    ("", ["grpo.steps"], "section.field=value"),
    ("", ["grpo.steps=many"], "not a valid int"),
    ("", ["grpo.num_generations=1"], "at least 2"),
    ("", [f"collect.workers={(os.cpu_count() or 1) + 1}"], "cores"),
    ("", ["grpo.rewards.weights={\"fun\": 1}"], "unknown reward fun"),
    ("", ["grpo.vllm_mode=remote"], "colocate or server"),
])
def test_bad_config_is_one_clear_error(tmp_path, yaml_text, overrides, fragment):
    path = tmp_path / "rl.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConvrecError, match=fragment) as info:
        load_config(path, overrides)
    assert "\n" not in str(info.value)


# ----------------------------------------------------------------------------- choices


def test_choices_spread_recommend_over_ranker_sets():
    options = choices(state())
    assert options[0] == "recommend"
    assert {"recommend:bm25+dense", "recommend:cf", "recommend:dense+cf"} <= set(options)
    assert "ask_era" in options and "answer" not in options
    assert choices(state(user_act="question")) == ["answer"]
    decision = decision_for("recommend:bm25+cf", "test")
    assert decision.act == "recommend" and decision.plan == ["search_bm25", "rank_cf"]
    assert decision.choice() == "recommend:bm25+cf"
    assert decision_for("ask_era", "test").plan is None
    for bad in ("recommend:imdb", "ask_era:bm25", "dance"):
        with pytest.raises((ValueError, KeyError)):
            decision_for(bad, "test")


def test_parse_choice_accepts_only_allowed_choices():
    s = state()
    assert parse_choice("recommend:cf", s) == "recommend:cf"
    assert parse_choice("  ask_era.\n", s) == "ask_era"
    assert parse_choice("answer", s) is None  # not allowed here
    assert parse_choice("", s) is None
    messages = policy_messages(s, plans=True)
    assert "allowed: recommend, " in messages[-1]["content"]
    assert "candidates 2000" in messages[-1]["content"]


def test_scripted_policy_plays_its_script_then_the_base_policy():
    policy = ScriptedPolicy(RulePolicy())
    policy.reset(["recommend:cf", "ask_mood"])
    assert policy.decide(state()).plan == ["rank_cf"]
    assert policy.decide(state(turn=2)).act == "ask_mood"
    third = policy.decide(state(turn=3, user_act="reject", shown=5))
    assert third == PolicyDecision(act="recommend", source="rules")
    assert policy.acts == ["recommend:cf", "ask_mood", "recommend"]
    assert len(policy.seen) == 3


# ----------------------------------------------------------------------------- rewards


def outcomes(**by_act: Outcome) -> str:
    return json.dumps({a: o.model_dump(mode="json") for a, o in by_act.items()})


HIT = Outcome(act="recommend", shown=5, hit_rank=2, violations=1, repeats=1, success=True,
              turns_to_target=1, turns=1, target_rank=2)
LATER = Outcome(act="ask_era", shown=0, success=True, turns_to_target=3, turns=3,
                target_rank=1)
MISS = Outcome(act="recommend:cf", shown=5, out_of_catalog=5, turns=4)


def test_rewards_read_the_measured_outcome_of_each_completion():
    s = state().model_dump_json()
    measured = outcomes(recommend=HIT, ask_era=LATER, **{"recommend:cf": MISS})
    completions = [[{"role": "assistant", "content": c}]
                   for c in ("recommend", "ask_era", "recommend:cf", "dance")]
    cols = {"state": [s] * 4, "outcomes": [measured] * 4}
    prompts = [None] * 4
    assert valid_act(prompts, completions, **cols) == [0.0, 0.0, 0.0, -1.0]
    assert target_rank(prompts, completions, **cols) == [pytest.approx(1 / math.log2(3)),
                                                         0.0, 0.0, 0.0]
    outcome = make_outcome(0.1)(prompts, completions, **cols)
    assert outcome == pytest.approx([1.0, 0.8, -0.4, 0.0])
    assert violations(prompts, completions, **cols) == [-0.2, 0.0, 0.0, 0.0]
    assert repeats(prompts, completions, **cols) == [-0.2, 0.0, -1.0, 0.0]
    assert success(prompts, completions, **cols) == [1.0, 1.0, 0.0, 0.0]
    assert rank_credit(1) == 1.0 and rank_credit(None) == 0.0


def test_reward_functions_keep_the_weighted_ones():
    funcs, weights = reward_functions({"valid_act": 1.0, "outcome": 2.0, "repeats": 0.0,
                                       "reward_model": 0.5}, 0.1, scorer=None)
    assert [f.__name__ for f in funcs] == ["valid_act", "outcome"]  # no scorer: no RM
    assert weights == [1.0, 2.0]


# ----------------------------------------------------------------------------- datasets


def record(scenario: str, turn: int, by_act: dict[str, Outcome], policy_act: str) -> StateRecord:
    return StateRecord(scenario=scenario, source="movielens", persona="terse", seed=1,
                       turn=turn, prefix=[], state=state(turn=turn), allowed=choices(state()),
                       policy_act=policy_act, outcomes=by_act)


def test_training_sets_from_states():
    tie = Outcome(act="ask_era", success=True, turns_to_target=1, turns=1, target_rank=2)
    states = [
        record("a", 1, {"recommend": HIT, "ask_era": LATER, "recommend:cf": MISS}, "ask_era"),
        record("b", 1, {"recommend": HIT, "ask_era": tie}, "ask_era"),  # equal: no pair
        record("c", 1, {"recommend": MISS.model_copy(update={"act": "recommend"})},
               "recommend"),
        record("d", 1, {"recommend": HIT, "ask_era": LATER.model_copy(
            update={"replay_ok": False})}, "recommend"),
    ]
    pairs = preference_pairs(states)
    chosen = {(p["scenario"], p["chosen"][0]["content"], p["rejected"][0]["content"])
              for p in pairs}
    assert chosen == {("a", "recommend", "ask_era"), ("a", "recommend", "recommend:cf"),
                      ("a", "ask_era", "recommend:cf")}
    warm = warm_start_examples(states)
    # a: the best; b: a tie goes to the policy's own choice; c: nothing reached the target
    assert [w["completion"][0]["content"] for w in warm] == ["recommend", "ask_era",
                                                               "recommend"]
    rows = grpo_rows(states, 0.1)
    assert [r["scenario"] for r in rows] == ["a", "b"]  # c: one act; d: one trusted act
    assert set(json.loads(rows[0]["outcomes"])) == {"recommend", "ask_era", "recommend:cf"}
    train, held = split_states(states * 10, 0.5, seed=3)
    assert {s.scenario for s in train}.isdisjoint({s.scenario for s in held})
