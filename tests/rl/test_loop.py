"""The whole RL loop on the real catalog and the embedded model, as a user runs it:
`convrec rl collect`, `reward-model`, `grpo` and `eval` with the few-step config, then the
trained policy in the agent and in `convrec chat --policy`.

One run (module-scoped) feeds every test: a few steps of each stage take a few minutes on
2 cores."""

from __future__ import annotations

import json
import math

import pytest

from tests.test_cli import assert_one_line_error, run_cli


@pytest.fixture(scope="module")
def env(sim_settings, sim_home, real_data_dir):
    return {"CONVREC_HOME": str(sim_settings.home), "CONVREC_DATA_DIR": str(real_data_dir),
            "CONVREC_CATALOG_PATH": str(sim_settings.catalog),
            "CONVREC_INDEX_DIR": str(sim_settings.index),
            "CONVREC_LLM_CACHE_DIR": str(sim_settings.llm_cache)}


@pytest.fixture(scope="module")
def run(env, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rl") / "run"
    for stage in ("collect", "reward-model", "grpo", "eval"):
        options = ["--small"] if stage == "collect" else []
        result = run_cli("rl", stage, "--run", str(folder), *options, "--json", env=env,
                         timeout=900)
        assert result.returncode == 0, f"{stage}: {result.stderr[-3000:]}"
    return folder


def _finite(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def test_collect_tries_every_choice_and_replays_exactly(run):
    from convrec.rl.rollout import read_states

    states = read_states(run / "collect" / "trajectories.jsonl")
    assert {s.scenario.split(":")[0] for s in states} == {"movielens", "redial"}
    first = [s for s in states if s.turn == 1]
    assert first and all(set(s.outcomes) == set(s.allowed) for s in first)
    assert all(o.replay_ok and o.error is None for s in states for o in s.outcomes.values())
    summary = json.loads((run / "collect" / "collect.json").read_text())
    assert summary["scenarios"] == 4 and summary["replay_mismatches"] == 0


def test_training_losses_are_finite_and_logged(run):
    reward_model = json.loads((run / "reward-model" / "metrics.json").read_text())
    assert _finite(reward_model["train_loss"]) and reward_model["train_pairs"] > 0
    assert reward_model["steps"] == 2 and reward_model["peak_rss_mb"] > 0
    report = json.loads((run / "grpo.json").read_text())
    for stage in ("warm_start", "grpo"):
        assert _finite(report[stage]["train_loss"]), stage
        assert report[stage]["steps"] == 2 and _finite(report[stage]["step_seconds_mean"])
    log = [json.loads(line) for line in (run / "policy" / "train_log.jsonl").open()]
    steps = [row for row in log if "reward" in row]
    assert len(steps) == 2
    assert all(_finite(row["loss"]) and _finite(row["reward"]) for row in steps)
    assert all("rewards/success/mean" in row for row in steps)


def test_checkpoints_load_and_score(run):
    from convrec.agent.policy import PolicyInput, choices, load_trained_policy
    from convrec.rl.reward_model import RewardScorer

    state = PolicyInput(turn=1, user_act="inform", slots=["genre"], hard_constraints=1,
                        candidates=900, rankers=["search_bm25", "search_dense"], has_wish=True)
    for folder in ("warm-start", "policy"):
        decision = load_trained_policy(run / folder).decide(state)
        assert decision.choice() in choices(state)
        assert decision.source == f"policy:{folder}" and len(decision.scores) > 1
    scores = RewardScorer(run / "reward-model").score([(state, "recommend"), (state, "ask_era")])
    assert len(scores) == 2 and all(math.isfinite(s) for s in scores)


def test_model_card_records_data_rewards_config_and_results(run):
    card = (run / "policy" / "README.md").read_text()
    for part in ("base_model", "## Data", "## Rewards", "outcome: 1.0", "## Reward model",
                 "## Training", "## Results", "agent:none", "## Config", "library_name"):
        assert part in card, part
    info = json.loads((run / "policy" / "policy.json").read_text())
    assert info["format"] == "convrec-policy/1" and info["stage"] == "grpo"


def test_eval_compares_on_the_same_held_out_users(run):
    results = json.loads((run / "eval" / "results.json").read_text())
    assert set(results["policies"]) == {"baseline", "warm_start", "grpo"}
    assert set(results["comparisons"]) == {"warm_start - baseline", "grpo - baseline",
                                           "grpo - warm_start"}
    rows = results["comparisons"]["grpo - baseline"]
    assert {r["metric"] for r in rows} >= {"success", "avg_turns", "recall@10",
                                           "violation_rate"}
    assert all(r["method"] == "paired" for r in rows)
    from convrec.eval.runner import read_records

    base = read_records(run / "eval" / "baseline" / "dialogues.jsonl")
    trained = read_records(run / "eval" / "grpo" / "dialogues.jsonl")
    assert {r.scenario.id for r in base} == {r.scenario.id for r in trained}
    assert all(r.scenario.split == "test" for r in base)
    assert any("policy (policy:policy)" in line for r in trained for t in r.turns
               for line in t.trace)
    assert (run / "eval" / "training.png").stat().st_size > 0
    assert (run / "eval" / "grpo" / "report.md").is_file()


def test_agent_and_chat_use_the_trained_policy(run, env, tmp_path):
    script = tmp_path / "turns.txt"
    script.write_text("a comedy from the 90s\nsomething else\n")
    result = run_cli("chat", "--backend", "none", "--policy", str(run / "policy"),
                     "--script", str(script), env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    turns = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(turns) == 2
    assert all(any(t.startswith("policy (policy:policy)") for t in turn["trace"])
               for turn in turns)
    missing = run_cli("chat", "--backend", "none", "--policy", str(tmp_path / "nowhere"),
                      "--script", str(script), env=env)
    assert_one_line_error(missing, "no policy checkpoint")


def test_grpo_stops_cleanly_on_request(run, env, tmp_path):
    """A STOP file in the policy folder (what the UI writes) ends GRPO after the step in
    progress; the policy so far is saved, with its card, and loads."""
    import os
    import subprocess
    import sys
    import time

    from convrec.agent.policy import load_trained_policy

    log = run / "policy" / "train_log.jsonl"
    before = len(log.read_text().splitlines())
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CONVREC_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "convrec.cli", "rl", "grpo", "--run", str(run),
         "--set", "grpo.steps=200", "--set", "grpo.warm_start_max_steps=0",
         "--set", "grpo.warm_start_epochs=0", "--json"],
        env={**full_env, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 600
        while len(log.read_text().splitlines()) <= before and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[1][-3000:]
            time.sleep(1)
        (run / "policy" / "STOP").touch()
        out, err = process.communicate(timeout=600)
    finally:
        process.kill()
    assert process.returncode == 0, err[-3000:]
    report = json.loads(out)
    assert report["grpo"]["stopped_early"] and 1 <= report["grpo"]["steps"] < 200
    assert "warm_start" not in report
    state = {"turn": 1, "user_act": "inform", "candidates": 50, "rankers": ["search_dense"],
             "has_wish": True}
    from convrec.agent.policy import PolicyInput

    load_trained_policy(run / "policy").decide(PolicyInput(**state))
    assert "## Training" in (run / "policy" / "README.md").read_text()


def test_rl_bad_input_is_one_line(env, tmp_path):
    assert_one_line_error(run_cli("rl", "grpo", "--run", str(tmp_path / "empty"), env=env),
                          "run convrec rl collect first")
    assert_one_line_error(run_cli("rl", "collect", "--run", str(tmp_path / "r"), "--set",
                                  "collect.scenarios=movielens:test", env=env), "dev split")
    assert_one_line_error(run_cli("rl", "eval", "--run", str(tmp_path / "r2"), "--policy",
                                  str(tmp_path), env=env), "no policy checkpoint")
