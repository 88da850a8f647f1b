"""`kill -9` of a job's process, and of the server running a job: the job is marked failed
(or interrupted) with a one-line reason, its finished dialogues are kept, and starting the
same run name again resumes it to the end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from convrec.config import Settings
from convrec.eval.runner import read_records
from convrec.jobs.manager import JobManager
from convrec.jobs.store import JobStore, write_json
from tests.jobs.test_jobs import lines, process_gone, wait_ended, wait_for, wait_progress

pytestmark = pytest.mark.integration

RUN = {"systems": ["agent:none"], "n": 6, "scenarios": ["movielens:test"]}


@pytest.fixture
def settings(sim_settings, sim_home, tmp_path) -> Settings:
    return sim_settings.model_copy(update={"runs_dir": tmp_path / "runs"})


def assert_resumes(manager: JobManager, name: str, kept: int) -> None:
    """The same run name again: it ends done with every dialogue once, the kept ones too."""
    job = manager.start("simulate", {"name": name, **RUN})
    job = wait_ended(manager, job.id)
    assert job.state == "done", (job.message, manager.log_tail(job.id))
    records = read_records(Path(job.out) / "dialogues.jsonl")
    assert len(records) == RUN["n"] and kept <= RUN["n"]
    assert len({(r.system, r.scenario.id) for r in records}) == RUN["n"]


@pytest.mark.timeout(600)
def test_a_job_killed_with_sigkill_is_marked_failed_and_resumes(settings, tmp_path):
    manager = JobManager(settings, root=tmp_path / "jobs", grace_s=10, poll_s=0.2)
    try:
        job = manager.start("simulate", {"name": "killed", **RUN})
        wait_progress(manager.store, job.id, done=1)
        worker = manager.get(job.id).pid
        assert worker
        os.killpg(worker, signal.SIGKILL)
        job = wait_ended(manager, job.id)
        assert job.state == "failed"
        assert "killed (SIGKILL)" in job.message and "\n" not in job.message
        assert "start the same run name again" in job.message
        kept = len(read_records(Path(job.out) / "dialogues.jsonl"))
        assert kept >= 1
        assert_resumes(manager, "killed", kept)
    finally:
        manager.close()


SERVER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path

    from convrec.config import Settings
    from convrec.jobs.manager import JobManager

    settings = Settings.model_validate(json.loads(Path(sys.argv[1]).read_text()))
    manager = JobManager(settings, root=Path(sys.argv[2]), grace_s=5)
    job = manager.start("simulate", json.loads(sys.argv[3]))
    print(job.id, flush=True)
    time.sleep(600)  # until the test kills it
""")


@pytest.mark.timeout(600)
def test_a_server_killed_with_sigkill_leaves_its_job_interrupted_and_resumable(
        settings, tmp_path):
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    settings_file = tmp_path / "settings.json"
    write_json(settings_file, settings.to_child()[0])
    root = tmp_path / "jobs"
    server = subprocess.Popen(
        [sys.executable, str(script), str(settings_file), str(root), json.dumps(
            {"name": "orphan", **RUN})], cwd=tmp_path, stdout=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        assert server.stdout is not None
        job_id = server.stdout.readline().split()[0]
        store = JobStore(root)
        wait_progress(store, job_id, done=1)
        worker = store.load(job_id).pid
        os.kill(server.pid, signal.SIGKILL)  # the server only: its job's process is left
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    assert worker

    # the orphaned worker notices its server is gone and ends itself, saying so
    wait_for(lambda: process_gone(worker) and (store.status(job_id) or None) is not None
             and store.status(job_id).state == "interrupted", timeout=60,
             what="the orphaned job to end itself")

    manager = JobManager(settings, root=root, grace_s=5, poll_s=0.2)
    try:
        assert manager.recovered == [job_id]
        job = manager.get(job_id)
        assert job.state == "interrupted" and job.message and "\n" not in job.message
        kept = len(lines(Path(job.out) / "dialogues.jsonl"))
        assert kept >= 1
        time.sleep(0.5)
        assert not [j for j in manager.jobs() if j.active]  # nothing restarts by itself
        assert_resumes(manager, "orphan", kept)
    finally:
        manager.close()
