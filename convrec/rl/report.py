"""The docs/BENCHMARKS.md section of an RL run, made from the files its stages wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from convrec.eval.report import machine_line, markdown_table
from convrec.rl.config import RlConfig


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def benchmark_section(run: Path, config: RlConfig, command: str | None = None) -> str:
    """The section; `command` is the command line that made the run (default: `convrec rl
    run` on that folder)."""
    collect = _read(run / "collect" / "collect.json")
    reward_model = _read(run / "reward-model" / "metrics.json")
    grpo = _read(run / "grpo.json")
    results = _read(run / "eval" / "results.json")
    stages = _read(run / "stages.json")
    warm = grpo.get("warm_start", {})
    policy = grpo.get("grpo", {})
    parts = [
        f"## RL: retraining the dialogue policy (`{run}`)",
        "Commands: the run was made by `convrec rl run --run " + str(run) + "` (or its four "
        "stages in turn); this section was written by:\n\n```\n"
        + (command or f"convrec rl run --run {run} --write NAME") + "\n```",
        f"Machine: {machine_line()}. Config: `{run / 'config.yaml'}` (collect n={config.collect.n}"
        f" per source on {', '.join(config.collect.scenarios)}, branch_turns="
        f"{config.collect.branch_turns}; GRPO {config.grpo.steps} steps x "
        f"{config.grpo.prompts_per_step} states x {config.grpo.num_generations} samples; eval "
        f"n={config.eval.n} per source on {', '.join(config.eval.scenarios)}, seed "
        f"{config.eval.seed}).",
    ]
    if stages:
        parts.append("Stage wall times (s): " + ", ".join(f"{k} {v}" for k, v in stages.items()))
    parts += [
        "### Collection (dev split)",
        markdown_table(["scenarios", "states", "branched", "outcomes", "replay mismatches",
                        "states where another choice did better", "seconds"],
                       [[collect.get("scenarios"), collect.get("states"),
                         collect.get("branched_states"), collect.get("outcomes"),
                         collect.get("replay_mismatches"),
                         collect.get("states_where_another_act_is_better"),
                         collect.get("seconds")]]),
        "### Training (2 cores, CPU)",
        markdown_table(
            ["stage", "examples", "steps", "step time mean (s)",
             "process peak RSS so far (MiB)", "seconds",
             "result"],
            [["reward model (RewardTrainer)", reward_model.get("train_pairs"),
              reward_model.get("steps"), _num(reward_model.get("step_seconds_mean"), 2),
              reward_model.get("peak_rss_mb"), reward_model.get("seconds"),
              f"held-out pairwise accuracy {_num(reward_model.get('heldout_accuracy'))} on "
              f"{reward_model.get('heldout_pairs')} pairs"],
             ["warm start (SFTTrainer)", warm.get("examples"), warm.get("steps"),
              _num(warm.get("step_seconds_mean"), 2), warm.get("peak_rss_mb"),
              warm.get("seconds"), f"train loss {_num(warm.get('train_loss'))}"],
             ["GRPO (GRPOTrainer)", policy.get("prompts"), policy.get("steps"),
              _num(policy.get("step_seconds_mean"), 2), policy.get("peak_rss_mb"),
              policy.get("seconds"), f"train loss {_num(policy.get('train_loss'))}"]]),
    ]
    figures = results.get("figures", {})
    if figures:
        metrics = list(next(iter(figures.values())))
        parts += ["### Held-out simulated users (test split)",
                  markdown_table(["policy", *metrics],
                                 [[f"{label} (`{results['policies'][label]}`)",
                                   *(_num(v) for v in row.values())]
                                  for label, row in figures.items()])]
        compare = run / "eval" / "compare.md"
        if compare.is_file():
            parts.append(compare.read_text().strip())
        parts.append(f"Training curves: `{run / 'eval' / 'training.png'}`.")
    return "\n\n".join(parts) + "\n"
