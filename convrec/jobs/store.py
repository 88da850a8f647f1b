"""A job on disk: one folder per job under `HOME/jobs/`.

Each file has one writer, so the server and the job's process never race:
- `job.json` (the server): what was asked, the lane, the state as the server knows it;
- `status.json` (the job's process): progress, the state it reached, its result or error;
- `log.txt` (the job's process): what it printed;
- `STOP` (the server, on request): the job's process stops cleanly when it sees it.

With CONVREC_SESSIONS_URL (several replicas) the record that job.json holds goes to a table of
the sessions' PostgreSQL database instead (`PostgresJobStore`), so every replica lists every
job; the folder (status, log, STOP, settings) stays on the host that runs it, named in the
record's `host`. `open_job_store(settings)` picks the backend.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from convrec.agent.sessions_db import open_pool, schema_lock, sessions_url, translated
from convrec.config import Settings

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
    host: str = ""
    """The server that runs it (its host and jobs folder); empty: this one (folder store)."""
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

    shared = False
    """Do other servers read and write these records (PostgresJobStore)?"""

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

    def close(self) -> None:
        """Nothing to release for folders."""


_PG_DDL = """
CREATE TABLE IF NOT EXISTS convrec_jobs (
    id TEXT PRIMARY KEY,
    created DOUBLE PRECISION NOT NULL,
    record JSONB NOT NULL
);
"""


class PostgresJobStore(JobStore):
    """Job records in the sessions' PostgreSQL database, shared by every replica; the folders
    (status, log, STOP, settings) under `root` on the host that runs each job."""

    shared = True

    def __init__(self, url: str, root: Path) -> None:
        super().__init__(root)
        self._url = url
        self._translated = translated
        self._pool = open_pool(url, name="jobs", max_size=4)
        try:
            with schema_lock(self._pool, url) as conn:
                conn.execute(_PG_DDL)
        except BaseException:
            self._pool.close()
            raise

    def save(self, job: Job) -> Job:
        from psycopg.types.json import Jsonb  # deferred: psycopg loads only for PostgreSQL

        record = job.model_dump(mode="json", exclude={"status"})
        with self._translated(self._url), self._pool.connection() as conn:
            conn.execute("INSERT INTO convrec_jobs (id, created, record) VALUES (%s, %s, %s) "
                         "ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record",
                         [job.id, job.created, Jsonb(record)])
        return job

    def _parse(self, record: Any) -> Job | None:
        try:
            job = Job.model_validate(record)
        except ValueError:
            return None
        job.status = self.status(job.id)
        return job

    def load(self, job_id: str) -> Job | None:
        with self._translated(self._url), self._pool.connection() as conn:
            row = conn.execute("SELECT record FROM convrec_jobs WHERE id = %s",
                               [job_id]).fetchone()
        return None if row is None else self._parse(row["record"])

    def all(self) -> list[Job]:
        """Every replica's jobs, newest first."""
        with self._translated(self._url), self._pool.connection() as conn:
            rows = conn.execute("SELECT record FROM convrec_jobs ORDER BY created DESC"
                                ).fetchall()
        return [job for row in rows if (job := self._parse(row["record"])) is not None]

    def close(self) -> None:
        self._pool.close()


def open_job_store(settings: Settings, root: Path | None = None) -> JobStore:
    """The settings' job store: folders under `root` (default HOME/jobs), with the records in
    the sessions' PostgreSQL database when CONVREC_SESSIONS_URL is set."""
    root = Path(root or settings.home / "jobs")
    url = sessions_url(settings)
    return PostgresJobStore(url, root) if url is not None else JobStore(root)
