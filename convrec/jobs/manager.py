"""The jobs of one server: start, queue, stop, watch and recover them.

Lanes. Evaluation jobs (simulations, the ReDial benchmark) run one at a time; the next waits
in a queue. Training jobs run one at a time and a second start is refused: two trainings
would double the memory (a training process peaks around 7 GiB) and halve each one's speed.

Stopping. A queued job is cancelled. A running one is asked to stop (a STOP file): it ends
after the dialogue or training step it is in, keeping what it wrote (a trainer saves its
checkpoint first). If it has not ended after `grace_s`, its process group is terminated.

Restarts. A server that starts finds the jobs the last one left queued or running: each is
marked interrupted (a running one's process, if somehow still alive, is ended first), and
its run folder keeps its partial outputs; starting the same run name again resumes it.

Several replicas (CONVREC_SESSIONS_URL). The records are shared: every replica lists every
job, and stops any (a stop request in the record; the replica running it passes it on). Each
replica runs, queues, limits and recovers only its own jobs (`Job.host`): lanes and memory are
per machine, and a job's folder and outputs stay on the host that runs it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.jobs.store import (
    FINAL,
    LOG,
    SETTINGS,
    STOP,
    Job,
    new_job_id,
    open_job_store,
    write_json,
)
from convrec.jobs.tasks import task

log = logging.getLogger(__name__)

LANES = ("eval", "train")


def _alive(pid: int | None, job_id: str) -> bool:
    """Is `pid` a live process running this job (not a recycled pid)?"""
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        return job_id in cmdline
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def _interrupted(job: Job) -> str:
    return (f"the server stopped while it ran; its partial outputs are kept in {job.out} "
            "(start the same run name again to resume)")


def _ended(code: int | None, job: Job) -> str:
    """Why a job's process ended without reporting an end of its own, in one line."""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return (f"the job's process was killed ({name}); its partial outputs are kept in "
                f"{job.out} (start the same run name again to resume)")
    return f"the job's process ended with code {code}"


def _kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, sig)


JOB_NEEDS_NOT = ("CONVREC_UI_AUTH", "CONVREC_UI_ADMINS")


class JobManager:
    """Jobs under `HOME/jobs`, outputs under `runs_dir`; a thread watches the processes."""

    def __init__(self, settings: Settings, *, runs_dir: Path | None = None,
                 root: Path | None = None, grace_s: float = 60.0, poll_s: float = 0.5) -> None:
        self.settings = settings
        self.runs_dir = Path(runs_dir or settings.runs_dir).resolve()
        self.store = open_job_store(settings, root)
        self.host = f"{socket.gethostname()}:{self.store.root.resolve()}"
        self.grace_s = grace_s
        self.poll_s = poll_s
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._stop_asked: dict[str, float] = {}
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._closed = False
        self._schedule = False  # a job may wait for its lane: set by start and by a job's end
        self.recovered = self._recover()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="job-manager")
        self._thread.start()

    # ------------------------------------------------------------------ reading

    def mine(self, job: Job) -> bool:
        """Does this server run `job`? (Every job, unless the records are shared.)"""
        return not self.store.shared or job.host == self.host

    def jobs(self, lane: str | None = None, kind: str | None = None) -> list[Job]:
        """Jobs, newest first."""
        return [j for j in self.store.all()
                if (lane is None or j.lane == lane) and (kind is None or j.kind == kind)]

    def get(self, job_id: str) -> Job | None:
        return self.store.load(job_id)

    def current(self, lane: str, kind: str | None = None) -> Job | None:
        """What a page shows for the lane: the running job, else the next queued, else the
        newest one."""
        jobs = self.jobs(lane, kind)
        for state in ("running", "queued"):
            found = [j for j in jobs if j.state == state]
            if found:
                return found[-1]  # the oldest queued is the next
        return jobs[0] if jobs else None

    def queue_position(self, job: Job) -> int:
        """How many jobs run or wait before `job` in its lane (0: it runs)."""
        if job.state != "queued":
            return 0
        ahead = [j for j in self.jobs(job.lane) if j.active and j.created < job.created]
        return len(ahead)

    def log_tail(self, job_id: str, lines: int = 20) -> str:
        return self.store.log_tail(job_id, lines)

    # ------------------------------------------------------------------ acting

    def start(self, kind: str, params: dict[str, Any], *, owner: str | None = None) -> Job:
        """Queue a job (it starts as soon as its lane is free); a one-line ConvrecError when
        the parameters are refused or a training job is already running. `owner`: the login
        that starts it (None without logins)."""
        chosen = task(kind)
        prepared = chosen.prepare(params, self.settings, self.runs_dir)
        with self._lock:
            active = [j for j in self.jobs() if j.active and self.mine(j)]
            if chosen.lane == "train":
                running = [j for j in active if j.lane == "train"]
                if running:
                    raise ConvrecError(f"a training job is already {running[0].state} "
                                       f"({running[0].title}): stop it or wait for it to end; "
                                       "one training runs at a time")
            clash = [j for j in active if Path(j.out) == prepared.out]
            if clash:
                raise ConvrecError(f"a job is already writing {prepared.out.name}: choose "
                                   "another run name")
            job = Job(id=new_job_id(kind), kind=kind, lane=chosen.lane, title=prepared.title,
                      params=prepared.params, out=str(prepared.out), owner=owner,
                      host=self.host if self.store.shared else "")
            self.store.folder(job.id).mkdir(parents=True, exist_ok=True)
            self.store.save(job)
            data, _ = self.settings.to_child()
            write_json(self.store.folder(job.id) / SETTINGS, data)
            self._schedule = True
        self._wake.set()
        return job

    def stop(self, job_id: str, *, login: str | None = None, admin: bool = False) -> Job:
        """Cancel a queued job, or ask a running one to stop cleanly. With logins on
        (`login` given), only the job's owner or an admin may."""
        with self._lock:
            job = self.store.load(job_id)
            if job is None:
                raise ConvrecError(f"no job {job_id}")
            if login is not None and not admin and job.owner != login:
                raise ConvrecError(f"that job was started by {job.owner or 'no login'}: only "
                                   "its owner or an admin can stop it")
            if job.state == "queued":
                job.state, job.finished = "cancelled", time.time()
                job.message = "cancelled before it started"
                self.store.save(job)
            elif job.state == "running":
                job.stop_requested = True
                self.store.save(job)
                if self.mine(job):
                    self._ask_stop(job.id)
                # else the replica running it sees the request in the record (_tick)
            else:
                raise ConvrecError(f"that job has ended already ({job.state})")
        self._wake.set()
        return job

    def close(self, *, kill: bool = True) -> None:
        """Stop watching; with `kill`, end the running jobs' processes and mark them
        interrupted."""
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=5)
        if kill:
            with self._lock:
                for proc in self._procs.values():
                    if proc.poll() is None:
                        _kill_group(proc.pid, signal.SIGTERM)
                for proc in self._procs.values():
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        _kill_group(proc.pid, signal.SIGKILL)
                for job_id in list(self._procs):
                    self._reap(job_id, interrupted=True)
        self.store.close()

    def _ask_stop(self, job_id: str) -> None:
        (self.store.folder(job_id) / STOP).touch()
        self._stop_asked.setdefault(job_id, time.monotonic())

    # ------------------------------------------------------------------ the watcher

    def _loop(self) -> None:
        while not self._closed:
            try:
                self._tick()
            except ConvrecError as exc:  # the shared database away: it tries again
                log.warning("job manager: %s", exc)
                self._wake.wait(5.0)
            except Exception:  # the watcher must outlive any one bad job folder
                log.exception("job manager tick failed")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def _tick(self) -> None:
        with self._lock:
            for job_id, proc in list(self._procs.items()):
                if proc.poll() is not None:
                    self._reap(job_id)
                elif job_id not in self._stop_asked and self.store.shared:
                    job = self.store.load(job_id)  # another replica may have asked it to stop
                    if job is not None and job.stop_requested:
                        self._ask_stop(job_id)
                elif job_id in self._stop_asked:
                    waited = time.monotonic() - self._stop_asked[job_id]
                    if waited > self.grace_s + 15:
                        _kill_group(proc.pid, signal.SIGKILL)
                    elif waited > self.grace_s:
                        _kill_group(proc.pid, signal.SIGTERM)
            if self._closed or not self._schedule:
                return  # nothing can be waiting: no need to read every job folder
            self._schedule = False
            jobs = [j for j in self.store.all() if self.mine(j)]
            for lane in LANES:
                if any(j.lane == lane and j.state == "running" for j in jobs):
                    continue
                queued = [j for j in jobs if j.lane == lane and j.state == "queued"]
                if queued:
                    self._launch(queued[-1])  # the oldest first

    def _launch(self, job: Job) -> None:
        folder = self.store.folder(job.id)
        _, secrets = self.settings.to_child()
        env = {**os.environ, **secrets, "PYTHONUNBUFFERED": "1"}
        for name in JOB_NEEDS_NOT:  # least privilege: a job never signs anyone in
            env.pop(name, None)
        with (folder / LOG).open("ab") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "convrec.jobs.worker", str(folder),
                 "--parent", str(os.getpid())],
                stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True, cwd=os.getcwd())
        self._procs[job.id] = proc
        job.state, job.started, job.pid = "running", time.time(), proc.pid
        self.store.save(job)
        log.info("job %s started (pid %s): %s", job.id, proc.pid, job.title)

    def _reap(self, job_id: str, *, interrupted: bool = False) -> None:
        proc = self._procs.pop(job_id)
        self._stop_asked.pop(job_id, None)
        job = self.store.load(job_id)
        if job is None:
            return
        status = job.status
        if interrupted and not job.stop_requested and (
                status is None or status.state not in ("done", "failed")):
            # the server ended it (close): not a stop anyone asked for
            job.state, job.message = "interrupted", _interrupted(job)
        elif status is not None and status.state in FINAL:
            job.state = status.state
            job.message = status.error or ""
        elif job.stop_requested:
            job.state, job.message = "stopped", "ended after the stop request"
        else:
            last = " ".join(self.store.log_tail(job_id, 1).split())[:300]
            job.state = "failed"
            job.message = _ended(proc.returncode, job) + (f"; its last line: {last}"
                                                          if last else "")
        job.finished = (status.finished if status and status.finished else None) or time.time()
        (self.store.folder(job_id) / STOP).unlink(missing_ok=True)
        self.store.save(job)
        self._schedule = True  # its lane is free for the next queued job
        log.info("job %s ended: %s %s", job_id, job.state, job.message)

    def _recover(self) -> list[str]:
        """Mark the jobs a previous server left queued or running; returns their ids."""
        found = []
        for job in self.store.all():
            if not job.active or not self.mine(job):
                continue
            status = job.status
            if job.state == "running" and status is not None and status.state in FINAL:
                job.state, job.message = status.state, status.error or ""
                job.finished = status.finished
            elif job.state == "running":
                if _alive(job.pid, job.id):
                    assert job.pid is not None
                    _kill_group(job.pid, signal.SIGKILL)
                job.state, job.finished = "interrupted", time.time()
                job.message = _interrupted(job)
            else:
                job.state, job.finished = "interrupted", time.time()
                job.message = "the server stopped before it started"
            if job.state == "interrupted" and status is not None and status.state == "interrupted":
                job.message = status.error or job.message
            self.store.save(job)
            found.append(job.id)
        return found
