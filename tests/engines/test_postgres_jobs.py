"""Jobs of two replicas on one PostgreSQL (CONVREC_SESSIONS_URL): each replica runs its own jobs
(the worker process reads its record from the database), every replica lists every job with
its state, a stop asked on one replica stops the job the other runs, and a replica that
restarts recovers only its own jobs."""

from __future__ import annotations

import time

import pytest

from convrec.jobs.manager import JobManager
from convrec.jobs.store import Job, PostgresJobStore, new_job_id
from tests.jobs.test_jobs import SLOW, dead_pid, wait_ended, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def two_replicas(postgres, sim_settings, sim_home, tmp_path):
    url = postgres.new_database("jobs")
    managers = [JobManager(sim_settings.model_copy(update={
        "home": tmp_path / f"home-{n}", "runs_dir": tmp_path / f"runs-{n}",
        "sessions_url": url}), grace_s=2, poll_s=0.2) for n in (1, 2)]
    try:
        yield managers
    finally:
        for manager in managers:
            manager.close()


@pytest.mark.timeout(300)
def test_a_job_runs_on_its_replica_is_listed_by_both_and_stops_from_either(two_replicas):
    one, two = two_replicas
    assert isinstance(one.store, PostgresJobStore) and one.host != two.host
    job = one.start("simulate", {"name": "long", **SLOW})
    assert job.host == one.host
    def started() -> bool:  # its worker read the record from the database, and reports
        status = one.store.status(job.id)
        return status is not None and status.state == "running" and status.pid is not None

    wait_for(started, what="the job's worker to start")
    seen = two.get(job.id)
    assert seen is not None and seen.state == "running" and seen.host == one.host
    assert [j.id for j in two.jobs()] == [job.id]
    assert not two.store.folder(job.id).exists()  # its folder is on the host that runs it
    two.stop(job.id)  # replica 2 asks; replica 1 runs it and passes the request on
    ended = wait_ended(one, job.id)  # after its dialogue, or the 2 s grace
    assert ended.state == "stopped", (ended.message, one.log_tail(job.id))
    assert two.get(job.id).state == "stopped"
    assert (one.store.folder(job.id) / "status.json").is_file()


def test_a_replica_recovers_only_its_own_jobs(postgres, sim_settings, tmp_path):
    url = postgres.new_database("recover")
    settings = [sim_settings.model_copy(update={"home": tmp_path / f"home-{n}",
                                                "sessions_url": url}) for n in (1, 2)]
    one = JobManager(settings[0], runs_dir=tmp_path / "runs")
    common = {"kind": "simulate", "lane": "eval", "title": "x", "out": str(tmp_path / "o")}
    mine = one.store.save(Job(id=new_job_id("simulate"), state="running", pid=dead_pid(),
                              started=time.time(), host=one.host, **common))
    one.close(kill=False)
    two = JobManager(settings[1], runs_dir=tmp_path / "runs")
    try:
        assert two.recovered == []  # another replica's running job is left alone
        assert two.get(mine.id).state == "running"
    finally:
        two.close()
    again = JobManager(settings[0], runs_dir=tmp_path / "runs")  # replica 1 restarts
    try:
        assert again.recovered == [mine.id]
        assert again.get(mine.id).state == "interrupted"
        wait_for(lambda: not again.get(mine.id).active, timeout=5)
    finally:
        again.close()
