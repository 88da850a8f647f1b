"""`convrec rl reward-model`: preference pairs -> TRL's RewardTrainer, then its accuracy
on the pairs of held-out scenarios.

The reward model is the embedded backbone with a one-output sequence-classification head
(LoRA through peft when `lora` is set). It reads the policy's own prompt (`policy_messages`)
followed by one choice as the assistant's reply, and scores how good that choice is there.
The folder it writes holds the model, the tokenizer and `metrics.json`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from transformers import AutoModelForSequenceClassification, AutoTokenizer

from convrec.agent.policy import PolicyInput, policy_messages
from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.rl.config import RewardModelConfig
from convrec.rl.data import preference_pairs, sample, split_states
from convrec.rl.models import base_model_folder, common_args, lora_config, on_cpu
from convrec.rl.monitor import TrainingMonitor
from convrec.rl.rollout import StateRecord


def train_reward_model(config: RewardModelConfig, states: list[StateRecord],
                       settings: Settings, out: Path) -> dict[str, Any]:
    """Train, save into `out`, measure held-out pairwise accuracy; returns the metrics."""
    # deferred: datasets and trl load only when a stage trains
    from datasets import Dataset

    # deferred: trl loads only when a stage trains (with transformers and torch)
    from trl import RewardConfig, RewardTrainer

    train_states, held_states = split_states(states, config.heldout_fraction, config.seed)
    train_pairs = sample(preference_pairs(train_states), config.max_pairs, config.seed)
    held_pairs = sample(preference_pairs(held_states), config.heldout_max_pairs, config.seed)
    if not train_pairs:
        raise ConvrecError("no preference pairs: every act tried led to the same outcome "
                           "(collect more scenarios, or with branch_turns above 0)")
    base = base_model_folder(config.base_model, settings)
    cpu = on_cpu(None)
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=1, local_files_only=True, dtype="float32")
    model.config.pad_token_id = tokenizer.pad_token_id
    out.mkdir(parents=True, exist_ok=True)
    monitor = TrainingMonitor(out, "reward_model")
    args = RewardConfig(
        **common_args(out / "trainer", seed=config.seed, cpu=cpu, logging_steps=5),
        per_device_train_batch_size=config.batch_size, num_train_epochs=config.epochs,
        max_steps=config.max_steps, learning_rate=config.learning_rate,
        max_length=config.max_length, save_strategy="no")
    columns = ["prompt", "chosen", "rejected"]
    trainer = RewardTrainer(
        model=model, args=args, processing_class=tokenizer,
        train_dataset=Dataset.from_list([{c: p[c] for c in columns} for p in train_pairs]),
        peft_config=lora_config("SEQ_CLS", config.lora_r) if config.lora else None,
        callbacks=[monitor])
    monitor.attach(trainer)
    started = time.perf_counter()
    result = trainer.train()
    seconds = time.perf_counter() - started
    trained: Any = trainer.model
    if config.lora:
        trained = trained.merge_and_unload()
    trained.save_pretrained(out)
    tokenizer.save_pretrained(out)
    scorer = RewardScorer(out, model=trained, tokenizer=tokenizer)
    accuracy = pairwise_accuracy(scorer, held_pairs)
    metrics = {
        "train_pairs": len(train_pairs), "heldout_pairs": len(held_pairs),
        "train_scenarios": len({s.scenario for s in train_states}),
        "heldout_scenarios": len({s.scenario for s in held_states}),
        "heldout_accuracy": accuracy, "train_loss": round(float(result.training_loss), 4),
        "seconds": round(seconds, 1), **monitor.summary(),
        "base_model": str(base), "config": config.__dict__,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str))
    return metrics


def pairwise_accuracy(scorer: RewardScorer, pairs: list[dict[str, Any]]) -> float | None:
    """Share of pairs whose chosen reply scores above the rejected one (ties count half)."""
    if not pairs:
        return None
    chosen = scorer.score_messages([p["prompt"] + p["chosen"] for p in pairs])
    rejected = scorer.score_messages([p["prompt"] + p["rejected"] for p in pairs])
    wins = sum(1.0 if c > r else 0.5 if c == r else 0.0
               for c, r in zip(chosen, rejected, strict=True))
    return round(wins / len(pairs), 4)


class RewardScorer:
    """Scores (state, choice) pairs with a trained reward model folder."""

    def __init__(self, folder: Path, *, model: Any = None, tokenizer: Any = None,
                 batch_size: int = 16) -> None:
        # deferred: transformers' model classes load only when a reward model is scored
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        if model is None and not (Path(folder) / "config.json").is_file():
            raise ConvrecError(f"no reward model at {folder}: run convrec rl reward-model first")
        self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(folder, local_files_only=True)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = model or AutoModelForSequenceClassification.from_pretrained(
            folder, local_files_only=True, dtype="float32")
        self.model.eval()
        self.batch_size = batch_size

    def score(self, pairs: Sequence[tuple[PolicyInput, str]]) -> list[float]:
        return self.score_messages([
            [*policy_messages(state, plans=True), {"role": "assistant", "content": choice}]
            for state, choice in pairs])

    def score_messages(self, conversations: Sequence[list[dict[str, str]]]) -> list[float]:
        import torch  # deferred: torch loads only when a reward model is scored

        scores: list[float] = []
        for start in range(0, len(conversations), self.batch_size):
            batch = [self.tokenizer.apply_chat_template(c, tokenize=False)
                     for c in conversations[start:start + self.batch_size]]
            encoded = self.tokenizer(batch, return_tensors="pt", padding=True,
                                     add_special_tokens=False)
            with torch.inference_mode():
                logits = self.model(**encoded.to(self.model.device)).logits
            scores += [float(x) for x in logits[:, 0]]
        return scores
