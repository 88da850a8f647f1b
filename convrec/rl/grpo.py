"""`convrec rl grpo`: a supervised warm start, then TRL's GRPOTrainer on the collected states.

Warm start (`warm-start/`): SFTTrainer on the best choice of each collected state (the
choice whose dialogue reached the target soonest; the collecting policy's own on ties).
The zero-shot 135M model almost never names a valid act with a useful plan, so GRPO from
it gets no signal (DESIGN.md); after the warm start it samples sensible choices and GRPO
sharpens them.

GRPO (`policy/`): each prompt is a collected state (`policy_messages`, the chat the trained
policy reads at run time); `num_generations` choices are sampled per state and scored by the
reward callables of `convrec.rl.rewards` (the measured outcome of the act, its target rank,
violations, repeats, validity, and the reward model), weighted by `rewards.weights`; the
`success` metric (did that act's dialogue reach the target) is logged with weight 0.

Multi-turn rollouts through TRL's `environment_factory` need a model whose chat template
can call tools (TRL checks it); SmolLM2-135M's cannot, so a GRPO sample is one decision and
the rest of the dialogue is credited through the measured outcome of that decision (the
simulated dialogue played to its end by the collecting policy).

On a GPU: `use_vllm=True` (colocate, or `trl vllm-serve` with vllm_mode=server) and a
larger `base_model` folder, with `lora=True`; nothing else changes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from transformers import AutoTokenizer

from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.rl.card import write_card
from convrec.rl.config import GrpoStageConfig, RlConfig
from convrec.rl.data import grpo_rows, warm_start_examples
from convrec.rl.models import base_model_folder, common_args, lora_config, on_cpu
from convrec.rl.monitor import TrainingMonitor
from convrec.rl.reward_model import RewardScorer
from convrec.rl.rewards import reward_functions, success
from convrec.rl.rollout import StateRecord

WARM = "warm-start"
POLICY = "policy"


def warm_start(config: GrpoStageConfig, states: list[StateRecord], base: Path,
               out: Path) -> dict[str, Any]:
    """SFT on the best choices; saves a loadable policy into `out`."""
    # deferred: datasets and trl load only when a stage trains
    from datasets import Dataset

    # deferred: trl loads only when a stage trains (with transformers and torch)
    from trl import SFTConfig, SFTTrainer

    examples = warm_start_examples(states)
    if not examples:
        raise ConvrecError("no state reached the target: nothing to warm-start on "
                           "(collect more scenarios)")
    cpu = on_cpu(config.use_cpu)
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    monitor = TrainingMonitor(out, "warm_start")
    args = SFTConfig(
        **common_args(out / "trainer", seed=config.seed, cpu=cpu,
                      logging_steps=config.logging_steps),
        per_device_train_batch_size=8, num_train_epochs=config.warm_start_epochs,
        max_steps=config.warm_start_max_steps, learning_rate=config.warm_start_lr,
        max_length=512, save_strategy="no", completion_only_loss=True,
        model_init_kwargs={"dtype": "float32"})
    trainer = SFTTrainer(model=str(base), args=args, processing_class=tokenizer,
                         train_dataset=Dataset.from_list(examples),
                         peft_config=lora_config("CAUSAL_LM", 16) if config.lora else None,
                         callbacks=[monitor])
    return {"examples": len(examples),
            **_train(trainer, tokenizer, monitor, out, merge=config.lora)}


def run_grpo(config: GrpoStageConfig, states: list[StateRecord], start: Path, out: Path,
             reward_model: Path | None) -> dict[str, Any]:
    """GRPO from the policy at `start`; saves the trained policy into `out`."""
    # deferred: datasets and trl load only when a stage trains
    from datasets import Dataset

    # deferred: trl loads only when a stage trains (with transformers and torch)
    from trl import GRPOConfig, GRPOTrainer

    rows = grpo_rows(states, config.rewards.turn_cost)
    if not rows:
        raise ConvrecError("no state where the acts tried ended differently: GRPO would learn "
                           "nothing (collect more scenarios)")
    weights = dict(config.rewards.weights)
    scorer = None
    if weights.get("reward_model"):
        if reward_model is None or not (reward_model / "config.json").is_file():
            raise ConvrecError("grpo.rewards.weights.reward_model is set but there is no reward "
                               "model: run convrec rl reward-model first (or set its weight to 0)")
        scorer = RewardScorer(reward_model)
    funcs, used = reward_functions(weights, config.rewards.turn_cost, scorer)
    funcs.append(success)
    used.append(0.0)
    cpu = on_cpu(config.use_cpu)
    tokenizer = AutoTokenizer.from_pretrained(start, local_files_only=True)
    tokenizer.padding_side = "left"
    monitor = TrainingMonitor(out, "grpo")
    batch = config.prompts_per_step * config.num_generations
    extra: dict[str, Any] = {}
    if config.use_vllm:
        extra = {"use_vllm": True, "vllm_mode": config.vllm_mode}
    args = GRPOConfig(
        **common_args(out / "trainer", seed=config.seed, cpu=cpu,
                      logging_steps=config.logging_steps),
        per_device_train_batch_size=batch, num_generations=config.num_generations,
        max_completion_length=config.max_completion_length, learning_rate=config.learning_rate,
        beta=config.beta, temperature=config.temperature, max_steps=config.steps,
        save_strategy="steps", save_steps=config.save_steps, save_total_limit=2,
        reward_weights=used, model_init_kwargs={"dtype": "float32"}, **extra)
    trainer = GRPOTrainer(model=str(start), reward_funcs=list(funcs),  # type: ignore[arg-type]
                          args=args,
                          train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
                          peft_config=lora_config("CAUSAL_LM", 16) if config.lora else None,
                          callbacks=[monitor])
    return {"prompts": len(rows), "reward_weights":
            dict(zip([f.__name__ for f in funcs], used, strict=True)),
            **_train(trainer, tokenizer, monitor, out, merge=config.lora)}


def _train(trainer: Any, tokenizer: Any, monitor: TrainingMonitor, out: Path, *,
           merge: bool) -> dict[str, Any]:
    """Train (stopping cleanly on a STOP file), save the policy into `out`; the figures."""
    monitor.attach(trainer)
    started = time.perf_counter()
    result = trainer.train()
    seconds = time.perf_counter() - started
    _save(trainer, tokenizer, out, merge=merge)
    return {"train_loss": round(float(result.training_loss), 4),
            "seconds": round(seconds, 1), **monitor.summary()}


def _save(trainer: Any, tokenizer: Any, out: Path, *, merge: bool) -> None:
    model = trainer.model
    if merge:
        model = model.merge_and_unload()
    tokenizer.padding_side = "left"
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def train_policy(config: RlConfig, states: list[StateRecord], settings: Settings,
                 run: Path) -> dict[str, Any]:
    """Warm start (unless its epochs and steps are 0), then GRPO; writes `run/warm-start`
    and `run/policy`, each a loadable policy with a model card. A warm start stopped by a STOP
    file ends the stage there (no GRPO)."""
    grpo = config.grpo
    base = base_model_folder(grpo.base_model, settings)
    start = base
    report: dict[str, Any] = {"base_model": str(base)}
    if grpo.warm_start_epochs > 0 or grpo.warm_start_max_steps > 0:
        report["warm_start"] = warm_start(grpo, states, base, run / WARM)
        write_card(run / WARM, config, run, stage="warm_start", training=report)
        start = run / WARM
        if report["warm_start"].get("stopped_early"):  # a stop request ends the stage
            report["grpo"] = {"skipped": "stopped during the warm start"}
            (run / "grpo.json").write_text(json.dumps(report, indent=2))
            return report
    reward_model = run / "reward-model"
    report["grpo"] = run_grpo(grpo, states, start, run / POLICY,
                              reward_model if reward_model.is_dir() else None)
    write_card(run / POLICY, config, run, stage="grpo", training=report)
    (run / "grpo.json").write_text(json.dumps(report, indent=2))
    return report
