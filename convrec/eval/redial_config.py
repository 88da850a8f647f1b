"""The ReDial benchmark run's configuration: its splits, the checks on a run's split, and the
command line that reproduces a run. `convrec eval redial` and the jobs' redial task both use
it, so the two cannot drift apart."""

from __future__ import annotations

from convrec.errors import ConvrecError
from convrec.eval.redial import SYSTEMS

SPLITS = ("train", "test")


def check_split(split: str) -> str:
    """`split`, or a one-line error naming the splits."""
    if split not in SPLITS:
        raise ConvrecError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    return split


def redial_command(split: str, limit: int | None, systems: list[str]) -> str:
    """The command line that reproduces a run, as the doc shows it."""
    command = "convrec eval redial"
    command += f" --split {split}" if split != "test" else ""
    command += f" --limit {limit}" if limit is not None else ""
    command += f" --systems {','.join(systems)}" if systems != list(SYSTEMS) else ""
    return command + " --write"
