"""The load benchmark's sessions and checks. The benchmark itself runs in small (4 concurrent
sessions of 3 turns through the app's HTTP API, template backend: every turn answered, no
session seeing another's ledger, films or user) on the app restarted after a kill -9, in
tests/reliability/test_kill_app.py, so the suite starts one app process fewer."""

from __future__ import annotations

import pytest

from convrec.eval.load_scripts import make_sessions

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


def assert_load_held(run: dict) -> None:
    """Every turn answered, no cross-talk, the sessions' own constraints read as stated, no
    card breaking them (timings are measured, not asserted: 2 shared cores)."""
    assert run["errors"] == 0, run["error_messages"]
    assert run["turns_answered"] == run["turns_planned"]
    assert run["cross_talk"]["checks"] >= run["turns_planned"] * 5 + run["sessions"]
    assert run["cross_talk"]["failures"] == 0, run["examples"]
    assert run["ledger_mismatch"]["failures"] == 0, run["examples"]
    assert run["cards"]["checks"] > 0 and run["cards"]["failures"] == 0, run["examples"]
    assert run["rss_mb"]["before"] and run["rss_mb"]["after"]


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


@pytest.mark.parametrize("value", ["0", "ten", "10,-2"])
def test_bad_session_counts_are_one_line_errors(value):
    from convrec.cli.bench_load import _counts
    from convrec.errors import ConvrecError

    assert _counts(["10,20", "50"]) == [10, 20, 50]
    with pytest.raises(ConvrecError, match="--sessions"):
        _counts([value])


def test_a_dead_url_is_a_one_line_error(real_catalog_path, real_resources, tmp_path):
    from tests.test_cli import assert_one_line_error, run_cli

    env = {"CONVREC_HOME": str(tmp_path), "CONVREC_CATALOG_PATH": str(real_catalog_path),
           "CONVREC_INDEX_DIR": str(real_resources.index_dir)}
    result = run_cli("bench", "load", "--url", "http://127.0.0.1:9/", "--sessions", "1",
                     env=env)
    assert_one_line_error(result, "cannot open the app")
