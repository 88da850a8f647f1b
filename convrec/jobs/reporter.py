"""A running job's link to the server: its progress, stage times and end written to
status.json, and the stop request it checks at every progress call."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from convrec.jobs.store import STATUS, STOP, Progress, Status, write_json


class JobStopped(Exception):
    """Raised inside a task when the job was asked to stop."""


class Reporter:
    """A task's link to the server: progress into status.json (at most a few writes a second),
    and the stop request (a STOP file in the job folder), seen at every progress call."""

    MIN_INTERVAL_S = 0.5

    def __init__(self, folder: Path, status: Status | None = None) -> None:
        self.folder = folder
        self.status = status or Status()
        self._written = 0.0
        self._lock = threading.Lock()

    @property
    def stop_requested(self) -> bool:
        return (self.folder / STOP).exists()

    def check(self) -> None:
        if self.stop_requested:
            raise JobStopped

    def stage(self, name: str) -> None:
        self.status.progress = Progress(stage=name, label=name, updated=time.time())
        self.write()

    def progress(self, label: str, done: int, total: int | None) -> None:
        current = self.status.progress
        self.status.progress = Progress(stage=current.stage, label=label, done=done, total=total,
                                        updated=time.time())
        if done == total or time.monotonic() - self._written >= self.MIN_INTERVAL_S:
            self.write()
        self.check()

    def stage_done(self, name: str, seconds: float) -> None:
        self.status.stages[name] = round(seconds, 1)
        self.write()

    def finish(self, state: str, *, result: dict[str, Any] | None = None,
               error: str | None = None) -> None:
        self.status.state = state  # type: ignore[assignment]
        self.status.result = result or self.status.result
        self.status.error = error
        self.status.finished = time.time()
        self.write()

    def write(self) -> None:
        with self._lock:
            write_json(self.folder / STATUS, self.status.model_dump(mode="json"))
            self._written = time.monotonic()
