"""A job on disk: one folder per job under `HOME/jobs/`.

Each file has one writer, so the server and the job's process never race:
- `job.json` (the server): what was asked, the lane, the state as the server knows it;
- `status.json` (the job's process): progress, the state it reached, its result or error;
- `log.txt` (the job's process): what it printed;
- `STOP` (the server, on request): the job's process stops cleanly when it sees it.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

JobState = Literal["queued", "running", "done", "failed", "stopped", "interrupted", "cancelled"]
ACTIVE: frozenset[str] = frozenset({"queued", "running"})
FINAL: frozenset[str] = frozenset({"done", "failed", "stopped", "interrupted", "cancelled"})

JOB = "job.json"
STATUS = "status.json"
LOG = "log.txt"
STOP = "STOP"
SETTINGS = "settings.json"


class Progress(BaseModel):
    """Where a job is: `label` of the step (e.g. 'grpo', 'dialogues'), done of total."""

    stage: str = ""
    label: str = ""
    done: int = 0
    total: int | None = None
    updated: float = 0.0


class Status(BaseModel):
    """What the job's process reports (status.json)."""

    state: JobState = "running"
    progress: Progress = Field(default_factory=Progress)
    stages: dict[str, float] = Field(default_factory=dict)
    """Seconds each finished stage took."""
    result: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    pid: int | None = None
    finished: float | None = None


class Job(BaseModel):
    """A job as the server knows it (job.json), with its process's status merged in."""

    id: str
    kind: str
    lane: str
    title: str
    params: dict[str, Any] = Field(default_factory=dict)
    out: str
    """The folder its outputs go to (a run folder the CLI would write too)."""
    state: JobState = "queued"
    created: float = Field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    pid: int | None = None
    message: str = ""
    """Why it ended as it did, in one line (failed, stopped, interrupted, cancelled)."""
    stop_requested: bool = False
    owner: str | None = None
    """The login that started it (None: started without logins); only it or an admin stops it."""
    status: Status | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def seconds(self, now: float | None = None) -> float | None:
        if self.started is None:
            return None
        end = self.finished or (now if now is not None else time.time())
        return max(0.0, end - self.started)


def new_job_id(kind: str) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{kind}-{uuid.uuid4().hex[:6]}"


def write_json(path: Path, data: Any) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> Any | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class JobStore:
    """The job folders of one home."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def folder(self, job_id: str) -> Path:
        return self.root / job_id

    def save(self, job: Job) -> Job:
        folder = self.folder(job.id)
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / JOB, job.model_dump(mode="json", exclude={"status"}))
        return job

    def status(self, job_id: str) -> Status | None:
        data = read_json(self.folder(job_id) / STATUS)
        if not isinstance(data, dict):
            return None
        try:
            return Status.model_validate(data)
        except ValueError:
            return None

    def load(self, job_id: str) -> Job | None:
        data = read_json(self.folder(job_id) / JOB)
        if not isinstance(data, dict):
            return None
        try:
            job = Job.model_validate(data)
        except ValueError:
            return None
        job.status = self.status(job_id)
        return job

    def all(self) -> list[Job]:
        """Every job, newest first."""
        jobs = [job for path in self.root.iterdir() if path.is_dir()
                if (job := self.load(path.name)) is not None]
        return sorted(jobs, key=lambda j: j.created, reverse=True)

    def log_tail(self, job_id: str, lines: int = 20) -> str:
        path = self.folder(job_id) / LOG
        try:
            with path.open("rb") as handle:
                handle.seek(max(0, path.stat().st_size - 16_000))
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.replace("\r", "\n").splitlines()[-lines:])
