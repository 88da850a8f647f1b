"""What a training run logs as it goes: every trainer log line, with the step time and the
process's peak memory, appended to `train_log.jsonl` (the curves and the figures in
docs/BENCHMARKS.md are read from it), and a clean stop on request.

A run stops cleanly when the file `STOP` appears in its output folder (the UI writes it;
so can a user): the trainer finishes the step it is in, saves, and returns.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback
from transformers.trainer_callback import PrinterCallback

LOG = "train_log.jsonl"
STOP = "STOP"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


class TrainingMonitor(TrainerCallback):
    """Logs to train_log.jsonl and stderr, and stops on a STOP file. `attach` also removes
    transformers' PrinterCallback, which prints every log dict to stdout."""

    def attach(self, trainer: Any) -> Any:
        trainer.remove_callback(PrinterCallback)
        return trainer

    def __init__(self, folder: Path, stage: str) -> None:
        self.folder = folder
        self.stage = stage
        self.path = folder / LOG
        self._step_started = 0.0
        self.step_seconds: list[float] = []
        folder.mkdir(parents=True, exist_ok=True)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        (self.folder / STOP).unlink(missing_ok=True)

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._step_started = time.perf_counter()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.step_seconds.append(time.perf_counter() - self._step_started)
        if (self.folder / STOP).exists():
            control.should_training_stop = True
            control.should_save = True

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        recent = self.step_seconds[-max(1, args.logging_steps):]
        row = {"stage": self.stage, "step": state.global_step, "time": time.time(),
               "step_seconds": round(sum(recent) / len(recent), 3) if recent else None,
               "peak_rss_mb": peak_rss_mb(),
               **{k: v for k, v in (logs or {}).items() if isinstance(v, int | float)}}
        with self.path.open("a", encoding="utf-8") as sink:
            sink.write(json.dumps(row) + "\n")
        shown = {k: row[k] for k in ("loss", "reward", "rewards/success/mean") if k in row}
        if shown:  # a line a person can follow; stdout stays for --json
            figures = "  ".join(f"{k.split('/')[-2] if '/' in k else k} {v:.4g}"
                                for k, v in shown.items())
            print(f"{self.stage} step {state.global_step}/{state.max_steps}  {figures}  "
                  f"{row['step_seconds']} s/step", file=sys.stderr, flush=True)

    def summary(self) -> dict[str, Any]:
        steps = self.step_seconds
        ordered = sorted(steps)
        return {"steps": len(steps),
                "step_seconds_mean": round(sum(steps) / len(steps), 3) if steps else None,
                "step_seconds_p50": round(ordered[len(ordered) // 2], 3) if steps else None,
                "peak_rss_mb": peak_rss_mb(),
                "stopped_early": (self.folder / STOP).exists()}


def read_log(folder: Path) -> list[dict[str, Any]]:
    path = folder / LOG
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue  # a torn last line
    return rows
