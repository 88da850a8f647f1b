"""The four RL stages by name, as `convrec rl` and the browser app's Train tab run them: the
same library call for each, with one progress signature (label, done, total)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.progress import Progress
from convrec.rl.config import RlConfig

STAGES = ("collect", "reward_model", "grpo", "eval")
STAGE_FOLDERS = {"collect": "collect", "reward_model": "reward-model", "grpo": "policy",
                 "eval": "eval"}
TRAINER_FOLDERS = ("reward-model", "warm-start", "policy")
"""The folders a trainer writes train_log.jsonl into and watches for a STOP file."""


def states(run: Path) -> list[Any]:
    """The collected training states of a run (what the reward model and GRPO learn from)."""
    from convrec.rl.rollout import TRAJECTORIES, read_states  # deferred: the agent (sklearn)

    return read_states(run / "collect" / TRAJECTORIES)


def run_stage(name: str, config: RlConfig, settings: Settings, run: Path, *,
              progress: Progress | None = None,
              policies: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one stage into `run`; returns its summary. `policies` is eval's checkpoints (default:
    the run's warm start and policy)."""
    if name == "collect":
        from convrec.rl.rollout import collect  # deferred: the agent (sklearn)

        return collect(config.collect, settings, run / "collect", progress=progress)
    if name == "reward_model":
        from convrec.rl.reward_model import train_reward_model  # deferred: transformers (torch)

        return train_reward_model(config.reward_model, states(run), settings,
                                  run / "reward-model")
    if name == "grpo":
        from convrec.rl.grpo import train_policy  # deferred: transformers, trl (torch)

        return train_policy(config, states(run), settings, run)
    if name == "eval":
        from convrec.rl.evaluate import evaluate  # deferred: its monitor imports transformers

        return evaluate(config, settings, run, policies=policies, progress=progress)
    raise ConvrecError(f"unknown RL stage {name!r}; stages are {', '.join(STAGES)}")
