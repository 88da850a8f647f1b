"""The sessions' PostgreSQL database (CONVREC_SESSIONS_URL) on a real server started by the test
harness: a thread's ledger outlives its Agent, the feedback log and the jobs' records are
shared between processes, and a bad URL is refused in one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from convrec.agent.feedback_log import FeedbackLog, PostgresFeedbackLog, open_feedback_log
from convrec.agent.sessions_db import describe, open_checkpointer
from convrec.config import Settings, get_settings
from convrec.errors import ConfigError
from convrec.jobs.store import Job, JobStore, PostgresJobStore, open_job_store
from tests.conftest import REPO_ROOT
from tests.harness.postgres import PASSWORD


def settings_on(url: str, home) -> Settings:
    return Settings(home=home, sessions_url=url)


def test_a_bad_sessions_url_is_one_line(monkeypatch):
    monkeypatch.setenv("CONVREC_SESSIONS_URL", "mysql://u:p@h/db")
    with pytest.raises(ConfigError) as caught:
        get_settings()
    assert "CONVREC_SESSIONS_URL" in str(caught.value) and "\n" not in str(caught.value)
    monkeypatch.setenv("CONVREC_SESSIONS_URL", "")
    assert get_settings().sessions_url is None  # empty: the SQLite default


def test_the_url_is_a_secret(postgres, monkeypatch):
    url = postgres.url()
    monkeypatch.setenv("CONVREC_SESSIONS_URL", url)
    settings = get_settings()
    assert PASSWORD not in json.dumps(settings.masked(), default=str)
    assert PASSWORD not in repr(settings) and PASSWORD not in describe(url)
    data, env = settings.to_child()
    assert "sessions_url" not in data and env["CONVREC_SESSIONS_URL"] == url


def test_embedded_defaults_stay_sqlite(tmp_path):
    settings = Settings(home=tmp_path)
    log = open_feedback_log(settings)
    assert type(log) is FeedbackLog and log.path == settings.feedback
    log.close()
    assert type(open_job_store(settings)) is JobStore


@pytest.mark.timeout(120)
def test_feedback_rows_are_shared_between_processes(postgres, tmp_path):
    url = postgres.new_database("feedback")
    log = open_feedback_log(settings_on(url, tmp_path))
    assert isinstance(log, PostgresFeedbackLog)
    log.record(thread_id="t1", user_id=None, item_id=1, kind="like", turn=1, source="ui")
    code = ("import sys\nfrom convrec.agent.feedback_log import PostgresFeedbackLog\n"
            "log = PostgresFeedbackLog(sys.argv[1])\n"
            "log.record(thread_id='t2', user_id='ml:1', item_id=2, kind='reject', turn=3)\n"
            "print(len(log.rows()))\n")
    other = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True,
                           cwd=REPO_ROOT, timeout=60)
    assert other.returncode == 0, other.stderr[-2000:]
    assert other.stdout.strip() == "2"  # it saw ours
    rows = log.rows()
    assert [(r.thread_id, r.user_id, r.item_id, r.kind, r.turn, r.source) for r in rows] == [
        ("t1", None, 1, "like", 1, "ui"), ("t2", "ml:1", 2, "reject", 3, "api")]
    assert all(r.at.endswith("+00:00") for r in rows)
    assert [r.item_id for r in log.rows("t2")] == [2]
    import psycopg

    with pytest.raises(psycopg.IntegrityError):
        log.record(thread_id="t1", user_id=None, item_id=1, kind="adore", turn=1)
    log.close()


@pytest.mark.timeout(120)
def test_job_records_are_shared_and_outputs_stay_local(postgres, tmp_path):
    url = postgres.new_database("jobs")
    one = open_job_store(settings_on(url, tmp_path / "a"))
    two = open_job_store(settings_on(url, tmp_path / "b"))
    assert isinstance(one, PostgresJobStore) and one.root != two.root
    for created in (1.0, 3.0, 2.0):
        one.save(Job(id=f"job-{created:g}", kind="simulate", lane="eval", title="t",
                     out="/tmp/out", created=created, host="a"))
    job = two.load("job-3")
    assert job is not None and job.host == "a" and job.status is None  # its status is on a
    assert [j.id for j in two.all()] == ["job-3", "job-2", "job-1"]
    job.state, job.stop_requested = "running", True
    two.save(job)
    again = one.load("job-3")
    assert again is not None and again.state == "running" and again.stop_requested
    assert not (two.root / "job-3").exists()  # no folder on the host that does not run it
    assert two.load("missing") is None
    one.close()
    two.close()


@pytest.mark.timeout(120)
def test_a_thread_survives_a_new_agent_on_the_same_url(postgres, real_resources, tmp_path):
    from convrec.agent.service import Agent

    url = postgres.new_database("sessions")
    settings = Settings(home=tmp_path, sessions_url=url, catalog_path=tmp_path / "unused")
    first = Agent(settings, resources=real_resources, use_llm=False)
    done = first.turn("a comedy from the 90s", thread_id="pg-1", user_id=None)
    assert done.turn == 1 and done.cards
    first.feedback("pg-1", done.item_ids[0], "reject", source="api")
    first.close()
    assert first.checkpointer.conn.closed  # close ends the pool

    second = Agent(settings, resources=real_resources, use_llm=False)
    try:
        ledger = second.ledger("pg-1")
        assert ledger.describe() == done.chips  # the constraints of turn 1
        assert set(done.item_ids) <= set(ledger.shown)  # what turn 1 showed
        assert done.item_ids[0] in ledger.rejected
        assert "pg-1" in second.threads()
        later = second.turn("something else, please", thread_id="pg-1", user_id=None)
        assert later.turn == 2
        assert done.item_ids[0] not in later.item_ids  # the rejected film stays out
        assert [r.item_id for r in second.feedback_log.rows("pg-1")] == [done.item_ids[0]]
    finally:
        second.close()
    # the same checkpoints through a plain saver on the URL
    saver = open_checkpointer(settings)
    try:
        assert saver.get_tuple({"configurable": {"thread_id": "pg-1"}}) is not None
    finally:
        saver.conn.close()


@pytest.mark.timeout(120)
def test_replicas_starting_together_create_the_tables_once(postgres, tmp_path):
    """Several replicas opening a fresh database at once (each its own pools): no unique
    violation from concurrent table creation or checkpointer migrations."""
    import threading

    url = postgres.new_database("together")
    errors: list[BaseException] = []
    opened: list[object] = []

    def replica(n: int) -> None:
        try:
            settings = settings_on(url, tmp_path / f"home-{n}")
            opened.extend([open_checkpointer(settings).conn, open_feedback_log(settings),
                           open_job_store(settings)])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=replica, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for thing in opened:
        thing.close()  # type: ignore[attr-defined]
    assert not errors, errors
    assert len(opened) == 12
