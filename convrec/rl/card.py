"""The model card of a trained policy (huggingface_hub's ModelCard, README.md in the
checkpoint folder) and `policy.json`, what convrec reads to know the folder is a policy.

The card records the data (collect's summary), the rewards and their weights, the whole
config, the training figures, and, once `convrec rl eval` has run, the results against the
starting policy with their confidence intervals.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from convrec.agent.policy import POLICY_FILE
from convrec.prompts import POLICY_PROMPT_VERSION
from convrec.rl.config import RlConfig

POLICY_FORMAT = "convrec-policy/1"


def _read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None


def write_card(folder: Path, config: RlConfig, run: Path, *, stage: str,
               training: dict[str, Any] | None = None,
               results: str | None = None,
               prompt_version: int = POLICY_PROMPT_VERSION) -> Path:
    """Write policy.json and the model card into the checkpoint `folder`. `prompt_version` is
    the version of the policy prompt the weights were trained on (convrec.prompts), which
    loading checks: the current one for a fresh training, the recorded one when rewriting."""
    from huggingface_hub import ModelCard, ModelCardData  # deferred: only when a card is written

    collect = _read(run / "collect" / "collect.json") or {}
    reward_model = _read(run / "reward-model" / "metrics.json")
    info = _read(folder / POLICY_FILE) or {}
    training = training if training is not None else info.get("training", {})
    info = {"format": POLICY_FORMAT, "choices": "acts+plans", "stage": stage,
            "base_model": (training or {}).get("base_model", ""),
            "prompt_version": prompt_version, "training": training}
    (folder / POLICY_FILE).write_text(json.dumps(info, indent=2, default=str))
    data = ModelCardData(library_name="transformers", license="apache-2.0",
                         tags=["convrec", "dialogue-policy", "trl", stage.replace("_", "-")],
                         pipeline_tag="text-generation")
    weights = config.grpo.rewards.weights
    lines = [
        f"# convrec dialogue policy ({stage.replace('_', ' ')})",
        "",
        "The dialogue policy of convrec's agent: given the dialogue state as JSON and the "
        "allowed choices, it names the next act (ask which question, recommend and with "
        "which rankers, answer, chitchat). Use it with `convrec chat --policy PATH`, "
        "`convrec ui --policy PATH`, `convrec simulate --policy PATH` or the setting "
        "`CONVREC_AGENT_POLICY_PATH`.",
        "",
        f"- Base model: `{info['base_model']}`",
        f"- Policy prompt version: {prompt_version} (convrec/prompts/policy_plans_*.txt and "
        "policy_state.txt; a convrec with another version refuses this checkpoint)",
        f"- Stage: {stage} (warm start: SFT on the best choice of each collected state; "
        "grpo: TRL GRPOTrainer from the warm start)",
        "",
        "## Data",
        f"Simulated dialogues on the dev split only ({', '.join(config.collect.scenarios)}, "
        f"{config.collect.n} scenarios each, template simulator, seed {config.collect.seed}); "
        f"every allowed choice tried at the first {config.collect.branch_turns} decisions.",
        "",
        "```json", json.dumps(collect, indent=2), "```",
        "",
        "## Rewards",
        "Verifiable rewards measured by running each act (convrec/rl/rewards.py), and the "
        "reward model's score, weighted:",
        "",
        *[f"- {name}: {weight}" for name, weight in weights.items()],
        f"- turn cost: {config.grpo.rewards.turn_cost}",
        "",
    ]
    if reward_model:
        lines += ["## Reward model",
                  f"Held-out pairwise accuracy {reward_model.get('heldout_accuracy')} on "
                  f"{reward_model.get('heldout_pairs')} pairs of "
                  f"{reward_model.get('heldout_scenarios')} unseen scenarios.", ""]
    lines += ["## Training", "```json", json.dumps(training, indent=2, default=str), "```", "",
              "## Results", results or "Not evaluated yet: run `convrec rl eval`.", "",
              "## Config", "```yaml", config.to_yaml(), "```"]
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n")
    path = folder / "README.md"
    card.save(path)
    return path


def read_policy_info(folder: Path) -> dict[str, Any] | None:
    return _read(folder / POLICY_FILE)
