"""`kill -9` of the server running a job, then of a job's own process: each time the job is
marked interrupted or failed with a one-line reason, its finished dialogues are kept, and
starting the same run name again resumes it; the last start runs it to done."""

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
from tests.jobs.test_jobs import process_gone, wait_ended, wait_for, wait_progress

pytestmark = pytest.mark.integration

# enough dialogues that the orphaned process cannot finish them all before it notices its
# server is gone (on an idle machine it ran 6 to the end): the resumed run must have work
RUN = {"name": "faults", "systems": ["agent:none"], "n": 20, "scenarios": ["movielens:test"]}

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


@pytest.fixture
def settings(sim_settings, sim_home, tmp_path) -> Settings:
    return sim_settings.model_copy(update={"runs_dir": tmp_path / "runs"})


def kept(out: Path) -> int:
    return len(read_records(out / "dialogues.jsonl"))


def start_server_and_kill_it(settings: Settings, root: Path, tmp_path: Path) -> tuple[str, int]:
    """A server process starts the job; once a dialogue is done the server gets SIGKILL
    (its job's process is left running). Returns the job id and its process id."""
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    settings_file = tmp_path / "settings.json"
    write_json(settings_file, settings.to_child()[0])
    server = subprocess.Popen(
        [sys.executable, str(script), str(settings_file), str(root), json.dumps(RUN)],
        cwd=tmp_path, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert server.stdout is not None
        job_id = server.stdout.readline().split()[0]
        store = JobStore(root)
        wait_progress(store, job_id, done=1)
        worker = store.load(job_id).pid
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    assert worker
    return job_id, worker


@pytest.mark.timeout(900)
def test_killed_server_and_killed_job_are_marked_and_the_run_resumes(settings, tmp_path):
    root = tmp_path / "jobs"
    job_id, worker = start_server_and_kill_it(settings, root, tmp_path)
    store = JobStore(root)

    # the orphaned job's process notices its server is gone and ends itself, saying so
    def ended_itself() -> bool:
        status = store.status(job_id)
        return process_gone(worker) and status is not None and status.state == "interrupted"

    wait_for(ended_itself, timeout=60, what="the orphaned job to end itself")

    manager = JobManager(settings, root=root, grace_s=5, poll_s=0.2)
    try:
        # a restarted server marks it interrupted, and starts nothing by itself
        assert manager.recovered == [job_id]
        job = manager.get(job_id)
        assert job.state == "interrupted" and job.message and "\n" not in job.message
        out = Path(job.out)
        first = kept(out)
        assert 1 <= first < RUN["n"], first
        time.sleep(0.5)
        assert not [j for j in manager.jobs() if j.active]

        # the same run again resumes; its process gets SIGKILL after one more dialogue
        again = manager.start("simulate", RUN)
        wait_for(lambda: kept(out) > first, what="the resumed run's next dialogue")
        pid = manager.get(again.id).pid
        assert pid
        os.killpg(pid, signal.SIGKILL)
        again = wait_ended(manager, again.id)
        assert again.state == "failed"
        assert "killed (SIGKILL)" in again.message and "\n" not in again.message
        assert "start the same run name again" in again.message
        second = kept(out)
        assert first < second

        # and once more: it runs to done, every dialogue once
        last = wait_ended(manager, manager.start("simulate", RUN).id)
        assert last.state == "done", (last.message, manager.log_tail(last.id))
        records = read_records(out / "dialogues.jsonl")
        assert len(records) == RUN["n"]
        assert len({(r.system, r.scenario.id) for r in records}) == RUN["n"]
    finally:
        manager.close()
