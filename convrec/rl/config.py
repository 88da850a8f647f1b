"""One config dataclass per RL stage; every field is documented, and each can be read from
YAML (a section per stage: `collect:`, `reward_model:`, `grpo:`, `eval:`) and overridden on
the command line with `--set field=value`.

Defaults are the CPU run: the embedded SmolLM2-135M on 2 cores, the whole loop in under an
hour (docs/BENCHMARKS.md has the figures). `small()` is the few-step config the tests run.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

import yaml
from pydantic import ConfigDict, TypeAdapter, ValidationError

from convrec.errors import ConvrecError
from convrec.eval.scenarios import parse_spec

DEFAULT_PERSONAS = {"cooperative": 0.4, "terse": 0.2, "mind_changer": 0.2, "impatient": 0.2}


@dataclass
class CollectConfig:
    """`convrec rl collect`: the current policy against simulated users, with branches."""

    scenarios: list[str] = field(
        default_factory=lambda: ["movielens:dev", "critics:dev", "redial:dev"])
    """Scenario sources, dev split only: the test split is kept for `convrec rl eval`."""
    n: int = 100
    """Scenarios drawn per source."""
    policy: str = "rules"
    """The policy that plays the dialogues: 'rules', or a checkpoint folder (a later round)."""
    branch_turns: int = 3
    """At each of the first this many decisions of a dialogue, every other allowed act is
    tried too (the dialogue replayed up to there, that act forced, then the policy again),
    so that each state has several actions with known outcomes."""
    max_turns: int = 5
    """T: the simulated user ends after this many system turns."""
    k: int = 5
    """Films per recommendation."""
    personas: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PERSONAS))
    """The persona mix of the simulated users."""
    withhold: list[str] = field(default_factory=list)
    """Facts the simulated users never tell (see `convrec simulate --withhold`)."""
    seed: int = 0
    """Draws the scenarios, personas and simulator choices."""
    workers: int = 2
    """Processes running dialogues (at most the cores here)."""


REWARD_NAMES = ("valid_act", "target_rank", "outcome", "violations", "repeats", "reward_model")
"""The reward functions of convrec/rl/rewards.py, in the order GRPO sums them."""


@dataclass
class RewardConfig:
    """The verifiable rewards of one policy step (convrec/rl/rewards.py) and their weights."""

    weights: dict[str, float] = field(default_factory=lambda: {
        "valid_act": 1.0, "target_rank": 0.5, "outcome": 1.0, "violations": 1.0,
        "repeats": 0.5, "reward_model": 0.5})
    """Weight of each reward function in the sum GRPO maximises; 0 turns one off."""
    turn_cost: float = 0.1
    """Taken off the outcome reward for every turn after this one until the target is shown."""


@dataclass
class RewardModelConfig:
    """`convrec rl reward-model`: preference pairs -> TRL RewardTrainer."""

    base_model: str = ""
    """A local HF model folder; empty: the embedded SmolLM2-135M (converted once)."""
    heldout_fraction: float = 0.2
    """Share of scenarios whose pairs are held out for the pairwise accuracy."""
    heldout_max_pairs: int = 600
    """Most held-out pairs scored (sampled with the seed), since scoring costs time too."""
    max_pairs: int = 320
    """Most training pairs (sampled with the seed when there are more); on 2 cores a pair
    costs about 1.5 s of training."""
    epochs: float = 1.0
    """Passes over the training pairs."""
    max_steps: int = -1
    """Stop after this many optimizer steps (-1: run the epochs)."""
    batch_size: int = 8
    """Pairs per step."""
    learning_rate: float = 5e-5
    """AdamW learning rate."""
    lora: bool = False
    """Train LoRA adapters (peft) instead of every weight; for models larger than 135M."""
    lora_r: int = 16
    """LoRA rank."""
    max_length: int = 384
    """Longest tokenised pair (prompt and act); longer ones are dropped."""
    seed: int = 0
    """Shuffles and splits the pairs, seeds the head's initialisation."""


@dataclass
class GrpoStageConfig:
    """`convrec rl grpo`: a supervised warm start, then TRL's GRPOTrainer."""

    base_model: str = ""
    """The policy to start from: a local HF causal LM folder; empty: the embedded model."""
    warm_start_epochs: float = 1.0
    """Epochs of the supervised warm start (SFTTrainer on the best act of each collected
    state); 0 skips it and GRPO starts from the base model."""
    warm_start_max_steps: int = 40
    """Stop the warm start after this many steps of 8 examples (-1: run the epochs)."""
    warm_start_lr: float = 1e-4
    """Learning rate of the warm start."""
    steps: int = 80
    """GRPO optimizer steps (about 12 s each on 2 cores with the defaults)."""
    num_generations: int = 4
    """Completions sampled per state (the group GRPO normalises rewards within)."""
    prompts_per_step: int = 2
    """States per optimizer step (each with num_generations completions)."""
    learning_rate: float = 1e-5
    """GRPO learning rate."""
    beta: float = 0.0
    """KL penalty towards the starting (warm) policy; 0 (TRL's default) skips the reference
    model's forward pass, a third of a CPU step."""
    temperature: float = 1.0
    """Sampling temperature of the completions."""
    max_completion_length: int = 8
    """Tokens per completion: an act name is 2 to 5."""
    rewards: RewardConfig = field(default_factory=RewardConfig)
    """Reward functions and their weights."""
    lora: bool = False
    """Train LoRA adapters instead of every weight (larger models on a GPU)."""
    use_vllm: bool = False
    """Generate with vLLM (GPU only; needs the `gpu` extra)."""
    vllm_mode: str = "colocate"
    """'colocate' (vLLM in the training process) or 'server' (`trl vllm-serve` elsewhere)."""
    use_cpu: bool | None = None
    """Train on the CPU; None: when no CUDA device is present."""
    logging_steps: int = 5
    """Log loss, rewards and step time every this many steps."""
    save_steps: int = 40
    """Write a checkpoint every this many steps (a stopped run keeps the last one)."""
    seed: int = 0
    """Seeds sampling and the data order."""


@dataclass
class EvalConfig:
    """`convrec rl eval`: the trained policy against the starting one on the test split."""

    scenarios: list[str] = field(
        default_factory=lambda: ["movielens:test", "critics:test", "redial:test"])
    """Held-out scenario sources (test split)."""
    n: int = 70
    """Scenarios per source (3 sources x 70 = 210 dialogues per policy)."""
    baseline: str = "rules"
    """The starting policy: 'rules' or a checkpoint folder."""
    max_turns: int = 5
    """T of the simulated users."""
    personas: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PERSONAS))
    """The persona mix."""
    seed: int = 0
    """The same seed for every policy: the same users, personas and simulator choices."""
    workers: int = 2
    """Processes running dialogues."""
    resamples: int = 2000
    """Bootstrap resamples of the confidence intervals."""


@dataclass
class RlConfig:
    collect: CollectConfig = field(default_factory=CollectConfig)
    reward_model: RewardModelConfig = field(default_factory=RewardModelConfig)
    grpo: GrpoStageConfig = field(default_factory=GrpoStageConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return str(yaml.safe_dump(self.to_json(), sort_keys=False))

    @classmethod
    def small(cls) -> RlConfig:
        """A few steps of each stage on a handful of scenarios (tests, smoke runs)."""
        config = cls()
        config.collect.n, config.collect.branch_turns, config.collect.workers = 2, 1, 1
        config.collect.scenarios = ["movielens:dev", "redial:dev"]
        config.reward_model.max_steps, config.reward_model.batch_size = 2, 4
        config.grpo.warm_start_max_steps, config.grpo.steps = 2, 2
        config.grpo.prompts_per_step, config.grpo.num_generations = 2, 2
        config.grpo.logging_steps, config.grpo.save_steps = 1, 1
        config.eval.n, config.eval.workers, config.eval.resamples = 2, 1, 200
        config.eval.scenarios = ["movielens:test", "redial:test"]
        return config


SECTIONS = {"collect": CollectConfig, "reward_model": RewardModelConfig,
            "grpo": GrpoStageConfig, "eval": EvalConfig}

T = TypeVar("T")


def _build(cls: type[T], data: dict[str, Any], where: str) -> T:
    """A dataclass from a dict, refusing unknown fields and values of the wrong type."""
    if not isinstance(data, dict):
        raise ConvrecError(f"{where}: expected a mapping of fields")
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConvrecError(f"{where}: unknown field {', '.join(unknown)}; fields are "
                           f"{', '.join(sorted(names))}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            values[key] = _build(hint, value, f"{where}.{key}")  # type: ignore[arg-type]
        else:
            values[key] = _coerce(value, hint, f"{where}.{key}")
    return cls(**values)


# Numbers written where a string belongs (`model: 123` in YAML) stay strings, as str() made them.
_LAX = ConfigDict(coerce_numbers_to_str=True)


@functools.cache
def _adapter(hint: Any) -> TypeAdapter[Any]:
    return TypeAdapter(hint, config=_LAX)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """`value` as the field's type: pydantic's lax conversion, plus the command line's
    spellings (`a,b` for a list, JSON for a mapping, `none` for an optional field)."""
    text, raw = str(hint), value
    if isinstance(value, str):
        if text.startswith("list"):
            value = [v.strip() for v in value.split(",") if v.strip()]
        elif "None" in text and value.strip().lower() in ("none", "null", ""):
            value = None
        elif hint is bool or "bool" in text:
            value = value.strip()
    try:
        if isinstance(value, str) and text.startswith("dict"):
            return _adapter(hint).validate_json(value)
        return _adapter(hint).validate_python(value)
    except ValidationError as exc:
        kind = getattr(hint, "__name__", text)
        raise ConvrecError(f"{where}: {raw!r} is not a valid {kind}") from exc


def load_config(path: Path | None = None, overrides: list[str] | None = None,
                *, base: RlConfig | None = None) -> RlConfig:
    """The RL config: `base` (default: the CPU defaults), then the YAML file, then the
    `section.field=value` overrides (e.g. 'grpo.steps=20', 'collect.n=50')."""
    text = None
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConvrecError(f"cannot read {path}: {exc.strerror or exc}") from None
    return config_from_yaml(text, overrides, base=base, where=str(path))


def config_from_yaml(text: str | None, overrides: list[str] | None = None, *,
                     base: RlConfig | None = None, where: str = "the config") -> RlConfig:
    """`load_config` on YAML text (the browser app's config editor); `where` names it in
    errors."""
    data = (base or RlConfig()).to_json()
    if text is not None:
        try:
            loaded = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ConvrecError(f"{where} is not valid YAML: {str(exc).splitlines()[0]}") from None
        if not isinstance(loaded, dict):
            raise ConvrecError(f"{where}: expected sections {', '.join(SECTIONS)}")
        for section, values in loaded.items():
            if section not in SECTIONS:
                raise ConvrecError(f"{where}: unknown section {section!r}; sections are "
                                   f"{', '.join(SECTIONS)}")
            _merge(data[section], values or {}, f"{where}: {section}")
    for item in overrides or []:
        key, sep, value = item.partition("=")
        parts = key.strip().split(".")
        if not sep or len(parts) < 2 or parts[0] not in SECTIONS:
            raise ConvrecError(f"--set {item!r}: expected section.field=value with a section of "
                               f"{', '.join(SECTIONS)} (e.g. grpo.steps=20)")
        target = data[parts[0]]
        for part in parts[1:-1]:
            if not isinstance(target.get(part), dict):
                raise ConvrecError(f"--set {item!r}: {part!r} has no fields")
            target = target[part]
        target[parts[-1]] = value
    config = RlConfig(**{name: _build(cls, data[name], name) for name, cls in SECTIONS.items()})
    return validate(config)


def _merge(into: dict[str, Any], values: Any, where: str) -> None:
    if not isinstance(values, dict):
        raise ConvrecError(f"{where}: expected a mapping of fields")
    for key, value in values.items():
        if isinstance(into.get(key), dict) and isinstance(value, dict) and key != "personas":
            _merge(into[key], value, f"{where}.{key}")
        else:
            into[key] = value


def validate(config: RlConfig) -> RlConfig:
    """Refuse what would leak the test split into training or take the machine down."""
    cores = os.cpu_count() or 1
    for spec in config.collect.scenarios:
        _, split = parse_spec(spec)
        if split != "dev":
            raise ConvrecError(f"collect.scenarios: {spec} is not a dev split; RL trains on dev "
                               "scenarios only (the test split is for convrec rl eval)")
    for spec in config.eval.scenarios:
        parse_spec(spec)
    for name, workers in (("collect", config.collect.workers), ("eval", config.eval.workers)):
        if not 1 <= workers <= cores:
            raise ConvrecError(f"{name}.workers must be between 1 and {cores} (the cores here)")
    if config.collect.branch_turns < 0 or config.collect.n < 1 or config.eval.n < 1:
        raise ConvrecError("collect.n and eval.n must be at least 1, branch_turns at least 0")
    if not 0 < config.reward_model.heldout_fraction < 1:
        raise ConvrecError("reward_model.heldout_fraction must be between 0 and 1")
    grpo = config.grpo
    if grpo.num_generations < 2:
        raise ConvrecError("grpo.num_generations must be at least 2 (GRPO compares a group)")
    if grpo.steps < 1 or grpo.prompts_per_step < 1:
        raise ConvrecError("grpo.steps and grpo.prompts_per_step must be at least 1")
    if grpo.vllm_mode not in ("colocate", "server"):
        raise ConvrecError("grpo.vllm_mode must be colocate or server")
    unknown = sorted(set(grpo.rewards.weights) - set(REWARD_NAMES))
    if unknown:
        raise ConvrecError(f"grpo.rewards.weights: unknown reward {', '.join(unknown)}; rewards "
                           f"are {', '.join(REWARD_NAMES)}")
    return config
