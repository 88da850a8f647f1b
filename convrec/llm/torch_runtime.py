"""How the local model runs on this machine: the dtype the CPU computes well, the decoding
threads (fewer on a busy machine), and transformers kept quiet."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """No transformers progress bars (conversion, weight loading) while this runs."""
    from transformers.utils import logging as hf_logging  # deferred: ~4 s to import

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            hf_logging.enable_progress_bar()


def cpu_has_bf16() -> bool:
    """Whether the CPU computes bfloat16 natively (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_dtype(setting: str) -> torch.dtype:
    import torch  # deferred: torch takes ~6 s to import

    if setting == "auto":
        return torch.bfloat16 if cpu_has_bf16() else torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16}[setting]


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def decode_threads(setting: int) -> int:
    """`setting` if positive; else 1 when the machine is busy (load average within half a core
    of the core count: more threads would fight other processes), else all cores."""
    if setting > 0:
        return setting
    cores = usable_cores()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return cores
    return 1 if load >= cores - 0.5 else cores


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """torch's intra-op threads set to `n` for this thread, then restored."""
    import torch  # deferred: torch takes ~6 s to import

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
