"""The load benchmark in small: 4 concurrent sessions of 3 turns through the app's HTTP API
(template backend), every turn answered, no session seeing another's ledger, films or user.
Timings are measured but not asserted (2 shared cores)."""

from __future__ import annotations

import pytest

from convrec.eval.bench_load import run_load_bench
from convrec.eval.load_scripts import make_sessions
from tests.harness.app_process import AppProcess, real_app_env

pytestmark = pytest.mark.integration


def test_make_sessions_gives_distinct_reproducible_constraints(real_catalog):
    first = make_sessions(real_catalog, 50, seed=3)
    again = make_sessions(real_catalog, 50, seed=3)
    assert [s.messages for s in first] == [s.messages for s in again]
    assert len({s.constraints.key() for s in first}) == 50
    assert len({s.constraints.liked_id for s in first}) == 50
    users = [s.user_id for s in first if s.user_id]
    assert len(users) == 25 and len(set(users)) == 25
    assert all(len(s.messages) == 10 == len(s.expected) for s in first)
    # later turns change the session's own constraints
    assert first[0].expected[-1]["year_from"] != first[0].expected[0]["year_from"]
    assert first[0].expected[-1]["languages"] != first[0].expected[2]["languages"]


@pytest.mark.timeout(900)
def test_concurrent_sessions_answer_without_cross_talk(real_resources, real_catalog_path,
                                                       tmp_path):
    env = real_app_env(tmp_path / "home", catalog=real_catalog_path,
                       index_dir=real_resources.index_dir)
    with AppProcess(env, tmp_path / "app.log") as app:
        results = run_load_bench(app.url + "/", [4], real_resources, turns=3, seed=1,
                                 pid=app.pid)
    run = results["runs"][0]
    assert run["errors"] == 0, (run["error_messages"], app.log())
    assert run["turns_answered"] == 12
    assert run["cross_talk"]["checks"] >= 12 * 5 + 4
    assert run["cross_talk"]["failures"] == 0, run["examples"]
    assert run["ledger_mismatch"]["failures"] == 0, run["examples"]
    assert run["cards"]["checks"] > 0 and run["cards"]["failures"] == 0, run["examples"]
    assert run["rss_mb"]["before"] and run["rss_mb"]["after"]
    assert results["ok"]


def test_the_checks_catch_another_sessions_ledger_and_films(real_resources):
    from convrec.eval.load_checks import SessionChecker, Tally, owners

    scripts = make_sessions(real_resources.catalog, 2, turns=3, seed=5)
    tally = Tally()
    checker = SessionChecker(scripts[0], real_resources, owners(scripts), tally)
    other = scripts[1].expected[0]
    ledger = {"genres_include": {g: 1 for g in other["genres_include"]},
              "year_from": {"value": other["year_from"], "turn": 1},
              "year_to": {"value": other["year_to"], "turn": 1}, "shown": {"1": 1}}
    checker.check({"thread_id": "web-a", "turn": 1, "user_id": scripts[1].user_id or "ml:1",
                   "ledger": ledger, "item_ids": [], "cards": []})
    assert tally.failures["ledger_foreign"] == 1
    assert tally.failures["films_foreign"] == 1
    assert tally.failures["user"] == 1
