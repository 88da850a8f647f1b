"""`kill -9` of the app in the middle of a turn, then a restart on the same home: the thread
resumes at its last complete turn, nothing is half-written, and the next turn works.

The turn is stopped at a known point: the app's LLM backend is an OpenAI-compatible
endpoint on loopback that holds the request (tests/reliability/gate_endpoint.py) while the
test kills the app's process group with SIGKILL. The restarted app then answers the load
benchmark in small (4 concurrent sessions of 3 turns: tests/reliability/test_load.py), so
the suite starts one app fewer."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

import pytest

from convrec.eval.bench_load import run_load_bench
from tests.harness.app_process import AppProcess, real_app_env
from tests.reliability.gate_endpoint import gate_endpoint
from tests.reliability.test_load import assert_load_held

pytestmark = pytest.mark.integration


def integrity(path: Path) -> str:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def saved_state(home: Path, resources, thread_id: str) -> dict:
    from convrec.agent.service import Agent
    from convrec.config import Settings

    settings = Settings(home=home, catalog_path=resources.catalog.path,
                        index_dir=resources.index_dir)
    agent = Agent(settings, resources=resources, use_llm=False)
    try:
        return agent.state(thread_id)
    finally:
        agent.close()


@pytest.mark.timeout(900)
def test_kill_9_mid_turn_resumes_at_the_last_complete_turn(real_resources, real_catalog_path,
                                                           tmp_path):
    home = tmp_path / "home"
    common = {"catalog": real_catalog_path, "index_dir": real_resources.index_dir}
    with gate_endpoint() as gate:
        env = real_app_env(home, **common, CONVREC_LLM_BACKEND="openai",
                           CONVREC_LLM_BASE_URL=gate.url, CONVREC_LLM_MODEL="scripted",
                           CONVREC_LLM_API_KEY="sk-test", CONVREC_LLM_TIMEOUT_S="600")
        app = AppProcess(env, tmp_path / "app.log", backend="openai").start()
        try:
            client = app.client()
            first = client.predict("a thriller from the 1980s", "", "", api_name="/turn")
            thread_id = first["thread_id"]
            second = client.predict("no horror", thread_id, "", api_name="/turn")
            assert second["turn"] == 2 and second["item_ids"], app.log()

            gate.hold(streamed_only=True)  # the reply: every node before it has run
            stuck = threading.Thread(target=lambda: _quietly(
                client.predict, "in French", thread_id, "", api_name="/turn"), daemon=True)
            stuck.start()
            assert gate.held.wait(240), "the third turn never reached the model"
            app.kill()  # SIGKILL to the whole process group, mid-turn
        finally:
            app.stop()
    assert app.proc is not None and app.proc.returncode == -9

    # nothing half-written: every SQLite file the app wrote is whole
    databases = sorted(home.rglob("*.sqlite"))
    assert home / "sessions.sqlite" in databases
    for path in databases:
        assert integrity(path) == "ok", path

    # the thread is as the second turn left it
    state = saved_state(home, real_resources, thread_id)
    assert state["turn"] == 2
    assert state["ledger"] == second["ledger"]
    assert [c["item_id"] for c in state["cards"]] == second["item_ids"]

    # a restart on the same home: the thread goes on from there
    env = real_app_env(home, **common)
    with AppProcess(env, tmp_path / "app2.log", backend="none") as again:
        third = again.client().predict("in French", thread_id, "", api_name="/turn")
        # and the restarted app holds load: `convrec bench load` in small
        load = run_load_bench(again.url + "/", [4], real_resources, turns=3, seed=1,
                              pid=again.pid)
    assert third["thread_id"] == thread_id and third["turn"] == 3
    assert set(third["ledger"]["genres_include"]) == {"Thriller"}
    assert set(third["ledger"]["genres_exclude"]) == {"Horror"}
    assert set(third["ledger"]["languages"]) == {"French"}
    assert third["ledger"]["year_from"]["value"] == 1980
    assert_load_held(load["runs"][0])


def _quietly(call, *args, **kwargs) -> None:
    with contextlib.suppress(Exception):  # the app is killed under it
        call(*args, **kwargs)
