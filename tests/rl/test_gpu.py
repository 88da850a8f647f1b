"""The GPU path of GRPO: vLLM generation (colocate mode) on a CUDA device, the same stage
code as on the CPU. Skipped without CUDA or without the `gpu` extra (vllm)."""

from __future__ import annotations

import importlib.util
import math

import pytest

from convrec.rl.config import RlConfig

pytestmark = pytest.mark.gpu


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.skipif(not _cuda(), reason="no CUDA device here (GRPO with vLLM needs a GPU)")
@pytest.mark.skipif(importlib.util.find_spec("vllm") is None,
                    reason="vllm is not installed (pip install '.[gpu]' in its own environment)")
def test_grpo_with_vllm_colocate(sim_settings, tmp_path):
    from convrec.rl.grpo import train_policy
    from convrec.rl.rollout import collect, read_states

    config = RlConfig.small()
    config.grpo.use_vllm, config.grpo.vllm_mode, config.grpo.use_cpu = True, "colocate", False
    collect(config.collect, sim_settings, tmp_path / "collect")
    states = read_states(tmp_path / "collect" / "trajectories.jsonl")
    config.grpo.rewards.weights["reward_model"] = 0.0
    report = train_policy(config, states, sim_settings, tmp_path)
    assert math.isfinite(report["grpo"]["train_loss"])
    assert (tmp_path / "policy" / "config.json").is_file()


def test_gpu_config_is_importable_without_cuda():
    """The GPU settings are plain config: building them needs neither CUDA nor vllm."""
    config = RlConfig()
    config.grpo.use_vllm = True
    from convrec.rl.config import validate

    assert validate(config).grpo.vllm_mode == "colocate"
    import convrec.rl.grpo  # noqa: F401  (imports without CUDA)
