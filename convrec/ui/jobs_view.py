"""HTML for a background job as the Evaluate and Train tabs show it: title, state, a progress
bar, elapsed and remaining time, the CLI line that does the same, and why it ended."""

from __future__ import annotations

import time
from html import escape
from pathlib import Path
from typing import Any

from convrec.jobs.tasks import task

STATE_NOTES = {
    "queued": "waiting for the job before it",
    "running": "running",
    "done": "finished",
    "failed": "failed",
    "stopped": "stopped",
    "interrupted": "interrupted",
    "cancelled": "cancelled",
}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def job_html(job: Any, *, position: int = 0, command: str = "", detail: str = "",
             now: float | None = None) -> str:
    """The job panel; `data-*` attributes carry the state for scripts and tests."""
    if job is None:
        return '<div class="job-box" data-state="none">No job yet.</div>'
    now = now or time.time()
    status = job.status
    progress = status.progress if status is not None else None
    state = job.state
    stage_name = escape(progress.stage if progress else "")
    parts = [f'<div class="job-box" data-job="{escape(job.id)}" data-state="{state}" '
             f'data-kind="{escape(job.kind)}" data-stage="{stage_name}" '
             f'data-done="{progress.done if progress else 0}">',
             f'<div class="job-title"><b>{escape(job.title)}</b></div>']
    note = STATE_NOTES.get(state, state)
    if state == "queued" and position:
        note += f" ({position} ahead in the queue)"
    if job.stop_requested and state == "running":
        note = "stopping after the current step"
    elapsed = job.seconds(now)
    parts.append(f'<div class="job-state job-{state}">{escape(note)}'
                 + (f" · {_duration(elapsed)}" if elapsed is not None else "") + "</div>")
    if progress is not None and state in ("running", "done", "stopped", "interrupted"):
        done, total = progress.done, progress.total
        label = progress.label.replace("_", " ")
        stage = progress.stage.replace("_", " ")
        heading = f"{stage}: {label}" if stage and label and stage != label else (stage or label)
        if total:
            eta = ""
            if state == "running" and 0 < done < total and progress.updated and job.started:
                rate = (progress.updated - job.started) / done
                eta = f", about {_duration(rate * (total - done))} left"
            parts.append(
                f'<div class="job-progress"><progress max="{total}" value="{done}"></progress> '
                f"{escape(heading)} {done:,} / {total:,}{eta}</div>")
        elif heading:
            parts.append(f'<div class="job-progress"><progress></progress> '
                         f"{escape(heading)}</div>")
    if status is not None and status.stages:
        done_stages = ", ".join(f"{k.replace('_', ' ')} {_duration(v)}"
                                for k, v in status.stages.items())
        parts.append(f'<div class="job-stages">Stages done: {escape(done_stages)}</div>')
    if detail:
        parts.append(f'<div class="job-detail">{escape(detail)}</div>')
    if job.message and state != "done":
        level = "error" if state == "failed" else "warning"
        parts.append(f'<div class="status-{level} job-message">{escape(job.message)}</div>')
    if command:
        parts.append(f'<div class="job-command">Same as: <code>{escape(command)}</code></div>')
    parts.append("</div>")
    return "\n".join(parts)


def jobs_table(jobs: list[Any], now: float | None = None) -> list[list[str]]:
    """Recent jobs as rows: started, state, what, how long, the run folder, and whose it is
    (the login that started it; '-' without logins)."""
    now = now or time.time()
    rows = []
    for job in jobs:
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(job.started or job.created))
        rows.append([started, job.state, job.title, _duration(job.seconds(now)), job.out,
                     job.owner or "-"])
    return rows


class JobTab:
    """What the Evaluate and Train tabs share: the app's job manager, the runs folder, and
    the job panel with the job's place in the queue and its CLI line."""

    def __init__(self, app: Any) -> None:
        self.app = app

    @property
    def jobs(self) -> Any:
        return self.app.jobs

    @property
    def root(self) -> Path:
        return Path(self.jobs.runs_dir)

    def _job_html(self, job: Any, detail: str = "") -> str:
        if job is None:
            return job_html(None)
        return job_html(job, position=self.jobs.queue_position(job),
                        command=task(job.kind).command(job), detail=detail)
