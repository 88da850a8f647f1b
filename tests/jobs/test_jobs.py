"""Background jobs (convrec/jobs): simulations and RL runs started through a JobManager run
as `python -m convrec.jobs.worker` processes over the real catalog, queue in their lane, stop
on request, refuse bad parameters in one line, and are recovered after a server dies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from convrec.config import Settings
from convrec.errors import ConvrecError
from convrec.jobs.manager import JobManager
from convrec.jobs.store import ACTIVE, LOG, Job, JobStore, new_job_id, write_json
from convrec.jobs.tasks import task

pytestmark = pytest.mark.integration

TIMEOUT_S = 180.0
FAST = {"systems": ["popularity"], "n": 2, "scenarios": ["movielens:test"]}
SLOW = {"systems": ["agent:none"], "n": 30, "scenarios": ["movielens:test"]}


# ----------------------------------------------------------------------------- helpers


def wait_for(predicate, timeout: float = TIMEOUT_S, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_ended(manager: JobManager, job_id: str, timeout: float = TIMEOUT_S) -> Job:
    def ended() -> Job | None:
        job = manager.get(job_id)
        assert job is not None
        return job if job.state not in ACTIVE else None

    job = wait_for(ended, timeout, f"job {job_id} to end")
    return job


def wait_progress(store: JobStore, job_id: str, done: int = 1) -> None:
    def progressed() -> bool:
        status = store.status(job_id)
        return status is not None and status.state == "running" and status.progress.done >= done

    wait_for(progressed, what=f"job {job_id} to finish {done} dialogue(s)")


def lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def process_gone(pid: int) -> bool:
    """No such process, or only its zombie is left."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def settings(sim_settings, sim_home, tmp_path) -> Settings:
    return sim_settings.model_copy(update={"runs_dir": tmp_path / "runs"})


@pytest.fixture
def root(tmp_path) -> Path:
    return tmp_path / "jobs"


@pytest.fixture
def manager(settings, root):
    manager = JobManager(settings, root=root, grace_s=10, poll_s=0.2)
    try:
        yield manager
    finally:
        manager.close()


# ----------------------------------------------------------------------------- running


def test_simulate_job_runs_to_done(manager, settings, tmp_path):
    job = manager.start("simulate", {"name": "quick", **FAST})
    assert job.state == "queued" and job.lane == "eval"
    out = (tmp_path / "runs" / "eval" / "quick").resolve()
    assert Path(job.out) == out

    job = wait_ended(manager, job.id)
    assert job.state == "done", (job.message, manager.log_tail(job.id))
    assert job.started is not None and job.finished is not None
    assert job.finished >= job.started

    records = [json.loads(line) for line in lines(out / "dialogues.jsonl")]
    assert len(records) == FAST["n"] * len(FAST["systems"])
    assert {r["system"] for r in records} == set(FAST["systems"])
    assert (out / "metrics.json").is_file()
    assert (out / "report.md").is_file()

    assert job.status is not None and job.status.state == "done"
    progress = job.status.progress
    assert progress.total == len(records) and progress.done == progress.total
    assert job.status.result == {"dialogues": len(records)}

    log = (manager.store.folder(job.id) / LOG).read_text()
    assert "same as: convrec simulate" in log
    command = task("simulate").command(job)
    assert command.startswith("convrec simulate ")
    assert f"--out {out}" in command
    assert "--systems popularity" in command and "--n 2" in command
    assert command in log


def test_second_eval_job_waits_for_the_first(manager):
    first = manager.start("simulate", {"name": "first", **FAST})
    second = manager.start("simulate", {"name": "second", **FAST})

    def first_running() -> bool:
        job = manager.get(first.id)
        assert job is not None
        assert job.state != "done", "the first job ended before it was seen running"
        return job.state == "running"

    wait_for(first_running, what="the first job to run", timeout=60)
    waiting = manager.get(second.id)
    assert waiting is not None and waiting.state == "queued"
    assert manager.queue_position(waiting) == 1
    assert manager.queue_position(manager.get(first.id)) == 0
    assert manager.current("eval").id == first.id

    first = wait_ended(manager, first.id)
    second = wait_ended(manager, second.id)
    assert (first.state, second.state) == ("done", "done"), (first.message, second.message)
    assert second.started is not None and first.finished is not None
    assert second.started >= first.finished
    assert [j.id for j in manager.jobs("eval")] == [second.id, first.id]


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(("kind", "params", "words"), [
    ("simulate", {"name": "cores", **FAST, "workers": (os.cpu_count() or 1) + 1}, "workers"),
    ("simulate", {"name": "nosuch", **{**FAST, "systems": ["no-such-system"]}}, "no-such-system"),
    ("simulate", {"name": "../x", **FAST}, "run name"),
    ("simulate", {"name": "types", **FAST, "n": "many"}, "n"),
    ("rl", {"name": "leak", "config": "collect:\n  scenarios: [movielens:test]\n"},
     "not a dev split"),
    ("rl", {"name": "many", "config": "collect:\n  workers: 99\n"}, "collect.workers"),
    ("rl", {"name": "nocollect", "small": True, "stages": ["grpo"]}, "no collect stage"),
    ("rl", {"name": "stages", "stages": ["warmup"]}, "stages"),
    ("nosuchkind", {"name": "x"}, "unknown job kind"),
])
def test_refusals_are_one_line_and_write_no_folder(manager, root, kind, params, words):
    with pytest.raises(ConvrecError) as caught:
        manager.start(kind, params)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message
    assert folders(root) == []
    assert manager.jobs() == []


def test_second_training_job_is_refused_while_one_is_active(manager, root, tmp_path):
    tiny = {"name": "tiny", "small": True, "stages": ["collect"]}
    job = manager.start("rl", tiny)
    assert job.lane == "train"
    collect = Path(job.out) / "collect"
    assert Path(job.out) == (tmp_path / "runs" / "rl" / "tiny").resolve()

    def collecting() -> bool:
        current = manager.get(job.id)
        assert current is not None
        return collect.is_dir() or current.state not in ACTIVE

    wait_for(collecting, what="the RL job to start collecting")
    current = manager.get(job.id)
    assert current is not None
    refused_while_active = current.active
    with pytest.raises(ConvrecError, match="a training job is already") as caught:
        manager.start("rl", {**tiny, "name": "other"})
    assert "\n" not in str(caught.value)
    assert refused_while_active, f"the first RL job ended ({current.state}) before the check"
    assert [p.name for p in folders(root)] == [job.id]

    try:
        stopping = manager.stop(job.id)
        assert stopping.stop_requested
    except ConvrecError as exc:  # it finished between the two calls
        assert "ended already" in str(exc)
    ended = wait_ended(manager, job.id)
    assert ended.state in ("stopped", "done"), (ended.message, manager.log_tail(job.id))
    assert collect.is_dir()
    assert not (manager.store.folder(job.id) / "STOP").exists()
    with pytest.raises(ConvrecError, match="ended already"):
        manager.stop(job.id)

    # Once it has ended, another training job may start.
    again = manager.stop(manager.start("rl", {**tiny, "name": "after"}).id)
    assert again.state in ("cancelled", "running")
    wait_ended(manager, again.id)


# ----------------------------------------------------------------------------- stopping


def test_stop_running_and_queued_simulations(manager):
    slow = manager.start("simulate", {"name": "slow", **SLOW})
    queued = manager.start("simulate", {"name": "queued", **FAST})

    cancelled = manager.stop(queued.id)
    assert cancelled.state == "cancelled" and cancelled.message
    assert manager.get(queued.id).state == "cancelled"

    wait_progress(manager.store, slow.id)
    stopping = manager.stop(slow.id)
    assert stopping.state == "running" and stopping.stop_requested
    ended = wait_ended(manager, slow.id)
    assert ended.state == "stopped", (ended.message, manager.log_tail(slow.id))
    assert ended.message
    assert ended.status is not None and ended.status.state == "stopped"

    out = Path(ended.out)
    kept = lines(out / "dialogues.jsonl")
    assert 1 <= len(kept) < SLOW["n"]
    assert (out / "report.md").is_file()
    assert (out / "metrics.json").is_file()

    # The cancelled job never ran: no process, no run folder.
    never = manager.get(queued.id)
    assert never.state == "cancelled" and never.started is None and never.pid is None
    assert not Path(never.out).exists()


# ----------------------------------------------------------------------------- restarts


def test_a_new_manager_marks_jobs_left_active_interrupted(settings, root, tmp_path):
    store = JobStore(root)
    out = str(tmp_path / "runs" / "eval" / "x")
    common = {"kind": "simulate", "lane": "eval", "title": "x", "out": out}
    running = store.save(Job(id=new_job_id("simulate"), state="running", pid=dead_pid(),
                             started=time.time(), **common))
    queued = store.save(Job(id=new_job_id("simulate"), state="queued", **common))
    done = store.save(Job(id=new_job_id("simulate"), state="done", **common))

    manager = JobManager(settings, root=root, grace_s=5)
    try:
        assert sorted(manager.recovered) == sorted([running.id, queued.id])
        for job_id in (running.id, queued.id):
            job = manager.get(job_id)
            assert job is not None
            assert job.state == "interrupted"
            assert job.message and "\n" not in job.message
            assert job.finished is not None
        assert "partial outputs" in manager.get(running.id).message
        assert manager.get(done.id).state == "done"
        # Nothing is relaunched.
        time.sleep(0.5)
        assert all(not j.active for j in manager.jobs())
    finally:
        manager.close()


CRASHING_SERVER = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path

    from convrec.config import Settings
    from convrec.jobs.manager import JobManager

    settings = Settings.model_validate(json.loads(Path(sys.argv[1]).read_text()))
    root = Path(sys.argv[2])
    manager = JobManager(settings, root=root, grace_s=5)
    job = manager.start("simulate", json.loads(sys.argv[3]))
    print(job.id, flush=True)
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        status = manager.store.status(job.id)
        if status is not None and status.state == "running" and status.progress.done >= 1:
            os._exit(0)  # the server dies, without closing anything
        time.sleep(0.1)
    os._exit(3)
""")


def test_a_job_does_not_outlive_its_crashed_server(settings, root, tmp_path):
    script = tmp_path / "server.py"
    script.write_text(CRASHING_SERVER)
    settings_file = tmp_path / "settings.json"
    write_json(settings_file, settings.to_child()[0])
    assert Settings.model_validate(json.loads(settings_file.read_text())).runs_dir \
        == settings.runs_dir

    server = subprocess.run(
        [sys.executable, str(script), str(settings_file), str(root),
         json.dumps({"name": "crash", **SLOW})],
        cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert server.returncode == 0, server.stderr[-3000:]
    job_id = server.stdout.split()[0]

    store = JobStore(root)
    left = store.load(job_id)
    assert left is not None and left.state == "running" and left.pid
    worker = left.pid

    def interrupted() -> bool:
        status = store.status(job_id)
        return process_gone(worker) and status is not None and status.state == "interrupted"

    wait_for(interrupted, timeout=30, what="the orphaned worker to end itself")
    assert store.status(job_id).error

    manager = JobManager(settings, root=root, grace_s=5)
    try:
        assert manager.recovered == [job_id]
        job = manager.get(job_id)
        assert job is not None and job.state == "interrupted" and job.message
        out = Path(job.out)
        assert out == (tmp_path / "runs" / "eval" / "crash").resolve()
        assert len(lines(out / "dialogues.jsonl")) >= 1
    finally:
        manager.close()


# ----------------------------------------------------------------------------- the store


def test_write_json_is_atomic(tmp_path):
    folder = tmp_path / "atomic"
    folder.mkdir()
    path = folder / "data.json"
    write_json(path, {"a": 1})
    write_json(path, {"a": 2, "p": Path("/x")})
    assert json.loads(path.read_text()) == {"a": 2, "p": "/x"}
    assert [p.name for p in folder.iterdir()] == ["data.json"]


def test_store_lists_newest_first_and_skips_broken_folders(tmp_path):
    store = JobStore(tmp_path / "jobs")
    for created in (1.0, 3.0, 2.0):
        store.save(Job(id=f"job-{created:g}", kind="simulate", lane="eval", title="t",
                       out="/tmp/out", created=created))
    (store.root / "broken").mkdir()
    (store.root / "broken" / "job.json").write_text("{not json")
    (store.root / "empty").mkdir()
    assert [j.id for j in store.all()] == ["job-3", "job-2", "job-1"]
    assert store.load("broken") is None and store.load("missing") is None
    assert store.status("job-1") is None


def test_store_log_tail(tmp_path):
    store = JobStore(tmp_path / "jobs")
    job = store.save(Job(id="j", kind="simulate", lane="eval", title="t", out="/tmp/out"))
    assert store.log_tail(job.id) == ""
    text = "".join(f"line {i}\n" for i in range(100)) + "progress 1/3\rprogress 3/3\n"
    (store.folder(job.id) / LOG).write_text(text)
    assert store.log_tail(job.id, 3) == "line 99\nprogress 1/3\nprogress 3/3"
    assert store.log_tail(job.id).splitlines()[0] == "line 82"


def test_closing_the_server_marks_its_running_job_interrupted(settings, root):
    manager = JobManager(settings, root=root, grace_s=10, poll_s=0.2)
    job = manager.start("simulate", {"name": "cut-short", **SLOW})
    wait_progress(manager.store, job.id)
    manager.close()  # the server shuts down with the job mid-run
    job = manager.get(job.id)
    assert job.state == "interrupted" and "resume" in job.message
    assert lines(Path(job.out) / "dialogues.jsonl")  # the finished dialogues are kept


def test_an_rl_run_resumes_with_other_workers_but_not_another_collect(manager):
    from convrec.rl.config import RlConfig

    run = Path(manager.runs_dir) / "rl" / "r"
    (run / "collect").mkdir(parents=True)
    (run / "config.yaml").write_text(RlConfig.small().to_yaml())
    job = manager.start("rl", {"name": "r", "small": True, "stages": ["collect"],
                               "config": "collect:\n  workers: 2\n"})  # how fast, not what
    manager.stop(job.id)
    wait_ended(manager, job.id)
    with pytest.raises(ConvrecError, match="another collect config"):
        manager.start("rl", {"name": "r", "small": True, "stages": ["collect"],
                             "config": "collect:\n  n: 3\n"})


def test_redial_job_writes_its_table_beside_the_published_figures(manager):
    job = manager.start("redial", {"name": "rd", "limit": 30, "systems": ["popularity", "bm25"]})
    assert job.lane == "eval" and "first 30 turns" in job.title
    job = wait_ended(manager, job.id)
    assert job.state == "done", (job.message, manager.log_tail(job.id))
    report = (Path(job.out) / "report.md").read_text()
    assert "convrec eval redial --limit 30 --systems popularity,bm25" in report
    assert "(published)" in report and "| bm25 |" in report
    assert json.loads((Path(job.out) / "report.json").read_text())["limit"] == 30
    with pytest.raises(ConvrecError, match="unknown system"):
        manager.start("redial", {"name": "rd2", "systems": ["gpt9"]})
