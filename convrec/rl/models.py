"""Model folders and the trainer arguments every RL stage shares."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.llm.embedded import ensure_embedded


def base_model_folder(setting: str, settings: Settings) -> Path:
    """The HF model folder a stage starts from: `setting`, or the embedded SmolLM2-135M
    (its GGUF converted once into an HF folder, DESIGN.md) when empty."""
    if not setting:
        return ensure_embedded(settings.llm_cache)
    folder = Path(setting).expanduser()
    if not (folder / "config.json").is_file():
        raise ConvrecError(f"no HF model folder at {setting} (expected config.json and weights; "
                           "there is no model hub here)")
    return folder


def on_cpu(use_cpu: bool | None) -> bool:
    if use_cpu is not None:
        return use_cpu
    import torch  # deferred: torch loads only when a stage trains

    return not torch.cuda.is_available()


def common_args(out: Path, *, seed: int, cpu: bool, logging_steps: int = 5) -> dict[str, Any]:
    """Arguments of transformers' TrainingArguments that every stage sets the same way."""
    if cpu:
        import torch  # deferred: torch loads only when a stage trains

        torch.set_num_threads(os.cpu_count() or 1)
    return {"output_dir": str(out), "seed": seed, "use_cpu": cpu, "report_to": [],
            "logging_steps": logging_steps, "bf16": False, "fp16": False,
            "dataloader_num_workers": 0, "disable_tqdm": True,
            # checkpointing saves memory a 135M model does not need and costs ~20% time
            "gradient_checkpointing": False}


def lora_config(task_type: str, r: int) -> Any:
    from peft import LoraConfig  # deferred: peft loads only when a stage trains

    return LoraConfig(r=r, lora_alpha=2 * r, lora_dropout=0.05, task_type=task_type,
                      target_modules="all-linear")
